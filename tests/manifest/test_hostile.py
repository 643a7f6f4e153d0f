"""Hostile agents.toml values: each is refused at load with its exact one-line, located message.

One test per value that reached a generated file before (issue 12): image references, apt packages,
environment entries, tags, names and their slugs, Python, health paths, mapping values, extra
requirements, paths (and symlinks that leave the root), URLs (whose credentials never show) and
numbers. The bounds on the file itself are in test_bounds.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from depmin.errors import ConfigError
from depmin.manifest import load_fleet, slug
from tests.conftest import MINIMAL, WriteFleet

FAMILY = 'from = "python:3.11-slim"'
NAME_RULE = (
    "is not a valid name; use at most 63 letters and digits, joined by '.', '-', '_' or '__' "
    "(it becomes image, bake-target and compose-service names)"
)
APT_RULE = (
    "is not a Debian package (lower-case letters, digits, '+', '-', '.'; optionally =VERSION starting with a "
    "digit); list one package per item"
)
IMAGE_FIX = 'write an image reference such as "python:3.11-slim" or "REGISTRY/NAME:TAG@sha256:<64 hex>"'
URL_FIX = "write http(s)://HOST/PATH (or file:///ABSOLUTE/PATH)"
HEALTH_RULE = (
    'is not "tcp", "grpc" or "http:/path"; the path starts with one \'/\' and uses URL characters only '
    "(no spaces, quotes or backslashes; %XX for others)"
)
AGENT = '\n[agents.{name}]\nentrypoint = "agents/nlu.py"\nmachines = ["MainPC"]\nfamily = "cpu"\n'


def _problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_fleet(config)
    return [str(problem) for problem in caught.value.problems]


def _replace(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new)


# -- image references, apt packages, tags ---------------------------------------------------------


def test_image_with_a_newline_cannot_add_an_instruction(write_fleet: WriteFleet) -> None:
    config = write_fleet(_replace(FAMILY, 'from = "python:3.11-slim-bookworm\\nRUN id"'))
    assert _problems(config) == [
        "agents.toml:8: families.cpu.from: 'python:3.11-slim-bookworm\\nRUN id' contains whitespace or a control "
        f"character; {IMAGE_FIX}"
    ]


@pytest.mark.parametrize("image", ["Python:3.11", "python:3.11@sha256:abc", "python:-x", "python::3", "a//b"])
def test_image_outside_the_reference_grammar(write_fleet: WriteFleet, image: str) -> None:
    config = write_fleet(_replace(FAMILY, f'from = "{image}"'))
    assert _problems(config) == [
        f"agents.toml:8: families.cpu.from: {image!r} is not an image reference (lower-case name, tag "
        f"[A-Za-z0-9_.-], digest sha256); {IMAGE_FIX}"
    ]


def test_image_with_registry_port_path_tag_and_digest_loads(write_fleet: WriteFleet) -> None:
    image = "registry.example:5000/team/python:3.11-slim@sha256:" + "0a" * 32
    fleet = load_fleet(write_fleet(_replace(FAMILY, f'from = "{image}"')))
    assert fleet.base_image("cpu") == image


def test_apt_values_cannot_run_commands(write_fleet: WriteFleet) -> None:
    apt = '["curl; id", "$(id)", "`id`", "tini\\nRUN id", "curl=abc", "curl=7.88.1-10+deb12u5", "libc++1"]'
    problems = _problems(write_fleet(_replace(FAMILY, f"{FAMILY}\napt = {apt}")))
    bad = ["'curl; id'", "'$(id)'", "'`id`'", "'tini\\nRUN id'", "'curl=abc'"]
    assert problems == [f"agents.toml:9: families.cpu.apt: {value} {APT_RULE}" for value in bad]


def test_tag_cannot_break_out_of_its_bake_string(write_fleet: WriteFleet) -> None:
    config = write_fleet(_replace(FAMILY, f'{FAMILY}\ntag = \'x" output = ["type=local,dest=/"] #\''))
    assert _problems(config) == [
        'agents.toml:9: families.cpu.tag: \'x" output = ["type=local,dest=/"] #\' is not an image tag; use at '
        "most 128 letters, digits, '_', '.' and '-', starting with a letter, digit or '_'"
    ]


# -- environment ----------------------------------------------------------------------------------


def test_env_names_and_values(write_fleet: WriteFleet) -> None:
    env = 'env = { "A\\nRUN id" = "1", "1X" = "2", B = "x\\ny", C = "$HOME and $(id)" }'
    problems = _problems(write_fleet(_replace('cuda_arch = "8.9"', f'cuda_arch = "8.9"\n{env}')))
    rule = "is not an environment variable name; use letters, digits and '_', not starting with a digit"
    assert problems == [
        f"agents.toml:6: machines.MainPC.env.\"A\\nRUN id\": 'A\\nRUN id' {rule}",
        f"agents.toml:6: machines.MainPC.env.1X: '1X' {rule}",
        "agents.toml:6: machines.MainPC.env.B: the value 'x\\ny' contains a control character ('\\n' at "
        "position 1); environment values are one line",
    ]


def test_env_value_with_a_dollar_loads_as_written(write_fleet: WriteFleet) -> None:
    fleet = load_fleet(write_fleet(_replace('cuda_arch = "8.9"', 'env = { C = "$HOME and $(id)" }')))
    assert fleet.machines["MainPC"].env == {"C": "$HOME and $(id)"}


def test_cuda_arch_grammar(write_fleet: WriteFleet) -> None:
    config = write_fleet(_replace('cuda_arch = "8.9"', 'cuda_arch = "8.9; rm -rf /"'))
    assert _problems(config) == [
        "agents.toml:5: machines.MainPC.cuda_arch: '8.9; rm -rf /' is not a CUDA compute capability; write "
        'MAJOR.MINOR, e.g. "8.9" or "8.6;8.9"'
    ]
    fleet = load_fleet(write_fleet(_replace('cuda_arch = "8.9"', 'cuda_arch = "8.6;8.9 12.0"')))
    assert fleet.machines["MainPC"].environment["TORCH_CUDA_ARCH_LIST"] == "8.6;8.9 12.0"


# -- names ----------------------------------------------------------------------------------------


def test_name_ending_in_a_newline(write_fleet: WriteFleet) -> None:
    config = write_fleet(MINIMAL + AGENT.format(name='"Evil\\n"'))
    assert _problems(config) == [f"agents.toml:17: agents.\"Evil\\n\": 'Evil\\n' {NAME_RULE}"]


def test_names_a_generated_name_cannot_hold(write_fleet: WriteFleet) -> None:
    text = MINIMAL + '\n[machines.PC2-]\n\n[families."a_.b"]\nextends = "cpu"\n'
    assert _problems(write_fleet(text)) == [
        f"agents.toml:17: machines.PC2-: 'PC2-' {NAME_RULE}",
        f"agents.toml:19: families.a_.b: 'a_.b' {NAME_RULE}",
    ]


def test_names_that_collide_once_slugged(write_fleet: WriteFleet) -> None:
    text = MINIMAL + AGENT.format(name='"NLU.Agent"') + AGENT.format(name="NLU-Agent")
    assert slug("NLU.Agent") == slug("NLU-Agent") == "nlu-agent"
    assert _problems(write_fleet(text)) == [
        "agents.toml:17: agents.NLU.Agent: duplicate name: 'NLU.Agent' and 'NLU-Agent' are both 'nlu-agent' in "
        "image, bake-target and compose-service names ('.' becomes '-', letters lower case); rename one"
    ]


def test_agent_named_like_a_family_bake_target(write_fleet: WriteFleet) -> None:
    assert _problems(write_fleet(MINIMAL + AGENT.format(name="family-cpu"))) == [
        "agents.toml:17: agents.family-cpu: the bake target and image name 'family-cpu' is also the one of "
        "families.cpu; rename the agent"
    ]


def test_agent_named_like_a_per_machine_target(write_fleet: WriteFleet) -> None:
    text = _replace('machines = ["MainPC"]', 'machines = ["MainPC", "PC2"]') + "\n[machines.PC2]\n"
    text += AGENT.format(name="nluagent-pc2")
    assert _problems(write_fleet(text)) == [
        "agents.toml:19: agents.nluagent-pc2: the bake target and image name 'nluagent-pc2' is also the one of "
        "agents.NLUAgent on PC2; rename the agent"
    ]


# -- Python, platform, health ---------------------------------------------------------------------


def test_python_and_platform(write_fleet: WriteFleet) -> None:
    text = _replace('root = "repo"', 'root = "repo"\npython = "3.9"\nplatform = "x86_64 manylinux"')
    problems = _problems(write_fleet(text + 'python = "3.11\\n"\n'))
    rule = 'is not a supported Python version; use MAJOR.MINOR from "3.10" to "3.14"'
    assert problems == [
        f"agents.toml:3: project.python: '3.9' {rule}",
        "agents.toml:4: project.platform: 'x86_64 manylinux' is not a platform; write ARCH-LIBC in lower case, "
        'e.g. "x86_64-manylinux_2_28"',
        f"agents.toml:18: agents.NLUAgent.python: '3.11\\n' {rule}",
    ]


@pytest.mark.parametrize(
    "health",
    ["http:/x'); import os; os.system('id'); ('", "http://host/x", "http:/a b", "http:/a\\\\b", "tcp\\n", "http:"],
)
def test_health_outside_the_url_path_grammar(write_fleet: WriteFleet, health: str) -> None:
    config = write_fleet(MINIMAL + f'health = "{health.replace(chr(34), chr(92) + chr(34))}"\n')
    value = health.replace("\\\\", "\\").replace("\\n", "\n")
    assert _problems(config) == [f"agents.toml:16: agents.NLUAgent.health: {value!r} {HEALTH_RULE}"]


def test_health_path_with_a_query_loads(write_fleet: WriteFleet) -> None:
    fleet = load_fleet(write_fleet(MINIMAL + 'health = "http:/ok/v1;x=1?a=b&c=%20"\n'))
    assert fleet.agents["NLUAgent"].health == "http:/ok/v1;x=1?a=b&c=%20"


# -- mapping and requirements ---------------------------------------------------------------------


def test_mapping_values_are_distribution_names(write_fleet: WriteFleet) -> None:
    mapping = '[mapping]\ncv2 = ""\nyaml = "PyYAML\\n--extra-index-url http://evil/"\n"a b" = "x"\n\n'
    text = _replace("[machines.MainPC]", mapping + "[machines.MainPC]")
    text += 'mapping = { cv2 = "opencv python" }\n'
    rule = "is not a distribution name (PEP 508: letters, digits, '.', '_', '-'); fix the name"
    assert _problems(write_fleet(text)) == [
        f"agents.toml:5: mapping.cv2: '' {rule}",
        f"agents.toml:6: mapping.yaml: 'PyYAML\\n--extra-index-url http://evil/' {rule}",
        "agents.toml:7: mapping.\"a b\": 'a b' is not an import name (dotted Python identifiers); fix the name",
        f"agents.toml:21: agents.NLUAgent.mapping.cv2: 'opencv python' {rule}",
    ]


def test_extra_requirements_are_single_pep508_lines_without_urls(write_fleet: WriteFleet) -> None:
    extras = [
        "beta @ https://x.example/beta.whl",
        "a\\n--index-url http://evil",
        "a # b",
        "a; extra == '${HOME}'",
        "not a req!",
        'uvicorn[standard]>=0.30; python_version >= \\"3.10\\"',
    ]
    config = write_fleet(MINIMAL + "extra_requirements = [" + ", ".join(f'"{e}"' for e in extras) + "]\n")
    where = "agents.toml:16: agents.NLUAgent.extra_requirements"
    assert _problems(config) == [
        f"{where}: 'beta @ https://x.example/beta.whl' is a URL requirement, which a hashed lock cannot pin; put the "
        "wheel in a find_links wheelhouse and require it by name",
        f"{where}: 'a\\n--index-url http://evil' contains a control character ('\\n' at position 1); write one "
        "requirement per item, on one line",
        f"{where}: 'a # b' contains '#', which pip reads as a comment; remove it",
        f"{where}: \"a; extra == '${{HOME}}'\" contains '$', which pip reads as a variable; remove it",
        f"{where}: 'not a req!' is not a requirement (Expected semicolon (after name with no version specifier) or "
        "end); write it as pip would, e.g. 'uvicorn[standard]>=0.30'",
    ]


def test_import_and_distribution_lists(write_fleet: WriteFleet) -> None:
    text = MINIMAL + 'include_optional = ["a b", "opencv-python", "google.cloud"]\nignore_imports = ["x;y"]\n'
    text = text.replace(FAMILY, f'{FAMILY}\nalways = ["torch", "bad name"]')
    assert _problems(write_fleet(text)) == [
        "agents.toml:9: families.cpu.always: 'bad name' is not a distribution name (PEP 508: letters, digits, '.', "
        "'_', '-'); fix the name",
        "agents.toml:17: agents.NLUAgent.include_optional: 'a b' is neither an import name nor a distribution name; "
        "fix the name",
        "agents.toml:18: agents.NLUAgent.ignore_imports: 'x;y' is neither an import name nor a distribution name; "
        "fix the name",
    ]


def test_entry_modules_are_module_names_or_patterns(write_fleet: WriteFleet) -> None:
    text = MINIMAL + 'entry_modules = ["plugins.*", "app.*.config_flow", "a..b", "x/y", "**"]\n'
    assert _problems(write_fleet(text)) == [
        f"agents.toml:16: agents.NLUAgent.entry_modules: {value!r} is not a module name or pattern (Python "
        'identifiers or * joined by dots, e.g. "plugins.*"); fix the entry'
        for value in ("a..b", "x/y", "**")
    ]


# -- paths ----------------------------------------------------------------------------------------


def test_entrypoint_with_a_newline(write_fleet: WriteFleet) -> None:
    text = _replace('"agents/nlu.py"', '"agents/nlu.py\\n--extra-index-url http://evil"')
    assert _problems(write_fleet(text)) == [
        "agents.toml:11: agents.NLUAgent.entrypoint: 'agents/nlu.py\\n--extra-index-url http://evil' contains a "
        "control character ('\\n' at position 13); rename the file or fix the path"
    ]


def test_entrypoint_of_ten_thousand_characters(write_fleet: WriteFleet) -> None:
    config = write_fleet(_replace('"agents/nlu.py"', '"' + "a" * 10_000 + '.py"'))
    assert _problems(config) == [
        f"agents.toml:11: agents.NLUAgent.entrypoint: {'a' * 60!r}... (10003 characters) is too long (at most 1024 "
        "characters); shorten the path"
    ]


def test_file_name_longer_than_the_file_system_allows(write_fleet: WriteFleet) -> None:
    config = write_fleet(_replace('"agents/nlu.py"', '"agents/' + "a" * 300 + '.py"'))
    assert _problems(config) == [
        f"agents.toml:11: agents.NLUAgent.entrypoint: {('agents/' + 'a' * 53)!r}... (310 characters) has a file "
        "name longer than 255 bytes; shorten it"
    ]


def test_root_with_a_newline(write_fleet: WriteFleet) -> None:
    assert _problems(write_fleet(_replace('root = "repo"', 'root = "repo\\n"'))) == [
        "agents.toml:2: project.root: 'repo\\n' contains a control character ('\\n' at position 4); write it on one "
        "line, without it"
    ]


def test_source_roots_and_constraints_outside(write_fleet: WriteFleet) -> None:
    project = 'root = "repo"\nsource_roots = ["..", "/usr", "agents"]\nconstraints = "../c.txt"'
    assert _problems(write_fleet(_replace('root = "repo"', project))) == [
        "agents.toml:3: project.source_roots.0: '..' must be a path relative to the project root, inside it",
        "agents.toml:3: project.source_roots.1: '/usr' must be a path relative to the project root, inside it",
        "agents.toml:4: project.constraints: '../c.txt' must be a path relative to the directory of agents.toml, "
        "inside it",
    ]


@pytest.mark.parametrize("key", ["entrypoint", "files", "requirements", "source_roots", "constraints", "find_links"])
def test_symlink_that_leaves_its_base_is_refused(write_fleet: WriteFleet, tmp_path: Path, key: str) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    (outside / "pkg").mkdir(parents=True)
    (outside / "evil.py").write_text("", encoding="utf-8")
    config = write_fleet()
    base = tmp_path if key in ("constraints", "find_links") else tmp_path / "repo"
    target = outside / "pkg" if key in ("source_roots", "find_links", "files") else outside / "evil.py"
    (base / "link").symlink_to(target)
    line, text = {
        "entrypoint": (11, _replace('"agents/nlu.py"', '"link"')),
        "files": (16, MINIMAL + 'files = ["link"]\n'),
        "requirements": (16, MINIMAL + 'requirements = ["link"]\n'),
        "source_roots": (3, _replace('root = "repo"', 'root = "repo"\nsource_roots = ["link"]')),
        "constraints": (3, _replace('root = "repo"', 'root = "repo"\nconstraints = "link"')),
        "find_links": (9, _replace(FAMILY, f'{FAMILY}\nfind_links = ["link"]')),
    }[key]
    config.write_text(text, encoding="utf-8")
    where = {
        "source_roots": "project.source_roots.0",
        "constraints": "project.constraints",
        "find_links": "families.cpu.find_links",
        "files": "agents.NLUAgent.files.0",
        "requirements": "agents.NLUAgent.requirements.0",
        "entrypoint": "agents.NLUAgent.entrypoint",
    }[key]
    within = "the directory of agents.toml" if key in ("constraints", "find_links") else "the project root"
    assert _problems(config) == [
        f"agents.toml:{line}: {where}: 'link' resolves to {target.resolve()}, outside {within} {base.resolve()}; "
        "point it (or its symlink) inside"
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_entrypoint_and_constraints_that_are_fifos(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet(_replace('root = "repo"', 'root = "repo"\nconstraints = "pipe"'))
    os.mkfifo(tmp_path / "pipe")
    os.mkfifo(tmp_path / "repo" / "agents" / "pipe.py")
    config.write_text(config.read_text().replace("agents/nlu.py", "agents/pipe.py"), encoding="utf-8")
    assert _problems(config) == [
        "agents.toml:3: project.constraints: 'pipe' is not a regular file (a directory, FIFO or device); point it "
        "at a file",
        "agents.toml:12: agents.NLUAgent.entrypoint: 'agents/pipe.py' is not a regular file (a directory, FIFO or "
        "device); point it at a file",
    ]


# -- URLs: never a credential in a message --------------------------------------------------------


def test_index_and_find_links_urls(write_fleet: WriteFleet) -> None:
    indexes = '["ftp://x/simple", "https:///simple", "https://user:s3cret@host/simple path", "https://h:99999/x", '
    indexes += '"https://us er:s3cret@host/simple", "https://user:s3cret' + "x" * 3000 + '@host/"]'
    links = '["../wheels", "http://u:s3cret@h/\\"x"]'
    config = write_fleet(_replace(FAMILY, f"{FAMILY}\nindexes = {indexes}\nfind_links = {links}"))
    problems = _problems(config)
    assert problems == [
        f"agents.toml:9: families.cpu.indexes: 'ftp://x/simple' is not an http(s) URL; {URL_FIX}",
        f"agents.toml:9: families.cpu.indexes: 'https:///simple' has no host (or a bad port); {URL_FIX}",
        "agents.toml:9: families.cpu.indexes: 'https://***@host/simple path' has characters a URL cannot hold "
        f"(spaces, quotes, control characters); {URL_FIX}",
        f"agents.toml:9: families.cpu.indexes: 'https://h:99999/x' is not a valid URL (its host or port); {URL_FIX}",
        "agents.toml:9: families.cpu.indexes: 'https://***@host/simple' has characters a URL cannot hold (spaces, "
        f"quotes, control characters); {URL_FIX}",
        f"agents.toml:9: families.cpu.indexes: 'https://***@host/' is too long (at most 2048 characters); {URL_FIX}",
        "agents.toml:10: families.cpu.find_links: '../wheels' must be a path relative to the directory of "
        "agents.toml, inside it",
        "agents.toml:10: families.cpu.find_links: 'http://***@h/\"x' has characters a URL cannot hold (spaces, "
        f"quotes, control characters); {URL_FIX}",
    ]
    assert not any("s3cret" in problem for problem in problems)


def test_urls_with_credentials_and_local_indexes_load(write_fleet: WriteFleet) -> None:
    urls = '["https://user:s3cret@pypi.example/simple", "file:///srv/simple"]'
    fleet = load_fleet(write_fleet(_replace(FAMILY, f'{FAMILY}\nindexes = {urls}\nfind_links = ["wheels"]')))
    assert fleet.families["cpu"].indexes == ("https://user:s3cret@pypi.example/simple", "file:///srv/simple")


# -- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("max_unused_mb", "inf", "[0, 1000000] (megabytes), got inf"),
        ("max_unused_mb", "nan", "[0, 1000000] (megabytes), got nan"),
        ("max_unused_mb", "1e308", "[0, 1000000] (megabytes), got 1e+308"),
        ("max_unused_mb", "-1", "[0, 1000000] (megabytes), got -1"),
        ("size_tolerance", "nan", "[0, 10] (a fraction of the image size), got nan"),
        ("size_tolerance", "11", "[0, 10] (a fraction of the image size), got 11"),
    ],
)
def test_layers_numbers_are_finite_and_in_range(write_fleet: WriteFleet, key: str, value: str, expected: str) -> None:
    config = write_fleet(MINIMAL + f"\n[layers]\n{key} = {value}\n")
    assert _problems(config) == [
        f"agents.toml:18: layers.{key}: expected a number in {expected}; write a finite number in that range"
    ]


def test_max_file_mb_nan_and_ports_out_of_range(write_fleet: WriteFleet) -> None:
    text = _replace('root = "repo"', 'root = "repo"\nmax_file_mb = nan').replace("6709", "70000")
    assert _problems(write_fleet(text)) == [
        "agents.toml:3: project.max_file_mb: expected a number in (0, 1024] (megabytes), got nan; write a finite "
        "number in that range",
        "agents.toml:16: agents.NLUAgent.health_port: port 70000 is outside 1-65535; use a valid TCP port",
    ]


# -- free text and one-line strings ---------------------------------------------------------------


def test_free_text_refuses_terminal_escapes_and_keeps_line_breaks(write_fleet: WriteFleet) -> None:
    text = MINIMAL + 'notes = "a\\u001b[31mred"\nuncertain = { "x\\u0007" = "y" }\ncmd = ["python", "a\\nb"]\n'
    text = text.replace('[project]\nroot = "repo"', '[project]\nroot = "repo"\nname = "a\\nb"')
    assert _problems(write_fleet(text)) == [
        "agents.toml:3: project.name: 'a\\nb' contains a control character ('\\n' at position 1); write it on one "
        "line, without it",
        "agents.toml:19: agents.NLUAgent.cmd: 'a\\nb' contains a control character ('\\n' at position 1); write it "
        "on one line, without it",
        "agents.toml:17: agents.NLUAgent.notes: contains a control character ('\\x1b' at position 1); remove it",
        "agents.toml:18: agents.NLUAgent.uncertain.\"x\\u0007\": 'x\\x07' contains a control character ('\\x07' at "
        "position 1); write it on one line, without it",
    ]
    fleet = load_fleet(write_fleet(MINIMAL + 'notes = """two\nlines"""\n'))
    assert fleet.agents["NLUAgent"].notes == "two\nlines"
