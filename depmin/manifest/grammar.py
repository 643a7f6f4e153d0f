"""The grammar of each place an agents.toml value lands, as checks that return what is wrong.

Private to :mod:`depmin.manifest`. Every ``check_*`` function takes one value and returns ``None``
when it is valid, else the one-line message (what is wrong; the fix) the loader records at the
value's key. Every pattern is applied with :meth:`re.Pattern.fullmatch` (``$`` would accept a
trailing newline), and every value is measured before a pattern sees it, so no check does more
than linear work on a hostile value.
"""

from __future__ import annotations

import re
import urllib.parse

from depmin._names import PEP508_NAME, name_and_extras
from depmin._secrets import has_credentials, redact

__all__ = [
    "ENV_NAME",
    "MAX_NAME",
    "OCI_DOMAIN_COMPONENT",
    "OCI_PATH_COMPONENT",
    "OCI_TAG",
    "SUPPORTED_PYTHONS",
    "check_advisory",
    "check_apt",
    "check_cpus",
    "check_cuda_arch",
    "check_cuda_version",
    "check_distribution",
    "check_env_name",
    "check_env_value",
    "check_free_text",
    "check_gpus",
    "check_health",
    "check_image",
    "check_import_name",
    "check_import_or_distribution",
    "check_label",
    "check_memory",
    "check_name",
    "check_platform",
    "check_python",
    "check_requirement",
    "check_tag",
    "check_url",
    "control_character",
    "shown",
]

MAX_NAME = 63  # a DNS label: compose service names become host names
SUPPORTED_PYTHONS = tuple(f"3.{minor}" for minor in range(10, 15))

# Control characters (Unicode Cc) and the line and paragraph separators some YAML readers break on.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FREE_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab and line ends allowed

# A name, once slugged ('.' -> '-', lower-cased), is one OCI path component and a bake target name.
_NAME = re.compile(r"[A-Za-z0-9]+(?:(?:__?|[.-]+)[A-Za-z0-9]+)*")

# The OCI / Docker image reference grammar (distribution/reference), ASCII only.
# Their pieces are public: the renderers check what they write against the same grammar.
OCI_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
OCI_DOMAIN_COMPONENT = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
OCI_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_HOST = rf"(?:{OCI_DOMAIN_COMPONENT}(?:\.{OCI_DOMAIN_COMPONENT})*|\[[0-9A-Fa-f:]+\])"
_IMAGE = re.compile(
    rf"(?P<name>(?:{_HOST}(?::[0-9]+)?/)?{OCI_PATH_COMPONENT}(?:/{OCI_PATH_COMPONENT})*)"
    rf"(?::{OCI_TAG})?(?:@sha256:[a-f0-9]{{64}})?"
)
_TAG = re.compile(OCI_TAG)

_APT = re.compile(r"[a-z0-9][a-z0-9+.-]+(?:=[0-9][A-Za-z0-9.+~:-]*)?")  # Debian policy 5.6.1, 5.6.12
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PYTHON = re.compile(r"3\.[0-9]+")
_PLATFORM = re.compile(r"[a-z0-9_]+(?:-[a-z0-9_]+){0,3}")  # x86_64-manylinux_2_28, aarch64-apple-darwin
_CUDA = r"[0-9]{1,2}\.[0-9]"  # 8.9, 12.0: the GPU probe reads each as a number (no +PTX, no 9.0a)
_CUDA_ARCH = re.compile(rf"{_CUDA}(?:[; ]{_CUDA})*")
_CUDA_VERSION = re.compile(r"[1-9][0-9]?\.[0-9]{1,2}")  # 12.1, 11.8: a family's CUDA toolkit version
# RFC 3986 pchar (unreserved, pct-encoded, sub-delims but the quote, ':' and '@'), '/' and a query.
_PCHAR = r"(?:[A-Za-z0-9._~!$&()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
_HEALTH = re.compile(rf"http:/(?!/){_PCHAR}*(?:\?(?:{_PCHAR}|\?)*)?")
_PEP508_NAME = re.compile(PEP508_NAME)
_ADVISORY = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+")  # GHSA-xxxx-xxxx-xxxx, PYSEC-2024-1, CVE-2024-1
_URL_CHARS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%-]*")  # RFC 3986, without quotes


def shown(value: str, limit: int = 60) -> str:
    """``value`` quoted for a message: escaped (one line), credentials redacted, cut to ``limit``."""
    text = redact(value)
    if len(text) > limit:
        return repr(text[:limit]) + f"... ({len(text)} characters)"
    return repr(text)


def control_character(value: str) -> str | None:
    """The first control character in ``value`` as a message fragment, or None."""
    found = _CONTROL.search(value)
    return None if found is None else f"a control character ({found.group()!r} at position {found.start()})"


def _too_long(value: str, limit: int) -> str:
    return f"{shown(value)} is too long (at most {limit} characters)"


def check_name(value: str) -> str | None:
    """Names of agents, machines and families: ASCII letters and digits joined by single separators."""
    if len(value) <= MAX_NAME and _NAME.fullmatch(value):
        return None
    return (
        f"{shown(value)} is not a valid name; use at most {MAX_NAME} letters and digits, joined by "
        "'.', '-', '_' or '__' (it becomes image, bake-target and compose-service names)"
    )


def check_label(value: str) -> str | None:
    """A one-line label (``project.name``): any printable text."""
    bad = control_character(value)
    return None if bad is None else f"{shown(value)} contains {bad}; write it on one line, without it"


def check_free_text(value: str) -> str | None:
    """``description``, ``notes``, ``uncertain``: free text, where tabs and line breaks are fine."""
    found = _FREE_TEXT_CONTROL.search(value)
    if found is None:
        return None
    return f"contains a control character ({found.group()!r} at position {found.start()}); remove it"


def check_image(value: str) -> str | None:
    """``families.*.from``: an image reference, ``[REGISTRY[:PORT]/]NAME[:TAG][@sha256:DIGEST]``."""
    fix = 'write an image reference such as "python:3.11-slim" or "REGISTRY/NAME:TAG@sha256:<64 hex>"'
    if re.search(r"\s", value) or _CONTROL.search(value):
        return f"{shown(value)} contains whitespace or a control character; {fix}"
    if len(value) <= 512:
        match = _IMAGE.fullmatch(value)
        if match is not None and len(match.group("name")) <= 255:
            return None
    return f"{shown(value)} is not an image reference (lower-case name, tag [A-Za-z0-9_.-], digest sha256); {fix}"


def check_tag(value: str) -> str | None:
    """``families.*.tag``: an OCI tag, ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``."""
    if len(value) <= 128 and _TAG.fullmatch(value):
        return None
    return (
        f"{shown(value)} is not an image tag; use at most 128 letters, digits, '_', '.' and '-', "
        "starting with a letter, digit or '_'"
    )


def check_apt(value: str) -> str | None:
    """``families.*.apt``: a Debian package name, optionally ``=version``."""
    if len(value) <= 256 and _APT.fullmatch(value):
        return None
    return (
        f"{shown(value)} is not a Debian package (lower-case letters, digits, '+', '-', '.'; "
        "optionally =VERSION starting with a digit); list one package per item"
    )


def check_env_name(value: str) -> str | None:
    """An environment variable name: ``[A-Za-z_][A-Za-z0-9_]*``."""
    if len(value) <= 256 and ENV_NAME.fullmatch(value):
        return None
    return f"{shown(value)} is not an environment variable name; use letters, digits and '_', not starting with a digit"


def check_env_value(value: str) -> str | None:
    """An environment value: any one-line text (``$`` included: the renderers escape it), without a
    URL's credentials (``user:token@``), which would land in a generated file."""
    bad = control_character(value)
    if bad is not None:
        return f"the value {shown(value)} contains {bad}; environment values are one line"
    if has_credentials(value):
        return (
            f"the value {shown(value)} holds a URL with credentials, which would be written into generated "
            "files; pass secrets at run time (an env file or a secret), not in agents.toml"
        )
    return None


def check_python(value: str) -> str | None:
    """``python``: a supported ``3.X``."""
    if len(value) <= 8 and _PYTHON.fullmatch(value) and value in SUPPORTED_PYTHONS:
        return None
    return (
        f"{shown(value)} is not a supported Python version; use MAJOR.MINOR from "
        f'"{SUPPORTED_PYTHONS[0]}" to "{SUPPORTED_PYTHONS[-1]}"'
    )


def check_platform(value: str) -> str | None:
    """``project.platform``: ``ARCH-LIBC`` as uv spells it, e.g. ``x86_64-manylinux_2_28``."""
    if len(value) <= 64 and _PLATFORM.fullmatch(value):
        return None
    return f'{shown(value)} is not a platform; write ARCH-LIBC in lower case, e.g. "x86_64-manylinux_2_28"'


def check_cuda_arch(value: str) -> str | None:
    """``machines.*.cuda_arch``: compute capabilities as TORCH_CUDA_ARCH_LIST spells them."""
    if len(value) <= 128 and _CUDA_ARCH.fullmatch(value):
        return None
    return f'{shown(value)} is not a CUDA compute capability; write MAJOR.MINOR, e.g. "8.9" or "8.6;8.9"'


def check_cuda_version(value: str) -> str | None:
    """``families.*.cuda``: the CUDA version a family's wheels are built for, ``MAJOR.MINOR`` (``"12.1"``)."""
    if len(value) <= 8 and _CUDA_VERSION.fullmatch(value):
        return None
    return f'{shown(value)} is not a CUDA version; write MAJOR.MINOR, e.g. "12.1" (the PyTorch index cu121)'


# compose `deploy.resources.limits`: cpus a decimal count, memory a byte count with docker's units.
_CPUS = re.compile(r"(?:0|[1-9][0-9]{0,3})(?:\.[0-9]{1,3})?")
_MEMORY = re.compile(r"[1-9][0-9]{0,12}(?:[bkmgt]|[kmgt]b)?", re.IGNORECASE)
_GPUS = re.compile(r"[1-9][0-9]{0,2}")


def check_cpus(value: str) -> str | None:
    """``agents.*.resources.cpus``: CPUs as compose's ``cpus`` takes them, ``"0.5"``, ``"2"`` (above 0)."""
    if len(value) <= 8 and _CPUS.fullmatch(value) and float(value) > 0:
        return None
    return f'{shown(value)} is not a number of CPUs; write a decimal above 0 with at most 3 decimals, e.g. "1.5"'


def check_memory(value: str) -> str | None:
    """``agents.*.resources.memory``: bytes with an optional unit b, k, m, g, t (or kb, mb, ...)."""
    if len(value) <= 16 and _MEMORY.fullmatch(value):
        return None
    return f'{shown(value)} is not a memory size; write a whole number with a unit b, k, m, g or t, e.g. "4g"'


def check_gpus(value: str) -> str | None:
    """``agents.*.resources.gpus``: ``"all"`` or how many GPUs (1-999)."""
    if value == "all" or (len(value) <= 3 and _GPUS.fullmatch(value)):
        return None
    return f'{shown(value)} is not a GPU count; write "all" or a whole number of GPUs, e.g. 1'


def check_health(value: str) -> str | None:
    """``agents.*.health``: ``"tcp"``, ``"grpc"``, or ``"http:/path"`` with an RFC 3986 path and query."""
    if value in ("tcp", "grpc") or (len(value) <= 2048 and _HEALTH.fullmatch(value)):
        return None
    return (
        f'{shown(value)} is not "tcp", "grpc" or "http:/path"; the path starts with one \'/\' and uses URL '
        "characters only (no spaces, quotes or backslashes; %XX for others)"
    )


def check_distribution(value: str) -> str | None:
    """A distribution name (PEP 508)."""
    if len(value) <= 200 and _PEP508_NAME.fullmatch(value):
        return None
    return f"{shown(value)} is not a distribution name (PEP 508: letters, digits, '.', '_', '-'); fix the name"


def check_import_name(value: str) -> str | None:
    """An import name: dotted Python identifiers (``google.cloud.storage``)."""
    if len(value) <= 200 and all(part.isidentifier() for part in value.split(".")):
        return None
    return f"{shown(value)} is not an import name (dotted Python identifiers); fix the name"


def check_module_pattern(value: str) -> str | None:
    """``entry_modules``: a dotted module name whose parts may be ``*`` (``plugins.*``,
    ``app.components.*.config_flow``)."""
    parts = value.split(".")
    if len(value) <= 200 and all(part.isidentifier() or part == "*" for part in parts):
        return None
    return (
        f"{shown(value)} is not a module name or pattern (Python identifiers or * joined by dots, "
        'e.g. "plugins.*"); fix the entry'
    )


def check_import_or_distribution(value: str) -> str | None:
    """``include_optional``, ``ignore_imports``: an import name or a distribution name."""
    if check_import_name(value) is None or check_distribution(value) is None:
        return None
    return f"{shown(value)} is neither an import name nor a distribution name; fix the name"


def check_requirement(value: str) -> str | None:
    """``extra_requirements``: one PEP 508 requirement without a URL, safe on a pip requirements line."""
    bad = control_character(value)
    if bad is not None:
        return f"{shown(value)} contains {bad}; write one requirement per item, on one line"
    if len(value) > 1000:
        return f"{_too_long(value, 1000)}; shorten it"
    for char, meaning in (("#", "a comment"), ("$", "a variable"), ("\\", "a line continuation")):
        if char in value:
            return f"{shown(value)} contains {char!r}, which pip reads as {meaning}; remove it"
    if name_and_extras(value) is not None:  # uvicorn[standard]: valid, without packaging's parser
        return None
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

    try:
        requirement = Requirement(value)
    except InvalidRequirement as exc:
        reason = (str(exc).splitlines() or ["invalid"])[0][:120]
        return f"{shown(value)} is not a requirement ({reason}); write it as pip would, e.g. 'uvicorn[standard]>=0.30'"
    if requirement.url is not None:
        return (
            f"{shown(value)} is a URL requirement, which a hashed lock cannot pin; put the wheel in "
            "a find_links wheelhouse and require it by name"
        )
    return None


def _shown_url(value: str) -> str:
    """``value`` for a message about a URL that may be malformed: everything between ``://`` and the
    last ``@`` is hidden, even where :func:`redact` would not see a user-info part (a space in it)."""
    head, separator, rest = value.partition("://")
    if not separator:
        head, rest = "", value
    at = rest.rfind("@")
    return shown(head + separator + ("***" + rest[at:] if at >= 0 else rest))


def check_advisory(value: str) -> str | None:
    """``audit.ignore.id``: an OSV advisory ID such as ``GHSA-xxxx-xxxx-xxxx``, ``PYSEC-2024-1``, ``CVE-2024-1``."""
    if len(value) <= 100 and _ADVISORY.fullmatch(value):
        return None
    return f"{shown(value)} is not an advisory ID; write it as the advisory names it, e.g. GHSA-xxxx-xxxx-xxxx"


def check_url(value: str) -> str | None:
    """``indexes``/``find_links`` URLs: ``http(s)://HOST…`` or ``file:///ABSOLUTE/PATH``.

    Credentials (``https://user:token@host``) are accepted, but the message never shows them.
    """
    fix = "write http(s)://HOST/PATH (or file:///ABSOLUTE/PATH)"
    if len(value) > 2048:
        return f"{_shown_url(value)} is too long (at most 2048 characters); {fix}"
    if not _URL_CHARS.fullmatch(value):
        return f"{_shown_url(value)} has characters a URL cannot hold (spaces, quotes, control characters); {fix}"
    try:
        parts = urllib.parse.urlsplit(value)
        port = parts.port  # raises ValueError when the port is not a number in range
    except ValueError:
        return f"{_shown_url(value)} is not a valid URL (its host or port); {fix}"
    if parts.scheme == "file":
        local = parts.netloc in ("", "localhost") and parts.path.startswith("/")
        return None if local else f"{_shown_url(value)} is not a file URL of an absolute path; {fix}"
    if parts.scheme not in ("http", "https"):
        return f"{_shown_url(value)} is not an http(s) URL; {fix}"
    if not parts.hostname or (port is not None and not 1 <= port <= 65535):
        return f"{_shown_url(value)} has no host (or a bad port); {fix}"
    return None
