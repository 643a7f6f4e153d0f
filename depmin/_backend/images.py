"""Container images for ``depmin verify --image``: built with buildah (``--isolation chroot``,
``--storage-driver vfs``: no daemon, no root-only kernel features) or, where buildah is missing,
docker with BuildKit, and programs run inside them as the image's user.

Nothing here knows what an agent is: the verification stage says which Dockerfile to build under
which tag, and which argv to run. Every program runs with a timeout; a failure comes back as the
build's or the program's last error line (credentials redacted), or a :class:`ToolError` when the
builder itself cannot be run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from depmin._backend.interpreters import last_line
from depmin._secrets import redact
from depmin.errors import ToolError

__all__ = ["Builder", "Container", "ImageConfig", "build_image", "container", "find_builder", "image_config"]

BuilderKind = Literal["buildah", "docker"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Builder:
    """The program that builds and runs images: ``buildah`` or ``docker``, at ``executable``."""

    kind: BuilderKind
    executable: str

    def argv(self, *args: str) -> list[str]:
        # vfs: works in any container and on any file system (overlay needs kernel support).
        front = ["--storage-driver", "vfs"] if self.kind == "buildah" else []
        return [self.executable, *front, *args]


@dataclass(frozen=True, kw_only=True, slots=True)
class ImageConfig:
    """What ``docker run`` would use from an image: its user and environment (``KEY=value``)."""

    user: str
    env: Mapping[str, str]


@dataclass(frozen=True, kw_only=True, slots=True)
class Container:
    """A container of ``image`` to run programs in (buildah: a working container ``name``; docker: a
    fresh ``docker run --rm`` per program, ``name`` unused)."""

    builder: Builder
    image: str
    name: str

    def run(self, argv: Sequence[str], *, user: str, workdir: str, timeout: float = 600.0) -> tuple[int, str, str]:
        """``(exit code, stdout, stderr)`` of ``argv`` run as ``user`` in ``workdir``."""
        if self.builder.kind == "buildah":
            command = self.builder.argv("run", "--isolation", "chroot", "--user", user, "--workingdir", workdir)
            command += [self.name, "--", *argv]
        else:
            command = [self.builder.executable, "run", "--rm", "--network", "none", "--user", user]
            command += ["--workdir", workdir, "--entrypoint", argv[0], self.image, *argv[1:]]
        done = _run(command, what=f"running {argv[0]} in {self.image}", timeout=timeout)
        return done.returncode, done.stdout, done.stderr


def find_builder() -> Builder | None:
    """buildah when it is on PATH, else docker when its daemon answers, else None."""
    buildah = shutil.which("buildah")
    if buildah is not None:
        return Builder(kind="buildah", executable=buildah)
    docker = shutil.which("docker")
    if docker is not None:
        try:
            ready = _run([docker, "info", "--format", "{{.ServerVersion}}"], what="docker info", timeout=30)
        except ToolError:
            return None
        if ready.returncode == 0:
            return Builder(kind="docker", executable=docker)
    return None


def build_image(
    builder: Builder,
    *,
    context: Path,
    dockerfile: Path,
    tag: str,
    volumes: Sequence[str] = (),
    timeout: float = 3600.0,
) -> str | None:
    """Build ``dockerfile`` with ``context`` as ``tag``; None when it built, else the build's last
    error line. ``volumes`` (``HOST:CONTAINER[:OPTIONS]``, buildah only) are mounted into every
    ``RUN``, e.g. a pip.conf that points pip at a local wheelhouse."""
    if builder.kind == "buildah":
        command = builder.argv("bud", "--isolation", "chroot", "--format", "docker", "--layers")
        command += [f"--volume={volume}" for volume in volumes]
    else:
        if volumes:
            raise ToolError("docker build cannot mount volumes into a build; drop --build-volume or install buildah")
        command = [builder.executable, "build", "--progress", "plain"]
    command += ["--file", str(dockerfile), "--tag", tag, str(context)]
    done = _run(command, what=f"building {dockerfile.name}", timeout=timeout, env={"DOCKER_BUILDKIT": "1"})
    if done.returncode == 0:
        return None
    return redact(_build_error(done.stderr or done.stdout))


def _build_error(text: str) -> str:
    """The line that says why a build failed: buildah ends with ``error building at STEP ...``, which
    names the step; the program's own last complaint comes before it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no message"
    tail = lines[-1]
    before = [line for line in lines[:-1] if not line.startswith(("STEP ", "#", "time="))]
    if before and ("error building" in tail or "exit status" in tail):
        return f"{before[-1]} ({tail})"
    return tail


def image_config(builder: Builder, image: str) -> ImageConfig:
    """The user and environment of a built image."""
    if builder.kind == "buildah":
        command = builder.argv("inspect", "--type", "image", image)
    else:
        command = [builder.executable, "image", "inspect", image]
    done = _run(command, what=f"inspecting {image}", timeout=120)
    if done.returncode != 0:
        raise ToolError(f"cannot inspect {image}: {redact(last_line(done.stderr))}")
    try:
        data = json.loads(done.stdout)
        if builder.kind == "buildah":
            config = (data.get("Docker") or {}).get("config") or data["OCIv1"]["config"]
        else:
            config = data[0]["Config"]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ToolError(f"cannot read the configuration of {image} from {builder.kind} inspect") from None
    env = dict(item.partition("=")[::2] for item in config.get("Env") or [])
    return ImageConfig(user=str(config.get("User") or "root"), env=env)


@contextlib.contextmanager
def container(builder: Builder, image: str) -> Iterator[Container]:
    """A container of ``image``, removed afterwards (buildah: a working container)."""
    if builder.kind == "docker":
        yield Container(builder=builder, image=image, name="")
        return
    name = f"depmin-verify-{uuid.uuid4().hex[:12]}"
    done = _run(builder.argv("from", "--pull=never", "--name", name, image), what=f"buildah from {image}", timeout=600)
    if done.returncode != 0:
        raise ToolError(f"cannot make a container of {image}: {redact(last_line(done.stderr))}")
    try:
        yield Container(builder=builder, image=image, name=name)
    finally:
        _run(builder.argv("rm", name), what=f"buildah rm {name}", timeout=600)


def _run(
    command: Sequence[str], *, what: str, timeout: float, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    try:
        return subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout, check=False, env=environment
        )
    except FileNotFoundError:
        raise ToolError(f"cannot run {command[0]}: no such file ({what})") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what} did not finish within {timeout:g}s; rerun, or build the image by hand") from None
    except OSError as exc:
        raise ToolError(f"cannot run {command[0]} ({what}): {exc.strerror or exc}") from None
