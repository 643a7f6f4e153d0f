"""Every value from agents.toml or the scanned tree reaches the build tree through one of these.

The manifest validates values at load; this module does not rely on it. Each function either returns
the value written so that it stays one token of the language it lands in (a Dockerfile word, a shell
word, an HCL or YAML string, a comment), or raises :class:`~depmin.errors.ConfigError` (exit 2) naming
the key and the fix when no quoting can keep it one token (a line break in a ``RUN`` line, a path
Docker would read as a pattern, a name that cannot be a file or bake-target name). Messages show
values escaped, cut and with URL credentials masked.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Iterable
from typing import NoReturn

from depmin.errors import ConfigError, Problem
from depmin.manifest.grammar import ENV_NAME, OCI_DOMAIN_COMPONENT, OCI_PATH_COMPONENT

__all__ = [
    "bake_name",
    "comment",
    "compose_string",
    "copy",
    "copy_path",
    "env_name",
    "env_value",
    "exec_form",
    "file_name",
    "hcl_string",
    "hcl_text",
    "image_ref",
    "key",
    "printable",
    "refuse",
    "registry_problem",
    "shell_word",
    "shown",
    "workdir_path",
    "yaml_string",
]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# One token of FROM: the characters of an OCI reference ([host[:port]/]name[:tag][@sha256:digest]).
_IMAGE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]*")
# ENV values of these characters mean the same bare as quoted: nothing Docker's lexer reads.
_ENV_BARE = re.compile(r"[A-Za-z0-9._,:/=+-]+")
# COPY words of these characters need neither the JSON form nor escaping.
_COPY_BARE = re.compile(r"[A-Za-z0-9._/][A-Za-z0-9._/-]*")  # no leading "-": a flag
_BAKE_NAME = re.compile(r"[A-Za-z0-9_-]+")  # buildx's rule for target names
# Registry host[:port][/path] (distribution/reference): host names or a bracketed IPv6 address,
# lower-case path components joined by '.', '_', '__' or dashes.
_REGISTRY = re.compile(
    rf"(?:{OCI_DOMAIN_COMPONENT}(?:\.{OCI_DOMAIN_COMPONENT})*|\[[0-9A-Fa-f:]+\])(?::[0-9]{{1,5}})?"
    rf"(?:/{OCI_PATH_COMPONENT})*"
)
_MAX_SHOWN = 60
_MAX_REGISTRY = 512


def key(config: str, *parts: str) -> str:
    """``agents.toml: families.cpu.from``: where a value came from, parts quoted when not bare (and
    cut when long: a name of agents.toml may be anything)."""
    return f"{config}: " + ".".join(_key_part(part) for part in parts)


def _key_part(part: str) -> str:
    if len(part) <= _MAX_SHOWN and _BARE_KEY.fullmatch(part):
        return part
    return json.dumps(part) if len(part) <= _MAX_SHOWN else json.dumps(part[:_MAX_SHOWN])[:-1] + '..."'


def refuse(where: str, message: str) -> NoReturn:
    """Raise the one located problem (exit 2); credentials in it are masked (:func:`shown`)."""
    raise ConfigError([Problem(_mask_userinfo(where), _mask_userinfo(message))])


def shown(value: str) -> str:
    """``value`` for a message: repr (one line), every ``userinfo@`` masked, cut to a few words.

    Masks what :func:`depmin._secrets.redact` would, and ``user:token@host`` without a scheme too, in
    linear time whatever the value."""
    text = _mask_userinfo(value)
    return repr(text) if len(text) <= _MAX_SHOWN else repr(text[:_MAX_SHOWN]) + f"... ({len(text)} characters)"


def _mask_userinfo(text: str) -> str:
    """Each run of characters without a space or ``/`` that ends at an ``@`` (``user:token@``, with or
    without a scheme) made ``***``; linear, where a pattern would backtrack on a long hostile value."""
    pieces, start = [], 0  # start: where the current run began
    for position, char in enumerate(text):
        if char.isspace() or char == "/":
            start = position + 1
        elif char == "@":
            pieces.append((start, position))
            start = position + 1
    out, done = [], 0
    for begin, end in pieces:
        if begin < end and text[begin:end] != "***":
            out += [text[done:begin], "***"]
            done = end
    return "".join(out) + text[done:]


def printable(value: str, where: str, *, what: str = "value") -> str:
    """``value`` when every character is printable (no control character, tab or line separator)."""
    for position, char in enumerate(value):
        if not char.isprintable():
            refuse(
                where,
                f"the {what} {shown(value)} contains {char!r} at position {position}, which would break the "
                "line it is written on; remove it",
            )
    return value


def comment(text: str) -> str:
    """``text`` fit for the rest of a ``#`` comment line in any of the files: JSON-escaped unless it
    is printable ASCII (YAML and Docker readers disagree on which characters end a line)."""
    return text if text.isascii() and text.isprintable() else json.dumps(text)


def file_name(value: str, where: str) -> str:
    """``value`` as one component of a path in the build tree (a file must not land elsewhere)."""
    printable(value, where, what="name")
    if not value or value in {".", ".."} or "/" in value or "\\" in value:
        refuse(where, f"the name {shown(value)} cannot be a file name (empty, '.', '..', '/' or '\\'); rename it")
    return value


# -- Dockerfiles ------------------------------------------------------------------------------


def image_ref(value: str, where: str) -> str:
    """``value`` as the one image token of a ``FROM`` line; anything else (a space, a flag, ``$``) is refused."""
    if not _IMAGE_TOKEN.fullmatch(value):
        refuse(
            where,
            f"{shown(value)} is not one image reference; write [REGISTRY/]NAME[:TAG][@sha256:DIGEST] "
            "(letters, digits, '.', '_', '-', ':', '/', '@')",
        )
    return value


def shell_word(value: str, where: str) -> str:
    """``value`` as one argument of a shell ``RUN`` line (``shlex.quote``); no line break, no option."""
    printable(value, where)
    if not value or value.startswith("-"):
        refuse(where, f"{shown(value)} would be read as an option or nothing; give a package or file name")
    return shlex.quote(value)


def env_name(value: str, where: str) -> str:
    """``value`` as an environment variable name (``ENV`` key, compose ``environment`` key)."""
    if not ENV_NAME.fullmatch(value):
        refuse(where, f"{shown(value)} is not an environment variable name; use letters, digits and '_'")
    return value


def env_value(value: str, where: str) -> str:
    """``value`` as the value of an ``ENV`` pair: one line; bare when inert, else double-quoted with
    ``\\``, ``"`` and ``$`` escaped (Docker expands ``$`` in ``ENV``)."""
    printable(value, where)
    if _ENV_BARE.fullmatch(value):
        return value
    return '"' + re.sub(r'([\\"$])', r"\\\1", value) + '"'


def copy_path(value: str, where: str) -> str:
    """``value`` when it can be a ``COPY`` source: one line, relative, inside the context, no pattern."""
    printable(value, where, what="path")
    if any(char in value for char in "\\*?["):
        refuse(where, f"the path {shown(value)} holds '\\', '*', '?' or '[', which COPY reads as a pattern; rename it")
    if not value or value.startswith("/") or ".." in value.split("/"):
        refuse(where, f"the path {shown(value)} is empty, absolute or leaves the root ('..'); give it inside the root")
    return value


_WORKDIR_BARE = re.compile(r"[A-Za-z0-9._@+][A-Za-z0-9._@+/-]*")


def workdir_path(value: str, where: str) -> str:
    """``/app/<value>`` for ``WORKDIR`` (``value`` a root-relative directory). WORKDIR has no JSON form
    and expands ``$``, so only plain path characters are written; anything else is refused."""
    clean = posixpath.normpath(copy_path(value, where))
    if clean == ".":
        return "/app"
    if not _WORKDIR_BARE.fullmatch(clean):
        refuse(
            where,
            f"the directory {shown(value)} holds a character WORKDIR would read specially (space, '$', quote); "
            "use letters, digits and '._@+/-' in its name",
        )
    return f"/app/{clean}"


def copy(sources: Iterable[str], dest: str, *, json_form: bool = False) -> str:
    """A ``COPY`` of sources (each checked with :func:`copy_path` by the caller) to ``dest``: bare words
    when every one is plain and not ``json_form``, else the JSON-array form with each word escaped for
    Docker's lexer."""
    words = [*sources, dest]
    if not json_form and all(_COPY_BARE.fullmatch(word) for word in words):
        return "COPY " + " ".join(words)
    # Docker processes quotes and variables in each COPY word, in the JSON form too.
    return "COPY " + json.dumps([re.sub(r"([$'\"])", r"\\\1", word) for word in words])


def exec_form(argv: Iterable[str]) -> str:
    """A JSON array for ``CMD``, ``ENTRYPOINT`` or ``HEALTHCHECK CMD`` (ASCII: one line, whatever the text)."""
    return json.dumps(list(argv))


# -- docker-bake.hcl --------------------------------------------------------------------------

_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _unicode_escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def hcl_text(value: str) -> str:
    """``value`` as the inside of an HCL string: escapes, and ``${``/``%{`` doubled (no template)."""
    out = []
    for char in value:
        if char in _HCL_ESCAPES:
            out.append(_HCL_ESCAPES[char])
        elif char.isascii() and char.isprintable():
            out.append(char)
        else:
            out.append(_unicode_escape(char))
    return "".join(out).replace("${", "$${").replace("%{", "%%{")


def hcl_string(value: str) -> str:
    """``value`` as a quoted HCL string literal."""
    return f'"{hcl_text(value)}"'


def bake_name(value: str, where: str) -> str:
    """``value`` as a bake target name: buildx accepts letters, digits, '_' and '-' only."""
    if not _BAKE_NAME.fullmatch(value):
        refuse(where, f"{shown(value)} is not a bake target name (letters, digits, '_', '-'); rename it")
    return value


def registry_problem(value: str) -> str | None:
    """None when ``value`` is a registry ``host[:port][/path]``; else the one-line message."""
    if len(value) <= _MAX_REGISTRY and _REGISTRY.fullmatch(value):
        return None
    return (
        f"{shown(value)} is not a registry; give host[:port][/path] such as ghcr.io/acme "
        "(no scheme, credentials or tag; lower-case path)"
    )


# -- compose YAML -----------------------------------------------------------------------------


def yaml_string(value: str) -> str:
    """``value`` as a YAML double-quoted scalar, ASCII only (no reader sees a line break in it)."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isascii() and char.isprintable():
            out.append(char)
        else:
            out.append(_unicode_escape(char))
    return '"' + "".join(out) + '"'


def compose_string(value: str) -> str:
    """``value`` as a compose scalar: ``$`` doubled (compose interpolates ``$``), then :func:`yaml_string`."""
    return yaml_string(value.replace("$", "$$"))
