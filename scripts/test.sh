#!/usr/bin/env bash
# Set up (first time: Python deps and headless Chromium) and run the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh test

if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing chromium (Debian package) for the map tests"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo -n"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

exec .venv/bin/python -m pytest "$@"
