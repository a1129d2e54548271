#!/usr/bin/env bash
# Stops the dockerd that scripts/docker/start-engine.sh started, by its pid
# file. Removes leftover containers first, so none outlives the run, and
# the default bridge start-engine.sh made (recorded in <pid file>.bridge).
set -euo pipefail

SOCKET_PATH="${AGENTFORGE_DOCKER_SOCKET:-/run/agentforge-docker.sock}"
PIDFILE="${AGENTFORGE_DOCKER_PIDFILE:-/run/agentforge-docker.pid}"
BRIDGE_STATE="${PIDFILE}.bridge"
export DOCKER_HOST="unix://${SOCKET_PATH}"

say() { printf '[docker-engine] %s\n' "$*" >&2; }

# Runs last whatever happened above: the bridge goes once dockerd is gone
# (or never started).
remove_bridge() {
  [[ -f "${BRIDGE_STATE}" ]] || return 0
  local bridge
  bridge="$(cat "${BRIDGE_STATE}")"
  if ip link show dev "${bridge}" >/dev/null 2>&1; then
    say "removing the bridge ${bridge}"
    ip link delete "${bridge}" type bridge
  fi
  rm -f "${BRIDGE_STATE}"
}
trap remove_bridge EXIT

if [[ ! -f "${PIDFILE}" ]]; then
  say "no pid file at ${PIDFILE}: nothing to stop"
  exit 0
fi
pid="$(cat "${PIDFILE}")"
if ! kill -0 "${pid}" 2>/dev/null; then
  say "dockerd ${pid} is not running"
  rm -f "${PIDFILE}"
  exit 0
fi

leftovers="$(docker ps -aq --filter label=agentforge.runner 2>/dev/null || true)"
if [[ -n "${leftovers}" ]]; then
  say "removing leftover workload containers: ${leftovers//$'\n'/ }"
  # shellcheck disable=SC2086
  docker rm -f ${leftovers} >/dev/null || true
fi

say "stopping dockerd ${pid}"
kill -TERM "${pid}"
for _ in $(seq 1 60); do
  kill -0 "${pid}" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "${pid}" 2>/dev/null; then
  say "dockerd ${pid} did not stop within 30 s: sending SIGKILL"
  kill -KILL "${pid}" || true
fi
rm -f "${PIDFILE}"
say "stopped"
