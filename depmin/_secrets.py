"""Credentials never land in a generated file or a message: every URL depmin writes or prints goes through here.

An index URL such as ``https://user:token@pypi.example/simple`` authenticates with the part before
``@``. :func:`redact_url` replaces that part with ``***`` (``https://***@pypi.example/simple``), and
:func:`redact` does the same for every URL inside a longer text (a resolver's error output), so the
host stays visible for the reader while the secret does not.
"""

from __future__ import annotations

import re

__all__ = ["has_credentials", "redact", "redact_url"]

# scheme://userinfo@ — userinfo is everything up to the last "@" before the host (RFC 3986 allows
# no "/", "?" or "#" in it; a password may hold "@" only percent-encoded, but be generous).
# The lookbehind lets a scheme start only where a run of scheme characters starts, so the search stays
# linear on hostile text (a long run of letters before "://" is tried once, not from every letter).
_USERINFO = re.compile(
    r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#\s@]*(?:@[^/?#\s@]*)*)@"
)


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``."""
    return redact(url)


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it replaced by ``***``."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}***@", text)


def has_credentials(url: str) -> bool:
    """True when ``url`` carries a ``user[:password]@`` part."""
    return _USERINFO.search(url) is not None
