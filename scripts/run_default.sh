#!/usr/bin/env bash
# Set up (first time) and solve the default scenario: Kazakhstan's auto-industrial cluster.
# Writes runs/kz_auto_base/ (summary.json, sites.csv, flows.csv, results.gpkg, map.html, map.png, report.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
exec .venv/bin/clusterloc solve models/kz_auto/base.yaml --out runs/kz_auto_base --force "$@"
