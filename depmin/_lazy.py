"""A stand-in for a module that imports it when one of its attributes is first read.

``depmin.api`` composes every stage, but one command runs only a few: ``depmin scan`` needs neither
the lock, plan, build-tree, audit nor verify stage, whose imports cost about a third of its start-up.
:func:`later` gives a stand-in to bind such a stage to now: reading an attribute of it imports the real
module (through the ordinary import system, so a package and its submodules load once) and reads the
attribute there, so annotations that name the stage's types (``-> layers.PlanResult``) still resolve
with ``typing.get_type_hints``. The stand-in is never put in ``sys.modules``.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ["later"]


class _Later(ModuleType):
    def __getattr__(self, attribute: str) -> object:
        return getattr(importlib.import_module(self.__name__), attribute)


def later(name: str) -> ModuleType:
    """The module ``name`` when it is imported already, else a stand-in that imports it on first use."""
    return sys.modules.get(name) or _Later(name)
