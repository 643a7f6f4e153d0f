#!/usr/bin/env bash
# depmin's test command (the one the README gives and .ci/run runs): installs what the tests
# need on a fresh machine, checks types and lint, then runs the whole suite. Extra arguments go
# to pytest, e.g. `bash tests/run.sh -k manifest`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m ruff check depmin tests
python3 -m ruff format --check depmin tests
python3 -m mypy
python3 -m pytest "$@"
