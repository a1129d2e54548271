#!/usr/bin/env bash
# Stops the dockerd that scripts/docker/start-engine.sh started, by its pid
# file. Removes leftover containers first, so none outlives the run.
set -euo pipefail

SOCKET_PATH="${AGENTFORGE_DOCKER_SOCKET:-/run/agentforge-docker.sock}"
PIDFILE="${AGENTFORGE_DOCKER_PIDFILE:-/run/agentforge-docker.pid}"
export DOCKER_HOST="unix://${SOCKET_PATH}"

say() { printf '[docker-engine] %s\n' "$*" >&2; }

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
