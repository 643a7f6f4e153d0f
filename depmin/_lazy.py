"""A stand-in for a module that imports it when one of its attributes is first read, and a package's
names imported on first use.

``depmin.api`` composes every stage, but one command runs only a few: ``depmin scan`` needs neither
the lock, plan, build-tree, audit nor verify stage, whose imports cost about a third of its start-up.
:func:`later` gives a stand-in to bind such a stage to now: reading an attribute of it imports the real
module (through the ordinary import system, so a package and its submodules load once) and reads the
attribute there, so annotations that name the stage's types (``-> layers.PlanResult``) still resolve
with ``typing.get_type_hints``. The stand-in is never put in ``sys.modules``.

A stage's package re-exports the names of its modules; importing them all in its ``__init__`` would
load every module of the stage for a command that uses one. :func:`exports` gives such a package its
PEP 562 ``__getattr__`` and ``__dir__``: a name is imported from the module that defines it when it
is first read (``from depmin.requirements import Mapper`` loads ``depmin.requirements.mapping`` only).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType

__all__ = ["exports", "later"]


class _Later(ModuleType):
    def __getattr__(self, attribute: str) -> object:
        return getattr(importlib.import_module(self.__name__), attribute)


def later(name: str) -> ModuleType:
    """The module ``name`` when it is imported already, else a stand-in that imports it on first use."""
    return sys.modules.get(name) or _Later(name)


def exports(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``package``'s ``__getattr__`` and ``__dir__``, from ``where``: each public name -> the module that
    defines it. A name read is imported from its module and kept in the package's namespace, so it is
    looked up once; a name ``where`` does not list raises AttributeError as usual."""
    namespace = sys.modules[package].__dict__

    def attribute(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted({*namespace, *where})

    return attribute, names
