"""Credentials in URLs are redacted before they are written or printed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from depmin._secrets import has_credentials, redact, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:token@pypi.example/simple", "https://***@pypi.example/simple"),
        ("https://token@pypi.example/simple", "https://***@pypi.example/simple"),
        ("https://us%40er:p@ss@pypi.example/simple", "https://***@pypi.example/simple"),
        ("https://pypi.example/simple?who=a@b", "https://pypi.example/simple?who=a@b"),
        ("file:///srv/wheels", "file:///srv/wheels"),
        ("wheels/local", "wheels/local"),
    ],
)
def test_redact_url_hides_userinfo_and_keeps_the_rest(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert has_credentials(url) == (shown != url)


def test_redact_finds_every_url_in_a_message() -> None:
    message = "uv failed: GET https://a:b@one.example/simple/x/ then http://c@two.example/y: 401"
    assert redact(message) == "uv failed: GET https://***@one.example/simple/x/ then http://***@two.example/y: 401"


@pytest.mark.integration
def test_redact_stays_linear_on_hostile_text() -> None:
    """A long run of scheme characters before '://' used to take the regex quadratic time (52 s on
    100 KB): bounded here by the subprocess timeout, so a regression fails instead of hanging."""
    code = "from depmin._secrets import redact; assert redact('a' * 200_000 + '://x').endswith('://x')"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)
