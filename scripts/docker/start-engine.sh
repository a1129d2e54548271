#!/usr/bin/env bash
# Starts a Docker engine of our own for the Docker executor's tests and
# benchmarks, and makes sure the local base image exists.
#
#   bash scripts/docker/start-engine.sh
#   export DOCKER_HOST=unix:///run/agentforge-docker.sock
#
# - installs Debian's docker.io when `dockerd` is missing (needs root);
# - starts dockerd on its own socket, data root, exec root and pid file,
#   without iptables or IP masquerading. Its default bridge is a Linux bridge
#   of our own (AGENTFORGE_DOCKER_BRIDGE, default afbr0, on
#   AGENTFORGE_DOCKER_BRIDGE_CIDR, default 10.213.0.1/24), made here when
#   missing: published ports then work through docker-proxy, so both
#   DOCKER_NETWORK_MODE=bridge and host work. When the bridge cannot be made
#   (no `ip`, no permission) dockerd runs with --bridge=none: host networking
#   only. A bridge made here is recorded in <pid file>.bridge, and
#   stop-engine.sh removes it;
# - waits until the engine answers;
# - imports agentforge/node-base:20 from this machine's `node` and the
#   libraries it links (no registry is reachable), unless it already exists.
# Idempotent: an engine already answering on the socket is reused.
# Stop it with scripts/docker/stop-engine.sh.
set -euo pipefail

SOCKET_PATH="${AGENTFORGE_DOCKER_SOCKET:-/run/agentforge-docker.sock}"
PIDFILE="${AGENTFORGE_DOCKER_PIDFILE:-/run/agentforge-docker.pid}"
DATA_ROOT="${AGENTFORGE_DOCKER_DATA_ROOT:-/var/lib/agentforge-docker}"
LOGFILE="${AGENTFORGE_DOCKER_LOG:-/tmp/agentforge-dockerd.log}"
# A second engine on the same machine needs its own exec root (state of its
# containerd and containers); the default is dockerd's own.
EXEC_ROOT="${AGENTFORGE_DOCKER_EXEC_ROOT:-}"
BRIDGE="${AGENTFORGE_DOCKER_BRIDGE:-afbr0}"
BRIDGE_CIDR="${AGENTFORGE_DOCKER_BRIDGE_CIDR:-10.213.0.1/24}"
BRIDGE_STATE="${PIDFILE}.bridge"
BASE_IMAGE="agentforge/node-base:20"
export DOCKER_HOST="unix://${SOCKET_PATH}"

say() { printf '[docker-engine] %s\n' "$*" >&2; }

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Makes BRIDGE (when missing), gives it BRIDGE_CIDR (when it has no IPv4
# address) and brings it up. Records it in BRIDGE_STATE only when made here
# (or by an earlier run of this script), so stop-engine.sh never removes a
# bridge someone else made (a half-made one is recorded too, and removed).
make_bridge() {
  command -v ip >/dev/null 2>&1 || { say "no \`ip\` command"; return 1; }
  if ! ip link show dev "${BRIDGE}" >/dev/null 2>&1; then
    ip link add "${BRIDGE}" type bridge || return 1
    printf '%s\n' "${BRIDGE}" >"${BRIDGE_STATE}"
  fi
  if [[ -z "$(ip -4 -o addr show dev "${BRIDGE}")" ]]; then
    ip addr add "${BRIDGE_CIDR}" dev "${BRIDGE}" || return 1
  fi
  ip link set "${BRIDGE}" up || return 1
}

if ! command -v dockerd >/dev/null 2>&1; then
  say "dockerd not found: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if engine_answers; then
  say "engine already answers on ${DOCKER_HOST}"
else
  say "starting dockerd on ${DOCKER_HOST} (log: ${LOGFILE})"
  mkdir -p "${DATA_ROOT}"
  if make_bridge; then
    say "default bridge: ${BRIDGE} ($(ip -4 -o addr show dev "${BRIDGE}" | awk '{print $4}'))"
    bridge_arg="--bridge=${BRIDGE}"
  else
    say "could not make the bridge ${BRIDGE}: starting dockerd with --bridge=none (host networking only)"
    bridge_arg="--bridge=none"
  fi
  exec_root_args=()
  [[ -n "${EXEC_ROOT}" ]] && exec_root_args=(--exec-root "${EXEC_ROOT}")
  dockerd --iptables=false --ip-masq=false "${bridge_arg}" \
    --data-root "${DATA_ROOT}" "${exec_root_args[@]}" --host "${DOCKER_HOST}" \
    --pidfile "${PIDFILE}" >"${LOGFILE}" 2>&1 &
  for _ in $(seq 1 120); do
    engine_answers && break
    if ! kill -0 $! 2>/dev/null; then
      say "dockerd exited; last lines of its log:"
      tail -n 30 "${LOGFILE}" >&2
      exit 1
    fi
    sleep 0.5
  done
  if ! engine_answers; then
    say "dockerd did not answer within 60 s; last lines of its log:"
    tail -n 30 "${LOGFILE}" >&2
    exit 1
  fi
  say "engine $(docker version --format '{{.Server.Version}}') is up"
fi

if docker image inspect "${BASE_IMAGE}" >/dev/null 2>&1; then
  say "${BASE_IMAGE} already exists"
else
  say "importing ${BASE_IMAGE} from $(command -v node) ($(node --version))"
  ROOTFS="$(mktemp -d)"
  trap 'rm -rf "${ROOTFS}"' EXIT
  copy_with_libs() {
    local bin="$1" dest="$2"
    mkdir -p "${ROOTFS}$(dirname "${dest}")"
    cp -L "${bin}" "${ROOTFS}${dest}"
    # Every absolute path ldd prints (the libraries and the dynamic loader).
    ldd "${bin}" | grep -o '/[^ ]*' | while read -r lib; do
      mkdir -p "${ROOTFS}$(dirname "${lib}")"
      cp -L "${lib}" "${ROOTFS}${lib}"
    done
  }
  copy_with_libs "$(command -v node)" /usr/local/bin/node
  # A POSIX shell, so that Dockerfiles can use RUN and CMD in shell form.
  copy_with_libs "$(readlink -f /bin/sh)" /bin/sh
  mkdir -p "${ROOTFS}/tmp" "${ROOTFS}/app" "${ROOTFS}/etc"
  chmod 1777 "${ROOTFS}/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/app:/bin/sh\n' >"${ROOTFS}/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"${ROOTFS}/etc/group"
  tar -C "${ROOTFS}" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'WORKDIR /app' \
    --change 'CMD ["node"]' \
    - "${BASE_IMAGE}" >/dev/null
  say "${BASE_IMAGE} imported"
fi

say "use it with: export DOCKER_HOST=${DOCKER_HOST}"
