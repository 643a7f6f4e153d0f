#!/usr/bin/env bash
# depmin's test command (the one the README gives and .ci/run runs): installs what the tests
# need on a fresh machine, checks types and lint, then runs the whole suite. Extra arguments go
# to pytest, e.g. `bash tests/run.sh -k manifest`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The real-build integration tests (tests/test_build_integration.py) need buildah and debootstrap:
# installed from Debian once, as root, only when missing (elsewhere those tests skip; under CI
# they fail without them).
if [ "$(id -u)" = 0 ] && ! { command -v buildah && command -v debootstrap; } >/dev/null 2>&1; then
    apt_log="$(mktemp)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends buildah debootstrap debian-archive-keyring; } >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        echo "tests/run.sh: installing buildah and debootstrap failed" >&2
        exit 1
    fi
    rm -f "$apt_log"
fi
python3 -m ruff check depmin tests
python3 -m ruff format --check depmin tests
python3 -m mypy
python3 -m pytest "$@"
