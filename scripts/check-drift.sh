#!/usr/bin/env bash
# Fails when schema.graphql or the generated SDK differ from what the code produces.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s schema >/dev/null
npm run -s codegen >/dev/null
if ! git diff --exit-code -- schema.graphql sdk/generated; then
  echo "schema.graphql or sdk/generated is stale: run 'npm run schema && npm run codegen' and commit the result" >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- schema.graphql sdk/generated)" ]; then
  echo "sdk/generated has files git does not track: commit them" >&2
  git status --porcelain -- schema.graphql sdk/generated >&2
  exit 1
fi
echo "schema.graphql and sdk/generated are up to date"
