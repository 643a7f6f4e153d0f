"""Platform and interpreter compatibility helpers."""
import os
import sys

if sys.platform == "win32":
    import msvcrt
    import win32api
    import win32con
else:
    import fcntl

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def lock_file(fh) -> None:
    if sys.platform == "win32":
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def load_toml(path) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def set_priority_low() -> None:
    if sys.platform == "win32":
        handle = win32api.GetCurrentProcess()
        win32api.SetPriorityClass(handle, win32con.BELOW_NORMAL_PRIORITY_CLASS)
    else:
        os.nice(5)
