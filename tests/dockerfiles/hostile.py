"""Hostile values on the example fleet, for the escaping tests: the fleet with one value changed, and
the structure of each generated file as a real parser reads it.

Every fleet is built directly (``dataclasses.replace`` on the loaded example), so the manifest's
validation is bypassed: what the tests see is what rendering alone guarantees.
"""

from __future__ import annotations

import functools
import io
import json
import shlex
from dataclasses import replace
from typing import Any

import hcl2
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from hcl2.utils import SerializationOptions

from depmin.dockerfiles import render
from depmin.errors import ConfigError
from depmin.manifest import Fleet, load_fleet
from tests.conftest import EXAMPLE_CONFIG
from tests.dockerfiles.test_dockerfiles import _example_plan

# One agent of each family, and the agents with something particular: two machines with different
# settings (MemoryFusionHub, SelfHealingSupervisor with the Docker socket), an HTTP health check
# (ObservabilityDashboardAPI), a delta and scanned files (NLUAgent), a GPU family (ModelOpsCoordinator).
NAMED = ("MemoryFusionHub", "NLUAgent", "ObservabilityDashboardAPI", "ModelOpsCoordinator", "SelfHealingSupervisor")
NLU_FILES = ("main_pc_code/agents/nlu_agent.py", "common/__init__.py", "common/config.py")
INPUTS = render.BuildInputs(files={"NLUAgent": NLU_FILES}, apt={"cpu": ("libsndfile1",)}, root="examples/ai_system")


@functools.cache
def example_fleet() -> Fleet:
    """The example fleet cut to one agent of each family and the agents of ``NAMED`` (files stay small)."""
    full = load_fleet(EXAMPLE_CONFIG)
    first = {agent.family: name for name, agent in sorted(full.agents.items(), reverse=True)}
    keep = set(NAMED) | set(first.values())
    return replace(full, agents={name: agent for name, agent in full.agents.items() if name in keep})


def render_fleet(fleet: Fleet, inputs: render.BuildInputs = INPUTS) -> dict[str, str]:
    """The build tree of ``fleet``, planned over the small made-up locks of test_dockerfiles."""
    return render.render_tree(fleet, _example_plan(fleet), inputs)


# --------------------------------------------------------------------------------------------
# the fleet with one value changed


def with_family(fleet: Fleet, name: str, **changes: Any) -> Fleet:
    return replace(fleet, families={**fleet.families, name: replace(fleet.families[name], **changes)})


def with_agent(fleet: Fleet, name: str, **changes: Any) -> Fleet:
    return replace(fleet, agents={**fleet.agents, name: replace(fleet.agents[name], **changes)})


def with_machine(fleet: Fleet, name: str, **changes: Any) -> Fleet:
    return replace(fleet, machines={**fleet.machines, name: replace(fleet.machines[name], **changes)})


def rename_family(fleet: Fleet, old: str, new: str) -> Fleet:
    families = {
        (new if key == old else key): replace(
            family, name=new if key == old else key, extends=new if family.extends == old else family.extends
        )
        for key, family in fleet.families.items()
    }
    agents = {key: replace(a, family=new) if a.family == old else a for key, a in fleet.agents.items()}
    return replace(fleet, families=families, agents=agents)


def rename_machine(fleet: Fleet, old: str, new: str) -> Fleet:
    machines = {(new if k == old else k): replace(m, name=new) if k == old else m for k, m in fleet.machines.items()}
    agents = {
        k: replace(a, machines=tuple(new if m == old else m for m in a.machines)) for k, a in fleet.agents.items()
    }
    families = {k: replace(f, machine=new) if f.machine == old else f for k, f in fleet.families.items()}
    return replace(fleet, machines=machines, agents=agents, families=families)


def rename_agent(fleet: Fleet, old: str, new: str) -> Fleet:
    agents = {(new if k == old else k): replace(a, name=new) if k == old else a for k, a in fleet.agents.items()}
    return replace(fleet, agents=agents)


def with_env(fleet: Fleet, key: str, value: str) -> Fleet:
    return with_machine(fleet, "MainPC", env={**fleet.machines["MainPC"].env, key: value})


# --------------------------------------------------------------------------------------------
# structure, as each real parser sees it


def _words(value: str) -> int:
    """How many words a real reader sees: JSON arrays by their length, the rest as a shell does."""
    if value.startswith("["):
        try:
            return len(json.loads(value))
        except json.JSONDecodeError:
            pass
    lexer = shlex.shlex(value, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return len(list(lexer))


def dockerfile_shape(text: str) -> tuple[list[str], list[tuple[str, int]]]:
    """The instructions in order, and each with the number of words of its value (comments: 0) as a
    multiset: a value may move a ``COPY`` among the others (its directory sorts elsewhere)."""
    parsed = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8"))).structure
    names = [i["instruction"] for i in parsed]
    words = [(i["instruction"], 0 if i["instruction"] == "COMMENT" else _words(i["value"])) for i in parsed]
    return names, sorted(words)


def _yaml_shape(value: object) -> object:
    if isinstance(value, dict):
        return sorted((str(k), repr(_yaml_shape(v))) for k, v in value.items())
    if isinstance(value, list):
        return [_yaml_shape(v) for v in value]
    return type(value).__name__


def compose_shape(text: str) -> object:
    """Top-level keys; every service's keys at every level (names and environment keys vary: the
    services as a multiset, each environment by its size)."""
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    services = []
    for service in document["services"].values():
        environment = service.get("environment", {})
        assert all(isinstance(v, str) for v in environment.values())
        rest = {k: v for k, v in service.items() if k != "environment"}
        services.append(repr((_yaml_shape(rest), len(environment))))
    return sorted(document), sorted(services)


def bake_shape(text: str) -> object:
    """Each kind of block with, per block, its number of labels and its attribute names and kinds."""
    document = hcl2.loads(text, serialization_options=SerializationOptions(with_comments=False))
    shape = {}
    for kind, blocks in document.items():
        entries = []
        for block in blocks:
            labels = 0
            body = block
            while len(body) == 1 and isinstance(next(iter(body.values())), dict):
                labels, body = labels + 1, next(iter(body.values()))
            attributes = {
                k: type(v).__name__ + str(len(v) if isinstance(v, (list, dict)) else "") for k, v in body.items()
            }
            entries.append(repr((labels, sorted(attributes.items()))))
        shape[kind] = sorted(entries)
    return shape


def refused(fleet: Fleet, inputs: render.BuildInputs = INPUTS) -> str:
    """The one-line message of the one problem rendering ``fleet`` raises."""
    with pytest.raises(ConfigError) as caught:
        render_fleet(fleet, inputs)
    assert len(caught.value.problems) == 1
    return str(caught.value)
