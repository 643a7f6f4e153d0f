"""The build-wheels and deps commands of a generated service Dockerfile, run by the real pip.

A tiny sdist-only package (an in-tree PEP 517 backend, so the build needs no index) in a local
wheelhouse is pinned with its sha256 in a service lock; the rendered ``pip wheel`` builds it, the
rendered ``pip install --no-index --target`` installs the wheel, and a wrong hash stops the build.
(The container build itself, apt and buildah, is not run here.)
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shlex
import subprocess
import sys
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from tests.dockerfiles.hostile import INPUTS, example_fleet, render_fleet, with_family

pytestmark = pytest.mark.integration

_BACKEND = """
import base64, hashlib, zipfile

NAME, VERSION = "tiny_sdist", "1.0"

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = f"{NAME}-{VERSION}.dist-info"
    files = {
        f"{NAME}/__init__.py": "ANSWER = 42\\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\\n".join([*record, f"{info}/RECORD,,"]) + "\\n"
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(f"{wheel_directory}/{name}", "w") as whl:
        for path, text in files.items():
            whl.writestr(path, text)
    return name
"""


def _sdist(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    members = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": _BACKEND,
        "PKG-INFO": "Metadata-Version: 2.1\nName: tiny_sdist\nVersion: 1.0\n",
    }
    path = directory / "tiny_sdist-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"tiny_sdist-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _runs(text: str, stage: str) -> list[str]:
    """The RUN commands of one stage of a Dockerfile, as dockerfile-parse reads them."""
    runs, current = [], ""
    for item in DockerfileParser(fileobj=io.BytesIO(text.encode())).structure:
        if item["instruction"] == "FROM":
            current = item["value"].split()[-1]
        elif item["instruction"] == "RUN" and current == stage:
            runs.append(item["value"])
    return runs


def _pip(command: str, paths: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    """``command`` (a rendered pip command line) run by this Python's pip, the image's paths mapped to
    ``paths`` and the ``*.whl`` glob expanded as the shell would; no index (the wheelhouse has all)."""
    pattern = "|".join(re.escape(inside) for inside in sorted(paths, key=len, reverse=True))
    command = re.sub(rf"(?<![\w/])({pattern})(?![\w])", lambda m: str(paths[m.group(1)]), command)
    words = [w for w in shlex.split(command) if not w.startswith("--mount=")]
    assert words[0] == "pip"
    args: list[str] = []
    for word in words[1:]:
        args.extend(sorted(str(p) for p in Path(word).parent.glob("*.whl")) if word.endswith("*.whl") else [word])
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False, env=env)


def _build(tmp_path: Path, digest: str) -> tuple[str, str, dict[str, Path]]:
    """The rendered pip wheel and pip install of an agent whose family has a local wheelhouse, over a
    service lock pinning tiny-sdist with ``digest``."""
    fleet = example_fleet()
    family = fleet.agents[AGENT].family
    fleet = with_family(fleet, family, find_links=("wheelhouse",))
    inputs = replace(INPUTS, sdists={AGENT: ("tiny-sdist==1.0",)})
    text = render_fleet(fleet, inputs)[f"agents/{AGENT}.Dockerfile"]
    [wheel] = [r for r in _runs(text, "build-wheels") if r.startswith("--mount") or r.startswith("pip wheel")]
    [install] = _runs(text, "deps")
    lock = tmp_path / "service.lock"
    lock.write_text(f"tiny-sdist==1.0 \\\n    --hash=sha256:{digest}\n", encoding="utf-8")
    paths = {
        "/tmp/service.lock": lock,
        "/tmp/find-links/0": tmp_path / "wheelhouse",
        "/tmp/wheels": tmp_path / "wheels",
        "/wheels": tmp_path / "wheels",
        "/opt/service": tmp_path / "service",
    }
    return wheel, install, paths


AGENT = "FaceRecognitionAgent"


def test_rendered_pip_commands_build_and_install_an_sdist_only_release(tmp_path: Path) -> None:
    sdist = _sdist(tmp_path / "wheelhouse")
    wheel, install, paths = _build(tmp_path, hashlib.sha256(sdist.read_bytes()).hexdigest())
    assert "--find-links=/tmp/find-links/0" in wheel  # the wheelhouse the lock was resolved with
    built = _pip(wheel, paths)
    assert built.returncode == 0, built.stderr
    assert [p.name for p in (tmp_path / "wheels").iterdir()] == ["tiny_sdist-1.0-py3-none-any.whl"]
    installed = _pip(install, paths)
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "service" / "tiny_sdist" / "__init__.py").read_text(encoding="utf-8") == "ANSWER = 42\n"


def test_a_sdist_whose_hash_is_not_the_locks_is_not_built(tmp_path: Path) -> None:
    sdist = _sdist(tmp_path / "wheelhouse")
    digest = hashlib.sha256(sdist.read_bytes() + b"tampered").hexdigest()
    wheel, _, paths = _build(tmp_path, digest)
    built = _pip(wheel, paths)
    assert built.returncode != 0
    assert "DO NOT MATCH" in built.stderr
    assert list((tmp_path / "wheels").glob("*.whl")) == []
