"""Escaping at render: no value from agents.toml or the scan changes the structure of the build tree.

Every fleet here is built directly (``dataclasses.replace`` on the loaded example, see ``hostile.py``),
so the manifest's validation is bypassed: the tests show what rendering alone guarantees. A value either
makes ``render_tree`` raise a one-problem ConfigError, or the tree parses with real parsers
(dockerfile-parse, PyYAML, python-hcl2) into the structure a neutral value gives.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import hcl2
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from hcl2.utils import SerializationOptions
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from depmin.cli.entry import main
from depmin.dockerfiles import render
from depmin.dockerfiles.compose import compose_file
from depmin.dockerfiles.escape import hcl_string
from depmin.errors import ConfigError
from depmin.manifest import Fleet
from tests.dockerfiles.hostile import (
    INPUTS,
    NLU_FILES,
    bake_shape,
    compose_shape,
    dockerfile_shape,
    example_fleet,
    refused,
    rename_agent,
    rename_family,
    rename_machine,
    render_fleet,
    with_agent,
    with_env,
    with_family,
    with_machine,
)

State = tuple[Fleet, render.BuildInputs]


@dataclass(frozen=True)
class Case:
    """One string-valued key that reaches the build tree: how to set it, and a neutral value."""

    key: str
    neutral: str
    apply: Callable[[Fleet, render.BuildInputs, str], State]
    renames: bool = False  # the value is a name that appears in the tree's file paths

    def state(self, value: str) -> State:
        return self.apply(example_fleet(), INPUTS, value)


def _in_common(name: str) -> str:
    return "common/" + name.replace("/", "_")


CASES = (
    Case("families.cpu.from", "python:3.11-slim", lambda f, i, v: (with_family(f, "cpu", from_image=v), i)),
    Case(
        "families.cpu-web.apt",
        "neutralpkg",
        lambda f, i, v: (with_family(f, "cpu-web", apt=(*f.families["cpu-web"].apt, v)), i),
    ),
    Case("families.cpu-web.tag", "neutral-tag", lambda f, i, v: (with_family(f, "cpu-web", tag=v), i)),
    Case(
        "families.cuda-runtime.indexes",
        "https://neutral.example/simple",
        lambda f, i, v: (with_family(f, "cuda-runtime", indexes=(v,)), i),
    ),
    Case("families.<gpu-ada>", "neutral-fam", lambda f, i, v: (rename_family(f, "gpu-ada", v), i), renames=True),
    Case("machines.MainPC.env.<key>", "NEUTRAL_KEY", lambda f, i, v: (with_env(f, v, "1"), i)),
    Case("machines.MainPC.env.OMP_NUM_THREADS", "8", lambda f, i, v: (with_env(f, "OMP_NUM_THREADS", v), i)),
    Case("machines.MainPC.cuda_arch", "8.9", lambda f, i, v: (with_machine(f, "MainPC", cuda_arch=v), i)),
    Case("machines.<PC2>", "NeutralPC", lambda f, i, v: (rename_machine(f, "PC2", v), i), renames=True),
    Case(
        "agents.<MemoryFusionHub>",
        "NeutralHub",
        lambda f, i, v: (rename_agent(f, "MemoryFusionHub", v), i),
        renames=True,
    ),
    Case(
        "agents.<NLUAgent>",  # the agent with scanned files and a delta
        "NeutralNlu",
        lambda f, i, v: (rename_agent(f, "NLUAgent", v), replace(i, files={v: NLU_FILES})),
        renames=True,
    ),
    Case("agents.NLUAgent.health", "neutral", lambda f, i, v: (with_agent(f, "NLUAgent", health="http:/" + v), i)),
    Case(
        "agents.ObservabilityDashboardAPI.cmd",
        "neutral",
        lambda f, i, v: (with_agent(f, "ObservabilityDashboardAPI", cmd=("uvicorn", v)), i),
    ),
    Case("agents.NLUAgent.entrypoint", "neutral.py", lambda f, i, v: (with_agent(f, "NLUAgent", entrypoint=v), i)),
    # files in a directory the closure has already: a new directory is one more COPY, by design
    # (paths that leave the root or are absolute: test_copy_sources_stay_inside_the_context)
    Case(
        "agents.NLUAgent.files", "neutral.txt", lambda f, i, v: (with_agent(f, "NLUAgent", files=(_in_common(v),)), i)
    ),
    Case(
        "a scanned file of NLUAgent",
        "neutral.py",
        lambda f, i, v: (f, replace(i, files={"NLUAgent": (*NLU_FILES, _in_common(v))})),
    ),
    Case("--registry", "ghcr.io/neutral", lambda f, i, v: (f, replace(i, registry=v))),
    Case("project.root", "neutral/root", lambda f, i, v: (f, replace(i, root=v))),
    Case("project.python", "3.11", lambda f, i, v: (replace(f, project=replace(f.project, python=v)), i)),
)

# Printable pieces that mean something to a shell, Docker's lexer, HCL, YAML or compose, and pieces
# with line breaks and control characters; half the values hold only the first kind (those are the
# ones rendering must escape rather than refuse).
SPECIAL = (
    '"', "'", "`", "\\", "$", "${x}", "%{x}", "$(id)", "`id`", "$HOME", ";", "&&", "|", " ", "#", "=", ":", ",",
    "-", "--", "/", "..", "*", "[", "]", "{", "}", "@", "é", "日本", "\U0001f600", " AS evil", "--platform=x",
    "user:token@", '" output = ["type=local,dest=/tmp/x"] x = "', "privileged: true", "a", "B", "7", ".", "_",
)  # fmt: skip
BREAKING = (
    "\n", "\r", "\r\n", "\x00", "\x0b", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\t", "\nRUN id",
    "\\\nRUN id", '"\n  output = ["type=local,dest=/tmp/x"]\n  x = "', "\n    privileged: true\n    x: ",
)  # fmt: skip
_printable_text = st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=4)
printable = st.lists(st.one_of(st.sampled_from(SPECIAL), _printable_text), min_size=1, max_size=5).map("".join)
anything = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.sampled_from(BREAKING), st.text(max_size=4)), min_size=1, max_size=5
).map("".join)
hostile = st.one_of(printable, anything)
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def _neutral(case: Case) -> dict[str, str]:
    return render_fleet(*case.state(case.neutral))


def _hostile(case: Case, value: str) -> tuple[dict[str, str], dict[str, str]] | None:
    """``(neutral tree with its paths as the hostile tree names them, hostile tree)``, or None when
    rendering refused the value with one located problem."""
    if case.renames:  # a name the fleet has already would merge two agents, machines or families
        assume(value not in {*example_fleet().agents, *example_fleet().machines, *example_fleet().families})
    try:
        tree = render_fleet(*case.state(value))
    except ConfigError as error:
        assert len(error.problems) == 1 and "\n" not in str(error), str(error)
        return None
    neutral = _neutral(case)
    if case.renames:
        neutral = {path.replace(case.neutral, value): text for path, text in neutral.items()}
    assert set(tree) == set(neutral), "the hostile value changed which files the tree has"
    return neutral, tree


# --------------------------------------------------------------------------------------------
# the properties: one per target


@pytest.mark.slow
@PROPERTY
@given(case=st.sampled_from(CASES), value=hostile)
def test_no_value_changes_the_instructions_of_a_dockerfile(case: Case, value: str) -> None:
    trees = _hostile(case, value)
    if trees is None:
        return
    neutral, tree = trees
    for path, text in tree.items():
        if path.endswith(".Dockerfile") and text != neutral[path]:
            assert dockerfile_shape(text) == dockerfile_shape(neutral[path]), path


@pytest.mark.slow
@PROPERTY
@given(case=st.sampled_from(CASES), value=hostile)
def test_no_value_changes_the_keys_of_a_compose_file(case: Case, value: str) -> None:
    trees = _hostile(case, value)
    if trees is None:
        return
    neutral, tree = trees
    for path, text in tree.items():
        if path.startswith("compose/") and text != neutral[path]:
            assert compose_shape(text) == compose_shape(neutral[path]), path


@pytest.mark.slow
@PROPERTY
@given(case=st.sampled_from(CASES), value=hostile)
def test_no_value_changes_the_blocks_of_the_bake_file(case: Case, value: str) -> None:
    trees = _hostile(case, value)
    if trees is None:
        return
    neutral, tree = trees
    if tree["docker-bake.hcl"] != neutral["docker-bake.hcl"]:
        assert bake_shape(tree["docker-bake.hcl"]) == bake_shape(neutral["docker-bake.hcl"])


def test_the_shapes_see_an_added_instruction_key_and_attribute() -> None:
    """The properties can fail: each shape tells a file with one more instruction, key or attribute."""
    tree = render_fleet(example_fleet())
    cpu = tree["base/cpu.Dockerfile"]
    assert dockerfile_shape(cpu.replace("FROM python:3.11-slim-bookworm", "FROM python:3.11\nRUN id")) != (
        dockerfile_shape(cpu)
    )
    assert dockerfile_shape(cpu.replace("tini", "tini;id")) != dockerfile_shape(cpu)
    main_pc = tree["compose/MainPC.yaml"]
    injected = main_pc.replace('"UVICORN_WORKERS": "4"', '"UVICORN_WORKERS": "4"\n    privileged: true', 1)
    assert compose_shape(injected) != compose_shape(main_pc)
    bake = tree["docker-bake.hcl"]
    added = bake.replace(
        '  context = "${CONTEXT}"', '  context = "${CONTEXT}"\n  output = ["type=local,dest=/tmp/x"]', 1
    )
    assert bake_shape(added) != bake_shape(bake)


# --------------------------------------------------------------------------------------------
# the cases of issue 12 that concern rendering


def test_from_with_a_newline_is_refused_not_a_run_instruction() -> None:
    message = refused(with_family(example_fleet(), "cpu", from_image="python:3.11-slim-bookworm\nRUN id"))
    assert message.startswith("agents.toml: families.cpu.from: ") and "is not one image reference" in message
    for image in ("python:3.11 AS x", "--platform=linux/arm64 python:3.11", "${BASE}", "python:3.11\\"):
        assert "families.cpu.from" in refused(with_family(example_fleet(), "cpu", from_image=image))


APT_ATTACKS = ("curl;touch${IFS}pwned", "$(touch pwned)", "`touch pwned`", "curl&&touch pwned", "a|touch pwned")


def _apt_line(tree: dict[str, str], family: str) -> str:
    return next(line for line in tree[f"base/{family}.Dockerfile"].splitlines() if "apt-get install" in line)


@pytest.mark.parametrize("package", APT_ATTACKS)
def test_apt_values_are_one_shell_word_each(package: str) -> None:
    tree = render_fleet(with_family(example_fleet(), "cpu-web", apt=("curl", package)))
    line = _apt_line(tree, "cpu-web")
    assert shlex.quote(package) in line
    words = shlex.split(line.rstrip(" \\"))
    assert words[words.index("--no-install-recommends") + 1 :] == sorted(["curl", package], key=shlex.quote)


@pytest.mark.parametrize("package", ["curl\nRUN id", "curl\rx", "-oAPT::Update::Pre-Invoke::=id", ""])
def test_apt_values_with_a_line_break_or_an_option_are_refused(package: str) -> None:
    message = refused(with_family(example_fleet(), "cpu-web", apt=(package,)))
    assert message.startswith("agents.toml: families.cpu-web.apt: ")


@pytest.mark.integration
@pytest.mark.parametrize("package", APT_ATTACKS)
def test_the_apt_run_line_runs_no_command_of_a_package_name(package: str, tmp_path: Path) -> None:
    """The RUN line of the family, run by sh with apt-get and the rest stubbed: no file appears, and
    apt-get gets the package name as one argument."""
    tree = render_fleet(with_family(example_fleet(), "cpu-web", apt=("curl", package)))
    run = next(i for i in DockerfileParser(fileobj=io.BytesIO(tree["base/cpu-web.Dockerfile"].encode())).structure
               if i["instruction"] == "RUN" and "apt-get" in i["value"])  # fmt: skip
    # apt-get and rm are stubs first on PATH: apt-get writes its arguments, rm removes nothing.
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "apt-get").write_text('#!/bin/sh\n[ "$1" = install ] && printf \'%s\\n\' "$@" > args\nexit 0\n')
    (stubs / "rm").write_text("#!/bin/sh\nexit 0\n")
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["sh", "-c", run["value"]], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "pwned").exists()
    assert (tmp_path / "args").read_text().splitlines()[-2:] == sorted(["curl", package], key=shlex.quote)


def test_env_keys_that_are_not_names_are_refused_in_dockerfiles_and_compose() -> None:
    for key in ("A\nRUN id", 'X: "1"\n    privileged: true\n    Y', "A B", "A=B", ""):
        message = refused(with_env(example_fleet(), key, "1"))
        assert message.startswith("agents.toml: machines.MainPC.env: ") and "environment variable name" in message
    machine = with_env(example_fleet(), 'X: "1"\n    privileged: true\n    Y', "1").machines["MainPC"]
    with pytest.raises(ConfigError, match=r"^agents\.toml: machines\.MainPC\.env: "):
        compose_file(example_fleet(), machine, INPUTS)


def test_an_env_value_cannot_add_a_key_to_a_compose_service() -> None:
    value = '1"\n    privileged: true\n    user: "0'
    fleet = with_env(example_fleet(), "OMP_NUM_THREADS", value)
    document = yaml.safe_load(compose_file(fleet, fleet.machines["MainPC"], INPUTS))
    for service in document["services"].values():
        assert "privileged" not in service and "user" not in service
        assert service["environment"]["OMP_NUM_THREADS"] == value
    # the same value in a Dockerfile's ENV would end the line: refused there
    assert "machines.MainPC.env.OMP_NUM_THREADS" in refused(fleet)


OUTPUT = '"\n  output = ["type=local,dest=/tmp/x"]\n  x = "'


def test_a_tag_or_registry_cannot_add_an_output_to_a_bake_target() -> None:
    assert "families.cpu-web.tag" in refused(with_family(example_fleet(), "cpu-web", tag="t" + OUTPUT))
    assert refused(example_fleet(), replace(INPUTS, registry="ghcr.io/acme" + OUTPUT)).startswith("--registry: ")
    # and the escaping under those checks: any string stays one HCL string that decodes to itself
    for value in ("t" + OUTPUT, "${REGISTRY}", "%{ if true }x%{ endif }", "a\\", 'a"b', "\r\t\x00é\U0001f600"):
        parsed = hcl2.loads(
            f"x = {hcl_string(value)}\n", serialization_options=SerializationOptions(with_comments=False)
        )
        assert list(parsed) == ["x"]
        assert _hcl_decode(parsed["x"]) == value


def _hcl_decode(raw: str) -> str:
    """An HCL quoted string back to its value (escapes, then the doubled ``$${`` and ``%%{``)."""
    assert raw.startswith('"') and raw.endswith('"')
    escapes = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}

    def one(match: re.Match[str]) -> str:
        text = match.group(0)
        if text[1] in "uU":
            return chr(int(text[2:], 16))
        return escapes[text[1]]

    body = re.sub(r"\\(?:u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", one, raw[1:-1])
    return body.replace("$${", "${").replace("%%{", "%{")


@pytest.mark.parametrize(
    "registry", ["ghcr.io/acme" + OUTPUT, "https://ghcr.io/acme", "user:token@ghcr.io", "ghcr.io/Acme", "x y", ""]
)
def test_the_registry_option_is_refused_in_one_line_before_anything_is_written(registry: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", "/nonexistent/agents.toml", "dockerfiles", "--registry", registry], out=out, err=err)
    assert code == 2
    assert err.getvalue().count("\n") == 1 and "--registry: " in err.getvalue(), err.getvalue()
    assert "token" not in err.getvalue()


def test_registry_grammar_accepts_hosts_ports_and_paths() -> None:
    for registry in ("ghcr.io/acme", "localhost:5000", "registry.example.com:443/team/sub", "[::1]:5000/x", "r"):
        tree = render_fleet(example_fleet(), replace(INPUTS, registry=registry))
        assert f'default = "{registry}"' in tree["docker-bake.hcl"]


def test_names_that_would_collide_or_leave_the_tree_are_refused() -> None:
    fleet = rename_agent(rename_agent(example_fleet(), "NLUAgent", "Foo.Bar"), "ObservabilityDashboardAPI", "Foo-Bar")
    message = refused(fleet, replace(INPUTS, files={}))
    assert message.startswith('agents.toml: agents."Foo.Bar": ') and "bake target 'foo-bar'" in message
    for name in ("../../etc/x", "a/b", ".."):
        assert refused(rename_agent(example_fleet(), "ObservabilityDashboardAPI", name)).startswith(
            f"agents.toml: agents.{json.dumps(name)}: "
        )
    assert refused(rename_machine(example_fleet(), "PC2", "default")).startswith("agents.toml: machines.default: ")


def test_copy_sources_stay_inside_the_context() -> None:
    for path in ("/etc/shadow", "../../etc/shadow", "common/*.py", "common/a\\b.py", "a\nRUN id"):
        assert "agents.NLUAgent.files" in refused(with_agent(example_fleet(), "NLUAgent", files=(path,)))


def test_copy_words_are_escaped_for_dockers_lexer() -> None:
    name = 'common/it\'s $HOME "x".py'
    text = render_fleet(example_fleet(), replace(INPUTS, files={"NLUAgent": (name,)}))["agents/NLUAgent.Dockerfile"]
    line = next(line for line in text.splitlines() if "it" in line and line.startswith("COPY"))
    assert json.loads(line.removeprefix("COPY ")) == [
        'examples/ai_system/common/it\\\'s \\$HOME \\"x\\".py',
        "/app/common/",
    ]


# --------------------------------------------------------------------------------------------
# $ is not expanded


def test_dollar_in_values_is_escaped_for_docker_and_for_compose() -> None:
    value = "$HOME ${PATH} $(id) `id` \\ \" '"
    fleet = with_env(example_fleet(), "OMP_NUM_THREADS", value)
    tree = render_fleet(fleet)
    env = next(i for i in DockerfileParser(fileobj=io.BytesIO(tree["agents/NLUAgent.Dockerfile"].encode())).structure
               if i["instruction"] == "ENV")  # fmt: skip
    assert 'OMP_NUM_THREADS="\\$HOME \\${PATH} \\$(id) `id` \\\\ \\" \'"' in env["value"]
    compose = yaml.safe_load(tree["compose/MainPC.yaml"])
    assert compose["services"]["nluagent"]["environment"]["OMP_NUM_THREADS"] == value.replace("$", "$$")


@pytest.mark.integration
def test_buildah_reads_env_values_back_unexpanded(tmp_path: Path) -> None:
    """A real Dockerfile reader (buildah's) on the rendered ENV lines: every value comes back as written."""
    from tests import buildenv  # noqa: PLC0415 - only this test needs buildah

    buildenv.require_tools("buildah")
    buildenv.require_root("buildah with vfs storage")
    value = "$HOME ${PATH} $(id) `id` \\ \" ' é"
    tree = render_fleet(with_env(with_env(example_fleet(), "OMP_NUM_THREADS", value), "UVICORN_WORKERS", "a b"))
    env = [line for line in tree["base/gpu-ada.Dockerfile"].split("\n\n") if line.startswith("ENV ")]
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\n" + env[0] + "\n", encoding="utf-8")
    builder = buildenv.Buildah(tmp_path / "buildah")
    builder("build", "--isolation", "chroot", "-t", "localhost/depmin-test-escaping:env", str(context))
    found = dict(item.split("=", 1) for item in builder.config("localhost/depmin-test-escaping:env")["Env"])
    assert found["OMP_NUM_THREADS"] == value
    assert found["UVICORN_WORKERS"] == "a b"
    assert found["TORCH_CUDA_ARCH_LIST"] == "8.9"


# --------------------------------------------------------------------------------------------
# secrets


MOUNT = "RUN --mount=type=secret,id=pip-conf,target=/etc/pip.conf,required=true pip install"


def _mounting(tree: dict[str, str]) -> set[str]:
    return {path.split("/")[1].removesuffix(".Dockerfile") for path, text in tree.items() if MOUNT in text}


def test_no_credential_of_an_index_reaches_any_file() -> None:
    secret = "https://deploy:s3cr3t-t0ken@pypi.example/simple"
    tree = render_fleet(with_family(example_fleet(), "cpu", indexes=(secret,)))
    assert [path for path, text in tree.items() if "s3cr3t" in text or "pypi.example" in text] == []
    # the families built on cpu, and the cpu agents with a delta to install, mount the pip.conf secret
    # (NLUAgent is the one cpu agent of the fleet here with a delta)
    assert _mounting(tree) == {"cpu", "cpu-web", "cpu-audio", "NLUAgent"}
    bake = hcl2.loads(tree["docker-bake.hcl"], serialization_options=SerializationOptions(with_comments=False))
    targets = {name.strip('"'): body for block in bake["target"] for name, body in block.items()}
    assert targets["family-cpu-web"]["secret"] == ['"id=pip-conf,src=${PIP_CONF}"']
    assert "secret" in targets["nluagent"] and "secret" not in targets["family-cuda-runtime"]
    assert [v for block in bake["variable"] for v in block] == ['"REGISTRY"', '"TAG"', '"CONTEXT"', '"PIP_CONF"']
    # a layer holds the distributions of the families built on it: an index of cpu-web reaches cpu too
    assert _mounting(render_fleet(with_family(example_fleet(), "cpu-web", indexes=(secret,)))) >= {"cpu", "cpu-web"}
    assert "cpu-audio" not in _mounting(render_fleet(with_family(example_fleet(), "cpu-web", indexes=(secret,))))
    without = render_fleet(example_fleet())
    assert _mounting(without) == set() and "PIP_CONF" not in without["docker-bake.hcl"]


def test_a_refused_value_never_shows_its_credentials() -> None:
    message = refused(with_family(example_fleet(), "cpu", from_image="https://user:hunter2@registry.example/python\n"))
    assert "hunter2" not in message and "***@registry.example" in message


# --------------------------------------------------------------------------------------------
# health: the probe itself is tested in test_health_probe.py


def test_unknown_health_kinds_are_refused() -> None:
    for health in ("grpcs", "tcp\nRUN id", "http:x", ""):
        assert "agents.NLUAgent.health" in refused(with_agent(example_fleet(), "NLUAgent", health=health))
