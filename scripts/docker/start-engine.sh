#!/usr/bin/env bash
# Starts a Docker engine of our own for the Docker executor's tests and
# benchmarks, and makes sure the local base image exists.
#
#   bash scripts/docker/start-engine.sh
#   export DOCKER_HOST=unix:///run/agentforge-docker.sock
#
# - installs Debian's docker.io when `dockerd` is missing (needs root);
# - starts dockerd on its own socket, data root and pid file, without
#   iptables or a default bridge (only host networking exists then);
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
BASE_IMAGE="agentforge/node-base:20"
export DOCKER_HOST="unix://${SOCKET_PATH}"

say() { printf '[docker-engine] %s\n' "$*" >&2; }

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

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
  dockerd --iptables=false --ip-masq=false --bridge=none \
    --data-root "${DATA_ROOT}" --host "${DOCKER_HOST}" \
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
