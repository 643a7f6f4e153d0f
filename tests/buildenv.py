"""Real image builds for the integration tests: buildah, a debootstrapped base, a local wheelhouse.

Not a test module: ``tests/dockerfiles/test_build_integration.py`` (and later the tests of the generated
Dockerfiles) import it. What it provides:

* :func:`require_tools` / :func:`require_root`: skip with a reason when a tool or root is missing,
  or fail when ``CI`` is set (``tests/run.sh`` installs buildah and debootstrap as root).
* :func:`read_apt_sources` / :func:`debian_mirror`: the Debian mirror and suite this machine's apt
  already uses (``/etc/apt/sources.list``, ``sources.list.d/*.list`` and deb822 ``*.sources``).
* :func:`debootstrap_rootfs` and :func:`ensure_base_image`: a minimal Debian root filesystem with
  python3, python3-venv, ca-certificates, tini and tzdata, cached as a tar file, imported once as
  ``localhost/depmin-test-base:<suite>``.
* :class:`Buildah`: buildah with its own storage under the cache directory (``--root``,
  ``--runroot``, ``--storage-driver vfs``), always ``--isolation chroot`` and ``--format docker``
  (the OCI format drops HEALTHCHECK). :meth:`Buildah.build` skips a build whose inputs (Dockerfile,
  context, build arguments, mounted volumes, parent images) are unchanged; :meth:`Buildah.running`
  runs an image's entrypoint and command in the background; :meth:`Buildah.layers` lists what each
  layer adds, with its size.
* :func:`build_wheelhouse`: wheels from PyPI for the target interpreter and platform;
  :func:`wheelhouse_volumes` mounts them into a build so that an unmodified ``pip install -r lock``
  installs from the wheelhouse only.

Everything is cached in :func:`cache_dir` (``$DEPMIN_TEST_CACHE``, else
``$XDG_CACHE_HOME/depmin-tests``, else ``~/.cache/depmin-tests``), which survives between runs on
one machine. ``DEPMIN_TEST_REBUILD=1`` rebuilds the images (not the base) even when nothing changed.
Each step is timed into :data:`STEPS`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "BASE_IMAGE",
    "BASE_PACKAGES",
    "STEPS",
    "AptSource",
    "Buildah",
    "Built",
    "Layer",
    "RunningContainer",
    "Step",
    "Wheelhouse",
    "build_wheelhouse",
    "cache_dir",
    "debian_mirror",
    "debootstrap_rootfs",
    "ensure_base_image",
    "free_port_offset",
    "in_ci",
    "parse_deb822_sources",
    "parse_one_line_sources",
    "read_apt_sources",
    "require_root",
    "require_tools",
    "timed",
    "wait_for_line",
    "wheelhouse_volumes",
]

BASE_IMAGE = "localhost/depmin-test-base"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates", "tini", "tzdata")
INPUTS_LABEL = "io.depmin.test.inputs"
PYTHON_LABEL = "io.depmin.test.python"
# Where a build sees the wheelhouse: directories and files that exist in the base image, so that
# buildah's bind mounts leave no new mount point behind in the committed layer.
WHEELHOUSE_MOUNT = "/mnt"
PIP_CONF_MOUNT = "/etc/pip.conf"
_BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Empty files the base image carries as mount targets (buildah bind-mounts over them in every RUN;
# were they missing, each build would commit an empty one into its layer).
_MOUNT_TARGETS = ("etc/hostname", "etc/resolv.conf", "etc/pip.conf")
_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
_TRIM = (
    "var/cache/apt/archives",
    "var/cache/apt/pkgcache.bin",
    "var/cache/apt/srcpkgcache.bin",
    "var/lib/apt/lists",
    "var/log",
    "usr/share/doc",
    "usr/share/info",
    "usr/share/man",
    "usr/share/locale",
)


# --------------------------------------------------------------------------------------------
# Environment, tools, timing


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    """Skip, or fail under CI, where tests/run.sh must have installed what is missing."""
    if in_ci():
        pytest.fail(f"{reason} (CI: tests/run.sh installs it as root)", pytrace=False)
    pytest.skip(reason)


def require_tools(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        _unavailable(f"needs {', '.join(missing)} (apt-get install --no-install-recommends {' '.join(missing)})")


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        _unavailable(f"{what} needs root")


def cache_dir() -> Path:
    override = os.environ.get("DEPMIN_TEST_CACHE")
    if override:
        path = Path(override)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = (Path(xdg) if xdg else Path.home() / ".cache") / "depmin-tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Step:
    name: str
    seconds: float
    cached: bool = False


STEPS: list[Step] = []


@contextlib.contextmanager
def timed(name: str) -> Iterator[Step]:
    """Time a step into STEPS; the body sets ``step.cached = True`` when it found the result ready."""
    step = Step(name, 0.0)
    start = time.monotonic()
    try:
        yield step
    finally:
        step.seconds = round(time.monotonic() - start, 2)
        STEPS.append(step)


def _run(
    argv: Sequence[str], *, timeout: float = 900, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    if check and proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{output[-4000:]}")
    return proc


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tree_digest(path: Path) -> str:
    """Names, modes and contents of a file or of every file under a directory."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        name = file.name if file == path else file.relative_to(path).as_posix()
        digest.update(f"{name}\0{file.stat().st_mode & 0o777}\0{_sha256_file(file)}\n".encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# apt sources -> Debian mirror and suite


@dataclass(frozen=True)
class AptSource:
    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]
    enabled: bool = True


def parse_one_line_sources(text: str) -> list[AptSource]:
    """``deb [options] uri suite [component...]`` lines (sources.list, *.list)."""
    sources = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, rest = line.partition(" ")
        rest = rest.strip()
        if rest.startswith("["):
            rest = rest.partition("]")[2].strip()
        words = rest.split()
        if kind not in ("deb", "deb-src") or len(words) < 2:
            continue
        sources.append(AptSource((kind,), (words[0],), (words[1],), tuple(words[2:])))
    return sources


def parse_deb822_sources(text: str) -> list[AptSource]:
    """deb822 stanzas (*.sources): Types, URIs, Suites, Components, Enabled."""
    sources = []
    for stanza in _deb822_stanzas(text):
        if "types" not in stanza or "uris" not in stanza or "suites" not in stanza:
            continue
        sources.append(
            AptSource(
                tuple(stanza["types"].split()),
                tuple(stanza["uris"].split()),
                tuple(stanza["suites"].split()),
                tuple(stanza.get("components", "").split()),
                stanza.get("enabled", "yes").strip().lower() not in ("no", "false", "0"),
            )
        )
    return sources


def _deb822_stanzas(text: str) -> Iterator[dict[str, str]]:
    fields: dict[str, str] = {}
    key = None
    for raw in [*text.splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if fields:
                yield fields
            fields, key = {}, None
        elif raw[0] in " \t":
            if key is not None and raw.strip() != ".":
                fields[key] += " " + raw.strip()
        else:
            name, _, value = raw.partition(":")
            key = name.strip().lower()
            fields[key] = value.strip()


def read_apt_sources(root: Path = Path("/")) -> list[AptSource]:
    """Every enabled source of the machine's apt, in apt's order."""
    etc = root / "etc" / "apt"
    sources: list[AptSource] = []
    main = etc / "sources.list"
    if main.is_file():
        sources += parse_one_line_sources(main.read_text(encoding="utf-8", errors="replace"))
    parts = etc / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
            if path.suffix == ".list":
                sources += parse_one_line_sources(text)
            elif path.suffix == ".sources":
                sources += parse_deb822_sources(text)
    return [source for source in sources if source.enabled]


def debian_mirror(sources: Iterable[AptSource] | None = None) -> tuple[str, str]:
    """(mirror URI, suite) of the first binary Debian source with a release suite.

    A Debian archive is recognised by a URI path ending in ``/debian`` (not ``debian-security``,
    nor third-party repositories); ``-updates``, ``-security`` and ``-backports`` suites are not
    release suites. Nothing is hard-coded: no such source, no mirror (the caller skips).
    """
    for source in read_apt_sources() if sources is None else sources:
        if "deb" not in source.types or not source.enabled:
            continue
        for uri in source.uris:
            if not uri.startswith(("http://", "https://", "file:")):
                continue
            if not uri.rstrip("/").endswith("/debian"):
                continue
            for suite in source.suites:
                if "-" not in suite and "/" not in suite:
                    return uri.rstrip("/"), suite
    raise LookupError("no Debian release source (URI .../debian, suite without '-') in the apt sources")


# --------------------------------------------------------------------------------------------
# debootstrap -> rootfs tar -> base image


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    mounts = []
    with Path("/proc/self/mounts").open(encoding="utf-8") as handle:
        for line in handle:
            point = line.split()[1].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                mounts.append(point)
    return sorted(mounts, key=len, reverse=True)


def _remove_tree(path: Path) -> None:
    """rm -r, but never through a mount a failed debootstrap left behind (proc, sys, dev)."""
    if not path.exists():
        return
    for point in _mounts_under(path):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    if _mounts_under(path):
        raise RuntimeError(f"{path} still has mounts; not removing it")
    shutil.rmtree(path)


def _machine_arch() -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def debootstrap_rootfs(
    suite: str,
    mirror: str,
    *,
    packages: Sequence[str] = BASE_PACKAGES,
    directory: Path | None = None,
) -> Path:
    """A trimmed ``--variant=minbase`` root filesystem as a tar file, made once and then reused.

    The file name carries the suite, the architecture and a digest of the package list (not the
    mirror: any mirror of the suite gives the same system). Trimmed like the slim images: no apt
    lists or .debs, no docs, man pages or translations, no log files; empty /etc/hostname,
    /etc/resolv.conf and /etc/pip.conf and a loopback /etc/hosts as mount targets.
    """
    directory = directory or cache_dir()
    key = hashlib.sha256(" ".join(sorted(packages)).encode()).hexdigest()[:12]
    tar_path = directory / f"rootfs-{suite}-{_machine_arch()}-{key}.tar"
    if tar_path.is_file():
        return tar_path
    require_tools("debootstrap")
    require_root("debootstrap")
    work = directory / f"rootfs-{suite}.tmp"
    _remove_tree(work)
    try:
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--arch={_machine_arch()}",
                f"--include={','.join(packages)}",
                suite,
                str(work),
                mirror,
            ],
            timeout=1200,
        )
        for name in _TRIM:
            target = work / name
            if target.is_dir() and not target.is_symlink():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
            elif target.exists():
                target.unlink()
        for name in _MOUNT_TARGETS:
            (work / name).write_text("", encoding="utf-8")
            (work / name).chmod(0o644)
        (work / "etc" / "hosts").write_text(_HOSTS, encoding="utf-8")
        partial = tar_path.with_suffix(".part")
        _run(
            [
                "tar",
                "--create",
                "--numeric-owner",
                "--xattrs",
                "--sort=name",
                f"--file={partial}",
                f"--directory={work}",
                "--exclude=./dev/*",
                "--exclude=./proc/*",
                "--exclude=./sys/*",
                "--exclude=./run/*",
                "--exclude=./tmp/*",
                ".",
            ]
        )
        partial.replace(tar_path)
    finally:
        _remove_tree(work)
    return tar_path


def ensure_base_image(buildah: Buildah, *, suite: str | None = None, mirror: str | None = None) -> str:
    """``localhost/depmin-test-base:<suite>`` in buildah's storage, made from the rootfs tar once.

    The suite (and mirror) come from the apt sources unless given; when the image is already
    there nothing else happens.
    The image gets the labels ``io.depmin.test.python`` (the suite's python3 version, e.g. 3.11)
    and the usual ``PATH``, ``LANG=C.UTF-8`` and ``CMD ["bash"]``.
    """
    if suite is None or mirror is None:
        try:
            found_mirror, found_suite = debian_mirror()
        except LookupError as error:
            _unavailable(str(error))
            raise
        suite = suite or found_suite
        mirror = mirror or found_mirror
    name = f"{BASE_IMAGE}:{suite}"
    with timed("base image: found in storage") as step:
        step.cached = buildah.image_exists(name)
    if step.cached:
        return name
    with timed("base image: debootstrap") as step:
        step.cached = any(cache_dir().glob(f"rootfs-{suite}-{_machine_arch()}-*.tar"))
        rootfs = debootstrap_rootfs(suite, mirror)
    with timed("base image: import"):
        require_root("importing the root filesystem (buildah mount)")
        python = _tar_python_version(rootfs)
        container = buildah("from", "--name", f"depmin-test-import-{uuid.uuid4().hex[:8]}", "scratch")
        container_name = container.stdout.strip()
        try:
            mount = Path(buildah("mount", container_name).stdout.strip())
            _run(["tar", "--extract", "--numeric-owner", "--xattrs", f"--file={rootfs}", f"--directory={mount}"])
            buildah("umount", container_name)
            buildah(
                "config",
                "--env",
                f"PATH={_BASE_PATH}",
                "--env",
                "LANG=C.UTF-8",
                "--cmd",
                '["bash"]',
                "--label",
                f"{PYTHON_LABEL}={python}",
                container_name,
            )
            buildah("commit", "--quiet", "--format", "docker", container_name, name)
        finally:
            buildah("rm", container_name, check=False)
    return name


def _tar_python_version(rootfs: Path) -> str:
    with tarfile.open(rootfs) as archive:
        for member in archive:
            name = member.name.removeprefix("./")
            if name.startswith("usr/bin/python3.") and name[len("usr/bin/python") :].count(".") == 1:
                return name[len("usr/bin/python") :]
    return "unknown"


# --------------------------------------------------------------------------------------------
# buildah


@dataclass(frozen=True)
class Built:
    image: str
    image_id: str
    cached: bool
    seconds: float
    log: Path


@dataclass(frozen=True)
class Layer:
    diff_id: str
    size: int  # bytes of the uncompressed layer tar
    gzip_size: int  # bytes once gzipped at level 6, about what a registry stores and sends
    files: tuple[str, ...]  # member names, without "./" or a trailing "/"

    def has(self, path: str) -> bool:
        return path.strip("/") in self.files


class Buildah:
    """buildah with a storage of its own: ``--root``/``--runroot`` under ``home``, vfs driver."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or cache_dir() / "buildah"
        self.root = self.home / "storage"
        self.runroot = self.home / "run"
        self.logs = self.home / "logs"
        for path in (self.root, self.runroot, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        self.executable = shutil.which("buildah") or "buildah"
        self._layer_cache = cache_dir() / "layers"
        self._layer_cache.mkdir(exist_ok=True)

    @property
    def global_args(self) -> list[str]:
        return [
            self.executable,
            "--root",
            str(self.root),
            "--runroot",
            str(self.runroot),
            "--storage-driver",
            "vfs",
        ]

    def __call__(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return _run([*self.global_args, *args], check=check, timeout=timeout)

    # images ---------------------------------------------------------------------------------

    def image_exists(self, name: str) -> bool:
        return self("inspect", "--type", "image", name, check=False).returncode == 0

    def inspect(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self("inspect", "--type", "image", name).stdout)
        return data

    def image_id(self, name: str) -> str:
        return str(self.inspect(name)["FromImageID"])

    def config(self, name: str) -> dict[str, Any]:
        """The image's Docker config (User, Env, Entrypoint, Cmd, Healthcheck, Labels, ...)."""
        data = self.inspect(name)
        config: dict[str, Any] = (data.get("Docker") or {}).get("config") or {}
        return config or dict(data["OCIv1"].get("config") or {})

    def diff_ids(self, name: str) -> list[str]:
        return list(self.inspect(name)["OCIv1"]["rootfs"]["diff_ids"])

    def tag(self, name: str, *tags: str) -> None:
        self("tag", name, *tags)

    def build(
        self,
        context: Path,
        tag: str,
        *,
        dockerfile: Path | None = None,
        build_args: Mapping[str, str] | None = None,
        volumes: Sequence[str] = (),
        parents: Sequence[str] = (),
        force: bool | None = None,
    ) -> Built:
        """``buildah bud`` (chroot isolation, docker format, no pulls), skipped when the inputs match.

        The inputs digest covers the Dockerfile, every file of the context, the build arguments,
        the contents of each ``HOST:CONTAINER[:OPTIONS]`` volume and the image ids of ``parents``;
        it is stored as the label ``io.depmin.test.inputs``. ``force`` (default: the environment
        variable DEPMIN_TEST_REBUILD) builds anyway. One build makes one new layer (no --layers).
        """
        dockerfile = dockerfile or context / "Dockerfile"
        build_args = dict(build_args or {})
        digest = hashlib.sha256()
        digest.update(_tree_digest(dockerfile).encode())
        digest.update(_tree_digest(context).encode())
        digest.update(json.dumps(sorted(build_args.items())).encode())
        for volume in volumes:
            host, container = volume.split(":")[:2]
            digest.update(f"{container}={_tree_digest(Path(host))}".encode())
        for parent in parents:
            digest.update(self.image_id(parent).encode())
        inputs = digest.hexdigest()
        log = self.logs / f"{tag.replace('/', '_').replace(':', '_')}.log"
        if force is None:
            force = os.environ.get("DEPMIN_TEST_REBUILD", "") not in ("", "0")
        start = time.monotonic()
        previous = self.image_id(tag) if self.image_exists(tag) else None
        if not force and previous is not None and (self.config(tag).get("Labels") or {}).get(INPUTS_LABEL) == inputs:
            return Built(tag, self.image_id(tag), True, round(time.monotonic() - start, 2), log)
        argv = [
            *self.global_args,
            "bud",
            "--isolation",
            "chroot",
            "--format",
            "docker",
            "--pull=never",
            "--file",
            str(dockerfile),
            "--tag",
            tag,
            "--label",
            f"{INPUTS_LABEL}={inputs}",
        ]
        for key, value in sorted(build_args.items()):
            argv += ["--build-arg", f"{key}={value}"]
        for volume in volumes:
            argv += ["--volume", volume]
        argv.append(str(context))
        with log.open("w", encoding="utf-8") as out:
            proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, text=True, timeout=1800, check=False)
        if proc.returncode != 0:
            text = log.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"building {tag} failed ({proc.returncode}); {log}:\n{text[-6000:]}")
        if previous is not None:
            self("rm", _kept_container(previous), check=False)
        self("rmi", "--prune", check=False)  # the image this tag named before, if any
        return Built(tag, self.image_id(tag), False, round(time.monotonic() - start, 2), log)

    # layers ---------------------------------------------------------------------------------

    def layers(self, name: str) -> list[Layer]:
        """Each layer of the image, bottom first, with its uncompressed size and file list.

        Read from ``buildah push IMAGE docker-archive:...`` (uncompressed layers); a layer's
        listing is cached by its diff id, so a later call for an image whose layers were all seen
        exports nothing.
        """
        diff_ids = self.diff_ids(name)
        cached = {diff_id: self._cached_layer(diff_id) for diff_id in diff_ids}
        if any(layer is None for layer in cached.values()):
            with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
                archive_path = Path(tmp) / "image.tar"
                self("push", "--quiet", name, f"docker-archive:{archive_path}")
                with tarfile.open(archive_path) as archive:
                    manifest = json.load(_member(archive, "manifest.json"))
                    paths = manifest[0]["Layers"]
                    if len(paths) != len(diff_ids):
                        raise RuntimeError(f"{name}: {len(paths)} layer files for {len(diff_ids)} diff ids")
                    for diff_id, path in zip(diff_ids, paths, strict=True):
                        if cached[diff_id] is None:
                            cached[diff_id] = self._read_layer(archive, path, diff_id)
        return [layer for layer in cached.values() if layer is not None]

    def _cached_layer(self, diff_id: str) -> Layer | None:
        path = self._layer_cache / f"{diff_id.replace(':', '-')}.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return Layer(data["diff_id"], data["size"], data["gzip_size"], tuple(data["files"]))

    def _read_layer(self, archive: tarfile.TarFile, path: str, diff_id: str) -> Layer:
        member = archive.getmember(path)
        while member.issym():  # docker-archive links <id>/layer.tar to <diff id>.tar
            member = archive.getmember(str(Path(path).parent / member.linkname))
        gzip_size = 0
        with _member(archive, member.name) as stream:
            compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                gzip_size += len(compressor.compress(chunk))
            gzip_size += len(compressor.flush())
        names = []
        with _member(archive, member.name) as stream, tarfile.open(fileobj=stream, mode="r|") as layer:
            for entry in layer:
                name = entry.name.removeprefix("./").rstrip("/")
                if name and name != ".":
                    names.append(name)
        result = Layer(diff_id, member.size, gzip_size, tuple(names))
        target = self._layer_cache / f"{diff_id.replace(':', '-')}.json"
        partial = target.with_suffix(".part")
        record = {"diff_id": diff_id, "size": member.size, "gzip_size": gzip_size, "files": names}
        partial.write_text(json.dumps(record))
        partial.replace(target)
        return result

    # running --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def container(self, image: str, *, keep: bool = True) -> Iterator[str]:
        """A working container of ``image``.

        ``keep`` (the default) reuses one container per image id, ``depmin-test-keep-<id>``, made
        at the first use and kept between test runs: with vfs storage every new container is a
        full copy of the image (seconds when the disk cache is cold), and the agents write nothing
        to their file system. A rebuild of the tag removes the old image's kept container.
        ``keep=False`` makes a fresh container and removes it afterwards.
        """
        if keep:
            name = _kept_container(self.image_id(image))
            if self("inspect", "--type", "container", name, check=False).returncode != 0:
                self("from", "--pull=never", "--name", name, image)
            yield name
            return
        name = f"depmin-test-{uuid.uuid4().hex[:12]}"
        self("from", "--pull=never", "--name", name, image)
        try:
            yield name
        finally:
            self("rm", name, check=False)

    def run_in(
        self,
        container: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """``buildah run`` in a container (its user, working directory and environment)."""
        return self(*_run_args(container, argv, env, user), check=False, timeout=timeout)

    @contextlib.contextmanager
    def running(
        self,
        image: str,
        *,
        env: Mapping[str, str] | None = None,
        argv: Sequence[str] | None = None,
        keep: bool = True,
    ) -> Iterator[RunningContainer]:
        """Run the image as ``docker run IMAGE`` would (entrypoint + command), in the background.

        Chroot isolation has no network or PID namespace: the process shares the host's network
        (its ports are on 127.0.0.1) and tini is not PID 1, so ``TINI_SUBREAPER=1`` is set.
        Leaving the block stops it (see :meth:`RunningContainer.stop`); ``keep`` as in
        :meth:`container`.
        """
        config = self.config(image)
        command = list(argv) if argv is not None else [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
        if not command:
            raise ValueError(f"{image} has neither an entrypoint nor a command")
        environment = {"TINI_SUBREAPER": "1", **(env or {})}
        with self.container(image, keep=keep) as name:
            log_path = self.logs / f"{name}.log"
            with log_path.open("w", encoding="utf-8") as log:
                process = subprocess.Popen(
                    [*self.global_args, *_run_args(name, command, environment, None)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            running = RunningContainer(self, name, command, environment, process, log_path)
            try:
                yield running
            finally:
                running.stop()
                log_path.unlink(missing_ok=True)


def _kept_container(image_id: str) -> str:
    return f"depmin-test-keep-{image_id.removeprefix('sha256:')[:12]}"


def _run_args(container: str, argv: Sequence[str], env: Mapping[str, str] | None, user: str | None) -> list[str]:
    args = ["run", "--isolation", "chroot", "--network", "host"]
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    if user is not None:
        args += ["--user", user]
    return [*args, container, "--", *argv]


def _member(archive: tarfile.TarFile, name: str) -> Any:
    stream = archive.extractfile(name)
    if stream is None:
        raise RuntimeError(f"{name} is not a file in the archive")
    return stream


@dataclass
class RunningContainer:
    buildah: Buildah
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path
    returncode: int | None = None
    _output: str = field(default="", repr=False)

    def exec(self, argv: Sequence[str], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run another command in the same container (same environment), e.g. the HEALTHCHECK."""
        return self.buildah.run_in(self.name, argv, env=self.env, timeout=timeout)

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        if self.log_path.is_file():
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        return self._output

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM to the container's first process (as ``docker stop``), SIGKILL after ``timeout``.

        ``buildah run`` does not forward signals: killing it kills its chroot helper and orphans
        the command. So the signal goes to the process started from ``argv`` (tini), found
        among the descendants of ``buildah run`` (an ``argv[0]`` without a slash, ``["tini", "--"]``,
        shows up resolved through PATH: ``/usr/bin/tini``). Returns buildah run's exit code, which
        is the command's.
        """
        if self.returncode is not None:
            return self.returncode
        tree = _descendants(self.process.pid)
        init = next((proc for proc in tree if _started_as(proc.argv, self.argv)), None)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if init is not None:
                    init.signal(signal.SIGTERM)
                else:
                    self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                for proc in reversed([*tree, *_descendants(self.process.pid)]):
                    proc.signal(signal.SIGKILL)
                self.process.kill()
                self.process.wait(10)
        for proc in tree:  # nothing outlives the container, whatever happened
            proc.signal(signal.SIGKILL)
        self._output = self.output()
        self.returncode = self.process.returncode
        return self.returncode


def _started_as(seen: Sequence[str], command: Sequence[str]) -> bool:
    """Whether a process's argv is ``command``, whose program may have been looked up in PATH."""
    if not seen or not command or list(seen[1:]) != list(command[1:]):
        return False
    return seen[0] == command[0] or ("/" not in command[0] and seen[0].rsplit("/", 1)[-1] == command[0])


@dataclass(frozen=True)
class _Proc:
    pid: int
    start: str  # start time in clock ticks: tells a reused pid apart
    argv: list[str]

    def signal(self, number: int) -> None:
        """Signal this process if it is still the one we saw (same pid and start time)."""
        stat = _proc_stat(self.pid)
        if stat is not None and stat[1] == self.start:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, number)


def _proc_stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[19]


def _descendants(pid: int) -> list[_Proc]:
    """Every live descendant of ``pid``, parents before children."""
    children: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
            starts[int(entry.name)] = stat[1]
    result = []
    queue = list(children.get(pid, []))
    while queue:
        child = queue.pop(0)
        try:
            raw = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        result.append(_Proc(child, starts[child], [part.decode(errors="replace") for part in raw.split(b"\0") if part]))
        queue += children.get(child, [])
    return result


def wait_for_line(
    port: int, *, timeout: float = 30, host: str = "127.0.0.1", running: RunningContainer | None = None
) -> str:
    """Connect until the port answers; return the first line it sends."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if running is not None and not running.alive():
            raise RuntimeError(f"the container exited ({running.process.returncode}):\n{running.output()}")
        try:
            with socket.create_connection((host, port), timeout=2) as conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(256)
                    if not chunk:
                        break
                    data += chunk
                return data.decode("utf-8", errors="replace").strip()
        except OSError as error:
            last = error
            time.sleep(0.2)
    detail = f"\n{running.output()}" if running is not None else ""
    raise TimeoutError(f"{host}:{port} did not answer within {timeout}s ({last}){detail}")


def free_port_offset(ports: Iterable[int], *, start: int = 30000, step: int = 100) -> int:
    """An offset that makes every one of ``ports`` free on this machine (all addresses)."""
    wanted = list(ports)
    for offset in range(start, 65535 - max(wanted), step):
        if all(_port_free(port + offset) for port in wanted):
            return offset
    raise RuntimeError(f"no free offset for ports {wanted}")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


# --------------------------------------------------------------------------------------------
# wheelhouse and hashed lock


@dataclass(frozen=True)
class Wheelhouse:
    directory: Path
    wheels: dict[str, Path]  # pin ("PyYAML==6.0.2") -> wheel file
    pip_conf: Path
    downloaded: tuple[str, ...] = ()  # the pins this call had to download

    def sha256(self, pin: str) -> str:
        return _sha256_file(self.wheels[pin])


def build_wheelhouse(
    pins: Sequence[str],
    *,
    python_version: str = "3.11",
    directory: Path | None = None,
) -> Wheelhouse:
    """Binary wheels for CPython ``python_version`` on manylinux (this machine's architecture).

    ``pip download --no-deps --only-binary=:all:`` of exact pins from the package index pip is
    configured for, once: ``wheels.json`` records which file answered each pin, and a later call
    with the same pins downloads nothing. Also writes the ``pip.conf`` that
    :func:`wheelhouse_volumes` mounts (no index, find-links = the wheelhouse).
    """
    for pin in pins:
        if "==" not in pin:
            raise ValueError(f"{pin}: pin an exact version (NAME==VERSION)")
    abi = "cp" + python_version.replace(".", "")
    directory = directory or cache_dir() / f"wheelhouse-{abi}-{platform.machine()}"
    directory.mkdir(parents=True, exist_ok=True)
    record_path = directory / "wheels.json"
    record: dict[str, str] = json.loads(record_path.read_text()) if record_path.is_file() else {}
    missing = [pin for pin in pins if not (directory / record.get(pin, "-")).is_file()]
    for pin in missing:
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            machine = platform.machine()
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--implementation",
                    "cp",
                    "--python-version",
                    python_version,
                    "--abi",
                    abi,
                    "--abi",
                    "abi3",
                    "--abi",
                    "none",
                    "--platform",
                    f"manylinux_2_17_{machine}",
                    "--platform",
                    f"manylinux2014_{machine}",
                    "--platform",
                    "any",
                    "--dest",
                    tmp,
                    pin,
                ],
                timeout=300,
            )
            (wheel,) = Path(tmp).glob("*.whl")
            wheel.replace(directory / wheel.name)
            record[pin] = wheel.name
    if missing:
        record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    pip_conf = directory.parent / f"{directory.name}.pip.conf"
    pip_conf.write_text(
        f"[global]\nno-index = true\nfind-links = {WHEELHOUSE_MOUNT}\ndisable-pip-version-check = true\n"
    )
    return Wheelhouse(directory, {pin: directory / record[pin] for pin in pins}, pip_conf, tuple(missing))


def wheelhouse_volumes(wheelhouse: Wheelhouse) -> list[str]:
    """``--volume`` values that make an unchanged ``pip install`` use the wheelhouse, offline.

    The wheelhouse is mounted read-only at /mnt and a pip.conf (no-index, find-links=/mnt) over the
    base image's empty /etc/pip.conf: both targets exist in the base, so no mount point is left in
    a committed layer and the Dockerfile needs no test-only line.
    """
    return [
        f"{wheelhouse.directory}:{WHEELHOUSE_MOUNT}:ro",
        f"{wheelhouse.pip_conf}:{PIP_CONF_MOUNT}:ro",
    ]
