#!/usr/bin/env bash
# Checks that a fresh clone passes its tests with no ../shared beside it and no CIFAR10_DIR (the built-in sample
# only), as a person who clones the repository has it.
#
#   bash scripts/check-fresh-clone.sh                      # npm ci && npm test in a clone of HEAD in a temp folder
#   bash scripts/check-fresh-clone.sh --reuse-node-modules -- npx vitest run src/core/data/sample.test.ts
#
# --reuse-node-modules copies this checkout's node_modules (hard links) instead of `npm ci`, for a quick check of
# some files; anything after `--` replaces `npm test`. The clone is of the committed HEAD: commit first.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
reuse=0
if [ "${1:-}" = "--reuse-node-modules" ]; then reuse=1; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
cmd=("$@")
[ ${#cmd[@]} -gt 0 ] || cmd=(npm test)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git clone -q "$repo" "$tmp/clone"
[ ! -e "$tmp/shared" ] || { echo "unexpected $tmp/shared" >&2; exit 1; }
cd "$tmp/clone"
if [ $reuse = 1 ]; then cp -al "$repo/node_modules" node_modules; else npm ci --no-audit --no-fund; fi
echo "fresh clone at $tmp/clone (no ../shared, no CIFAR10_DIR): ${cmd[*]}"
env -u CIFAR10_DIR "${cmd[@]}"
