"""A repository's strings are hostile: the draft escapes them, drops what the manifest would refuse,
and still loads as written."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from depmin import _toml
from depmin.cli import main
from depmin.drafting import toml_string
from depmin.manifest import load_fleet


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@given(st.text())
def test_toml_strings_round_trip(value: str) -> None:
    assert _toml.loads(f"key = {toml_string(value)}\n")["key"] == value


def test_hostile_compose_values_are_escaped_or_dropped(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "main.py").write_text('if __name__ == "__main__":\n    pass\n', encoding="utf-8")
    (tmp_path / "svc" / 'odd"name.py').write_text('if __name__ == "__main__":\n    pass\n', encoding="utf-8")
    compose = {
        "services": {
            'evil"]\n[agents.x]\nentrypoint = "/etc/passwd': {
                "command": ["python", "svc/main.py", '"; rm -rf /', "line\nbreak"],
                "ports": ["99999:99999", "8000:8000", "abc"],
                "environment": {
                    "GOOD": 'quote " and \\ backslash $HOME',
                    "BAD NAME": "x",
                    "MULTI": "one\ntwo",
                    "URL": "https://user:s3cret@example.com/db",
                    "API_KEY": "abc123",
                },
                "healthcheck": {"test": "curl http://localhost:8000/he alth'\"; echo"},
            },
            "escape": {"command": ["python", "../outside.py"]},
            "absolute": {"command": "python /etc/passwd.py"},
        }
    }
    (tmp_path / "compose.yaml").write_text(json.dumps(compose), encoding="utf-8")  # JSON is YAML
    config = tmp_path / "agents.toml"
    code, _, err = run("--root", str(tmp_path), "--config", str(config), "init", "--no-needs")
    assert code == 0, err
    text = config.read_text(encoding="utf-8")
    assert "s3cret" not in text and "abc123" not in text
    fleet = load_fleet(config)
    names = set(fleet.agents)
    assert "escape" not in names and "absolute" not in names
    evil = next(agent for agent in fleet.agents.values() if agent.entrypoint == "svc/main.py")
    assert evil.name == "evil-agents.x-entrypoint-etc-passwd"  # other characters become "-"
    assert 'svc/odd"name.py' in {agent.entrypoint for agent in fleet.agents.values()}
    assert evil.ports == (8000,)
    assert dict(evil.env) == {"GOOD": 'quote " and \\ backslash $HOME'}
    assert evil.cmd is None  # a word with a line break: cmd is left to the user
    assert "cmd" in evil.uncertain
    # Every line of the draft is a comment, a table header or one key: nothing escaped a string.
    for line in text.splitlines():
        assert not line or line.startswith(("#", "[")) or " = " in line, line


def test_a_file_name_that_is_no_valid_path_is_not_drafted(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "ok.py").write_text('if __name__ == "__main__":\n    pass\n', encoding="utf-8")
    (tmp_path / "svc" / "bad\x1bname.py").write_text('if __name__ == "__main__":\n    pass\n', encoding="utf-8")
    config = tmp_path / "agents.toml"
    code, _, err = run("--root", str(tmp_path), "--config", str(config), "init", "--no-needs")
    assert code == 0, err
    assert [agent.entrypoint for agent in load_fleet(config).agents.values()] == ["svc/ok.py"]


def test_families_follow_what_needs_infers(tmp_path: Path) -> None:
    """The draft's families come from the needs inference of `depmin needs`, not from names."""
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "trainer.py").write_text(
        'import torch\n\nif __name__ == "__main__":\n    torch.zeros(1).cuda()\n', encoding="utf-8"
    )
    (tmp_path / "svc" / "api.py").write_text(
        'import fastapi\n\nif __name__ == "__main__":\n    fastapi.FastAPI()\n', encoding="utf-8"
    )
    (tmp_path / "svc" / "plain.py").write_text(
        'import json\n\nif __name__ == "__main__":\n    json.dumps(1)\n', encoding="utf-8"
    )
    config = tmp_path / "agents.toml"
    code, _, err = run("--root", str(tmp_path), "--config", str(config), "init")
    assert code == 0, err
    fleet = load_fleet(config)
    families = {agent.entrypoint: agent.family for agent in fleet.agents.values()}
    assert families == {"svc/api.py": "cpu-web", "svc/plain.py": "cpu", "svc/trainer.py": "gpu"}
    assert fleet.has_gpu("gpu") and not fleet.has_gpu("cpu-web")
    assert "gpu" in fleet.agents["trainer"].needs


def test_a_broken_yaml_file_is_reported_and_the_rest_drafted(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "ok.py").write_text('if __name__ == "__main__":\n    pass\n', encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services: [unclosed\n", encoding="utf-8")
    code, out, _ = run("--root", str(tmp_path), "--config", str(tmp_path / "agents.toml"), "init", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert [line for line in document["skipped"] if line.startswith("compose.yaml") and "not valid YAML" in line]
    assert [agent["name"] for agent in document["agents"]] == ["ok"]


def test_a_script_in_a_declared_encoding_is_read(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    source = '# -*- coding: latin-1 -*-\nGREETING = "caf\u00e9"\n\nif __name__ == "__main__":\n    print(GREETING)\n'
    (tmp_path / "svc" / "legacy.py").write_bytes(source.encode("latin-1"))
    config = tmp_path / "agents.toml"
    code, _, err = run("--root", str(tmp_path), "--config", str(config), "init", "--no-needs")
    assert code == 0, err
    assert [agent.entrypoint for agent in load_fleet(config).agents.values()] == ["svc/legacy.py"]


def test_a_source_that_is_not_text_or_not_a_regular_file_is_reported_and_the_rest_drafted(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "ok.py").write_text('if __name__ == "__main__":\n    pass\n', encoding="utf-8")
    (tmp_path / "Procfile").write_bytes(b"web: python svc/ok.py --port \xff\xfe\n")
    os.mkfifo(tmp_path / "svc" / "Dockerfile")  # reading it would block: the reader never opens it for that
    code, out, _ = run("--root", str(tmp_path), "--config", str(tmp_path / "agents.toml"), "init", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert sorted(document["skipped"]) == [
        "Procfile: Procfile: skipped: not UTF-8 text",
        "svc/Dockerfile: Dockerfile: skipped: a FIFO (named pipe), not a regular file; "
        "remove it or replace it with a regular file",
    ]
    assert [agent["name"] for agent in document["agents"]] == ["ok"]
