#!/bin/sh
# Thin wrapper for `make bench` / `make bench-quick`: runs the harness, builds nothing.
# Usage: bench/run.sh [--quick] [--cove PATH] [--only GROUPS] [--runs N] ...  (see bench/bench.py --help)
set -eu
cd "$(dirname "$0")/.."
exec python3 bench/bench.py "$@"
