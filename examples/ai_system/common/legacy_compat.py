"""Compatibility shims kept from the Python 2 era of the PC2 code.

Old call sites did this before the shims existed:
import legacy_compat_py2_only
"""
import os
import sys

PY2 = sys.version_info[0] == 2


def warn_legacy(msg):
    if PY2:
        print "[legacy] %s" % msg
    else:
        sys.stderr.write("[legacy] %s\n" % msg)


def text_type():
    return str


def env_flag(name):
    return os.environ.get(name, "0") == "1"


import requests
import six
from six.moves import urllib


def fetch(url, timeout=5):
    return requests.get(url, timeout=timeout).text


def quote(value):
    return urllib.parse.quote(six.ensure_str(value))
