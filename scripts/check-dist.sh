#!/usr/bin/env bash
# Fails when dist/ differs from a fresh build of the sources (the committed bundle is what the runner executes).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
if ! git diff --quiet --ignore-space-at-eol -- dist || [ -n "$(git status --porcelain --untracked-files=all -- dist)" ]; then
  echo "dist/ is stale: run 'npm run build' and commit dist/ with the source change that needs it." >&2
  git status --short -- dist >&2
  exit 1
fi
echo "dist/ is current."
