"""Inferred needs, mismatches with family and declared needs, and declared vs used requirements."""

from __future__ import annotations

import io
import json
from pathlib import Path

from depmin import api
from depmin.cli.entry import main
from depmin.layout import Layout
from depmin.requirements.generated import render
from tests.conftest import EXAMPLE_CONFIG, MINIMAL, WriteFleet

FAMILIES = """
[families.cpu-web]
extends = "cpu"

[families.gpu]
from = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"
gpu = true
"""


def _reports(config: Path) -> dict[str, api.NeedsReport]:
    fleet = api.load_fleet(config)
    scanned = api.scan(fleet, use_cache=False)
    return {r.agent: r for r in api.infer_needs(fleet, scanned, api.generate(fleet, scanned))}


def test_torch_in_a_cpu_family_is_a_mismatch_with_evidence(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet()
    (tmp_path / "repo" / "agents" / "nlu.py").write_text(
        "import torch\n\nmodel = object()\ndevice = 'cpu'\nx = model.to('cuda')\n", encoding="utf-8"
    )
    report = _reports(config)["NLUAgent"]
    assert report.inferred["gpu"] == ("torch (required at agents/nlu.py:1)", "agents/nlu.py:5: .to('cuda")
    assert report.mismatches == (
        "family cpu has no gpu but the agent installs torch (required at agents/nlu.py:1) "
        "(torch from PyPI pulls several GB of CUDA wheels)",
        "needs does not declare 'gpu', but the agent installs torch (required at agents/nlu.py:1)",
    )


def test_web_family_without_a_web_framework(write_fleet: WriteFleet, tmp_path: Path) -> None:
    text = MINIMAL.replace('family = "cpu"', 'family = "cpu-web"') + 'needs = ["cpu", "web"]\n' + FAMILIES
    config = write_fleet(text)
    (tmp_path / "repo" / "agents" / "nlu.py").write_text("import requests\n", encoding="utf-8")
    report = _reports(config)["NLUAgent"]
    assert report.inferred == {}
    assert report.mismatches == (
        "family cpu-web provides web but nothing the agent imports needs it",
        "needs declares 'web', but no import or code of the agent shows it",
    )


def test_uncertain_question_gets_an_answer_with_evidence(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet(MINIMAL + 'uncertain = { needs = "seed: CPU (uncertain GPU)" }\n')
    (tmp_path / "repo" / "agents" / "nlu.py").write_text(
        "def run():\n    import torch\n    return torch.cuda.is_available()\n", encoding="utf-8"
    )
    report = _reports(config)["NLUAgent"]
    assert report.answers == {
        "needs": "seed: CPU (uncertain GPU) -> gpu: yes, installed (torch (lazy at agents/nlu.py:2); "
        "agents/nlu.py:3: torch.cuda.); family cpu does not fit (missing gpu)"
    }


def test_declared_vs_used(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet()
    (tmp_path / "repo" / "agents" / "nlu.py").write_text("import cv2\nimport zmq\nimport yaml\n", encoding="utf-8")
    (tmp_path / "repo" / "agents" / "requirements.txt").write_text(
        "# hand-written\nopencv-python==4.8.0.76\nPyYAML>=6\nflask\n-r other.txt\n", encoding="utf-8"
    )
    [declared] = _reports(config)["NLUAgent"].declared_files
    assert declared.file == "agents/requirements.txt"
    assert declared.used_not_declared == ("pyzmq",)
    assert declared.declared_not_used == ("flask",)
    assert declared.other_name == ("opencv-python declared; cv2 is mapped to opencv-python-headless",)


def test_example_fleet_answers_every_uncertain_needs_or_family_row() -> None:
    fleet = api.load_fleet(EXAMPLE_CONFIG)
    scanned = api.scan(fleet, use_cache=False)
    reports = api.infer_needs(fleet, scanned, api.generate(fleet, scanned))
    asked = {(a.name, key) for a in fleet.agents.values() for key in a.uncertain if key in ("needs", "family")}
    answered = {(r.agent, key) for r in reports for key, answer in r.answers.items() if "->" in answer}
    assert asked and asked <= answered
    affective = next(r for r in reports if r.agent == "AffectiveProcessingCenter")
    assert "gpu: yes" in affective.answers["family"]


def test_needs_command_json(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet()
    (tmp_path / "repo" / "agents" / "nlu.py").write_text("import fastapi\n", encoding="utf-8")
    out = io.StringIO()
    assert main(["--config", str(config), "needs", "--no-cache", "--format", "json"], out=out) == 0
    data = json.loads(out.getvalue())
    assert data["schema"] == "depmin.needs/1"
    assert data["agents"][0]["inferred"]["web"] == ["fastapi (required at agents/nlu.py:1)"]


def test_committed_requirements_match_a_fresh_run() -> None:
    """The committed locks/*/requirements.generated.txt of the example fleet are current."""
    fleet = api.load_fleet(EXAMPLE_CONFIG)
    generated = api.generate(fleet, api.scan(fleet, use_cache=False))
    stale = [
        result.agent
        for result in generated.agents
        if Layout.beside(fleet.path).generated(result.agent).read_text(encoding="utf-8") != render(result)
    ]
    assert stale == [], f"stale: {stale}; run `depmin generate`"
    assert len(generated.agents) == 69
