"""A local wheelhouse of tiny real wheels, built with zipfile (no network, no build backend).

Every wheel has a correct ``METADATA``, ``WHEEL`` and ``RECORD`` (sha256 digests and sizes), so
uv, pip-compile and ``pip install --require-hashes`` accept it. The set covers what the lock stage
must handle::

    alpha 1.0          pure, requires beta>=1            (a dependency between wheels)
    beta 1.0, 2.0      two versions of one distribution
    gamma 1.0          platform-specific: manylinux_2_28_x86_64 and macosx_11_0_arm64 wheels
    py-widget 1.0      imports as ``widget`` (name differs from the distribution), requires gamma
    torchish 2.0.0     and 2.0.0+cu121 on a local "simple" index (a CUDA-variant local version)
    delta 1.0          requires beta<2 (to make a deliberate conflict with beta>=2)

Wheels are byte-stable: fixed timestamps and sorted members, so hashes are the same on every run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

__all__ = [
    "CUDA_WHEELS",
    "WHEELS",
    "Wheel",
    "build_simple_index",
    "build_wheel",
    "build_wheelhouse",
    "write_simple_index",
]

_DATE = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    tag: str = "py3-none-any"
    requires: tuple[str, ...] = ()
    modules: Mapping[str, str] = field(default_factory=dict)  # path in the wheel -> text
    top_level: tuple[str, ...] | None = None
    extras: tuple[str, ...] = ()  # Provides-Extra; their requirements go in ``requires`` with `extra == "x"`

    @property
    def filename(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-{self.tag}.whl"


def _module(name: str) -> dict[str, str]:
    return {f"{name}/__init__.py": f'NAME = "{name}"\n'}


WHEELS: tuple[Wheel, ...] = (
    Wheel("alpha", "1.0", requires=("beta>=1",), modules=_module("alpha")),
    Wheel("beta", "1.0", modules=_module("beta")),
    Wheel("beta", "2.0", modules=_module("beta")),
    Wheel("gamma", "1.0", tag="py3-none-manylinux_2_28_x86_64", modules=_module("gamma")),
    Wheel("gamma", "1.0", tag="py3-none-macosx_11_0_arm64", modules=_module("gamma")),
    Wheel(
        "py-widget",
        "1.0",
        requires=("gamma",),
        modules={"widget/__init__.py": 'NAME = "widget"\n', "widget/parts.py": "PARTS = 3\n"},
        top_level=("widget",),
    ),
    Wheel("torchish", "2.0.0", modules=_module("torchish")),
    Wheel("delta", "1.0", requires=("beta<2",), modules=_module("delta")),
)
CUDA_WHEELS: tuple[Wheel, ...] = (Wheel("torchish", "2.0.0+cu121", modules=_module("torchish")),)


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(directory: Path, wheel: Wheel) -> Path:
    """Write ``wheel`` into ``directory``; return the file's path."""
    dist_info = f"{wheel.name.replace('-', '_')}-{wheel.version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {wheel.name}", f"Version: {wheel.version}"]
    metadata += [f"Provides-Extra: {extra}" for extra in wheel.extras]
    metadata += [f"Requires-Dist: {requirement}" for requirement in wheel.requires]
    pure = wheel.tag.endswith("-any")
    files: dict[str, bytes] = {path: text.encode() for path, text in sorted(wheel.modules.items())}
    files[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: depmin-tests\nRoot-Is-Purelib: {str(pure).lower()}\nTag: {wheel.tag}\n"
    ).encode()
    if wheel.top_level is not None:
        files[f"{dist_info}/top_level.txt"] = ("\n".join(wheel.top_level) + "\n").encode()
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / wheel.filename
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return target


def build_wheelhouse(directory: Path, wheels: Sequence[Wheel] = WHEELS) -> Path:
    """Build ``wheels`` into ``directory`` (created); return it."""
    for wheel in wheels:
        build_wheel(directory, wheel)
    return directory


def write_simple_index(directory: Path, wheels: Sequence[Wheel]) -> Path:
    """``wheels`` as a PEP 503 / PEP 691 simple index on disk: ``files/`` holds the wheels and
    ``simple/<name>/`` an ``index.html`` and an ``index.json`` page listing them with their sha256;
    ``simple/index.html`` lists the projects. Returns ``directory / "simple"``."""
    projects: dict[str, list[Path]] = {}
    for wheel in wheels:
        projects.setdefault(canonicalize_name(wheel.name), []).append(build_wheel(directory / "files", wheel))
    for name, paths in projects.items():
        page = directory / "simple" / name
        page.mkdir(parents=True, exist_ok=True)
        files = []
        for path in sorted(paths):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            files.append({"filename": path.name, "url": f"../../files/{urllib.parse.quote(path.name)}",
                          "hashes": {"sha256": digest}})  # fmt: skip
        links = "".join(f'<a href="{f["url"]}#sha256={f["hashes"]["sha256"]}">{f["filename"]}</a>' for f in files)
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>{links}</body></html>\n", encoding="utf-8")
        document = {"meta": {"api-version": "1.0"}, "name": name, "files": files}
        (page / "index.json").write_text(json.dumps(document), encoding="utf-8")
    names = "".join(f'<a href="{name}/">{name}</a>' for name in sorted(projects))
    (directory / "simple" / "index.html").write_text(f"<!DOCTYPE html><html><body>{names}</body></html>\n")
    return directory / "simple"


def build_simple_index(directory: Path, wheels: Sequence[Wheel] = CUDA_WHEELS) -> str:
    """A simple index on disk (like the CUDA torch index) serving ``wheels``; returns its
    ``file://`` URL."""
    return write_simple_index(directory, wheels).resolve().as_uri()
