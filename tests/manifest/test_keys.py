"""The keys users needed: workdir, per-agent env, machine network mode, gRPC health, health_port on a port."""

from __future__ import annotations

from pathlib import Path

import pytest

from depmin.errors import ConfigError
from depmin.manifest import load_fleet
from tests.conftest import MINIMAL, WriteFleet


def _problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_fleet(config)
    return [str(problem) for problem in caught.value.problems]


def test_workdir_is_a_directory_under_the_root(write_fleet: WriteFleet) -> None:
    text = MINIMAL + 'workdir = "agents"\n'
    fleet = load_fleet(write_fleet(text))
    assert fleet.agents["NLUAgent"].workdir == "agents"
    assert load_fleet(write_fleet(MINIMAL)).agents["NLUAgent"].workdir is None


@pytest.mark.parametrize(
    ("workdir", "expected"),
    [
        ("../x", "must be a path relative to the project root, inside it"),
        ("/etc", "must be a path relative to the project root, inside it"),
        ("agents/nlu.py", "is not a directory under"),
        ("missing", "does not exist under"),
        ("a\nb", "contains a control character"),
    ],
)
def test_workdir_refused(write_fleet: WriteFleet, workdir: str, expected: str) -> None:
    escaped = workdir.replace("\n", "\\n")
    problems = _problems(write_fleet(MINIMAL + f'workdir = "{escaped}"\n'))
    assert len(problems) == 1, problems
    assert problems[0].startswith("agents.toml:16: agents.NLUAgent.workdir: "), problems
    assert expected in problems[0]


def test_agent_env_is_a_sorted_table_of_names_and_values(write_fleet: WriteFleet) -> None:
    text = MINIMAL + '\n[agents.NLUAgent.env]\nRECOMMENDATION_PORT = "7211"\nA_FLAG = "x $HOME"\n'
    env = load_fleet(write_fleet(text)).agents["NLUAgent"].env
    assert list(env.items()) == [("A_FLAG", "x $HOME"), ("RECOMMENDATION_PORT", "7211")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"1BAD" = "x"', "'1BAD' is not an environment variable name"),
        ("GOOD = 3", "expected a string, got an integer"),
        ('GOOD = "a\\nb"', "contains a control character"),
        ('TOKEN_URL = "https://user:s3cret@pypi.example/simple"', "holds a URL with credentials"),
    ],
)
def test_agent_env_refused(write_fleet: WriteFleet, line: str, expected: str) -> None:
    problems = _problems(write_fleet(MINIMAL + f"\n[agents.NLUAgent.env]\n{line}\n"))
    assert len(problems) == 1, problems
    assert problems[0].startswith("agents.toml:18: agents.NLUAgent.env."), problems
    assert expected in problems[0]
    assert "s3cret" not in problems[0]


def test_machine_env_refuses_credentials_too(write_fleet: WriteFleet) -> None:
    text = MINIMAL.replace('cuda_arch = "8.9"', 'cuda_arch = "8.9"\nenv = { U = "https://u:s3cret@h/simple" }')
    problems = _problems(write_fleet(text))
    assert len(problems) == 1 and "holds a URL with credentials" in problems[0], problems
    assert "s3cret" not in problems[0] and "https://***@h/simple" in problems[0]


def test_grpc_health(write_fleet: WriteFleet) -> None:
    fleet = load_fleet(write_fleet(MINIMAL + 'health = "grpc"\n'))
    assert fleet.agents["NLUAgent"].health == "grpc"
    problems = _problems(write_fleet(MINIMAL + 'health = "grpcs"\n'))
    assert len(problems) == 1 and 'is not "tcp", "grpc" or "http:/path"' in problems[0], problems


def test_health_port_may_be_one_of_the_agents_ports(write_fleet: WriteFleet) -> None:
    text = MINIMAL.replace("health_port = 6709", "health_port = 5709")
    agent = load_fleet(write_fleet(text)).agents["NLUAgent"]
    assert agent.health_port == 5709 and agent.ports == (5709,)


_SECOND = """
[agents.Other]
entrypoint = "agents/nlu.py"
machines = ["MainPC"]
family = "cpu"
ports = [5709]
health_port = 5709
"""


def test_host_network_is_the_default_and_keeps_ports_unique_per_machine(write_fleet: WriteFleet) -> None:
    config = write_fleet(MINIMAL + _SECOND)
    assert _problems(config) == [
        "agents.toml:21: agents.Other.ports: port 5709 on MainPC is already used by agents.NLUAgent.ports; "
        'choose a free port (or give MainPC network = "bridge" if each service has its own network namespace)'
    ]
    explicit = write_fleet(MINIMAL.replace('cuda_arch = "8.9"', 'cuda_arch = "8.9"\nnetwork = "host"') + _SECOND)
    assert len(_problems(explicit)) == 1


def test_bridge_network_lets_services_share_port_numbers(write_fleet: WriteFleet) -> None:
    text = MINIMAL.replace('cuda_arch = "8.9"', 'cuda_arch = "8.9"\nnetwork = "bridge"') + _SECOND
    fleet = load_fleet(write_fleet(text))
    assert fleet.machines["MainPC"].network == "bridge"
    assert fleet.agents["Other"].ports == fleet.agents["NLUAgent"].ports == (5709,)


def test_bridge_network_still_refuses_a_port_twice_in_one_agent(write_fleet: WriteFleet) -> None:
    text = MINIMAL.replace('cuda_arch = "8.9"', 'network = "bridge"').replace("[5709]", "[5709, 5709]")
    problems = _problems(write_fleet(text))
    assert problems == ["agents.toml:14: agents.NLUAgent.ports: port 5709 is listed twice; remove one"]


def test_network_must_be_host_or_bridge(write_fleet: WriteFleet) -> None:
    text = MINIMAL.replace('cuda_arch = "8.9"', 'network = "bridged"')
    problems = _problems(write_fleet(text))
    assert problems == [
        "agents.toml:5: machines.MainPC.network: 'bridged' is not one of 'host', 'bridge' (did you mean 'bridge'?)"
    ]


def test_resources_are_read_as_compose_spells_them(write_fleet: WriteFleet) -> None:
    fleet = load_fleet(write_fleet(MINIMAL + 'resources = { cpus = 1.5, memory = "512M" }\ndata_writable = true\n'))
    agent = fleet.agents["NLUAgent"]
    assert (agent.resources.cpus, agent.resources.memory, agent.resources.gpus) == ("1.5", "512M", None)
    assert agent.data_writable is True
    default = load_fleet(write_fleet(MINIMAL)).agents["NLUAgent"]
    assert not default.resources.limits and default.data_writable is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{ cpus = "0" }', "resources.cpus: '0' is not a number of CPUs"),
        ('{ cpus = "2; rm -rf /" }', "resources.cpus: '2; rm -rf /' is not a number of CPUs"),
        ("{ cpus = [2] }", 'resources.cpus: expected a string or a number; write e.g. cpus = "2"'),
        ('{ memory = "4 GB" }', "resources.memory: '4 GB' is not a memory size"),
        ('{ memory = "4g\\nprivileged: true" }', "resources.memory: '4g\\nprivileged: true' is not a memory size"),
        ("{ memory = 4.5 }", "resources.memory: '4.5' is not a memory size"),
        ('{ gpus = "2" }', "resources.gpus: family 'cpu' has no GPU"),
        ('{ swap = "1g" }', "resources.swap: unknown key"),
    ],
)
def test_resources_refused(write_fleet: WriteFleet, value: str, expected: str) -> None:
    problems = _problems(write_fleet(MINIMAL + f"resources = {value}\n"))
    assert len(problems) == 1, problems
    assert problems[0].startswith("agents.toml:16: agents.NLUAgent."), problems
    assert expected in problems[0], problems


def test_gpus_on_a_gpu_family_is_a_count_or_all(write_fleet: WriteFleet) -> None:
    text = MINIMAL.replace('from = "python:3.11-slim"', 'from = "python:3.11-slim"\ngpu = true')
    assert load_fleet(write_fleet(text + "resources = { gpus = 1 }\n")).agents["NLUAgent"].resources.gpus == "1"
    problems = _problems(write_fleet(text + 'resources = { gpus = "some" }\n'))
    assert len(problems) == 1 and "'some' is not a GPU count" in problems[0], problems


def test_data_writable_is_a_boolean(write_fleet: WriteFleet) -> None:
    problems = _problems(write_fleet(MINIMAL + 'data_writable = "yes"\n'))
    assert problems == ["agents.toml:16: agents.NLUAgent.data_writable: expected true or false, got a string"]
