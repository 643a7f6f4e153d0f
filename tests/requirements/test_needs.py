"""Inferred needs, mismatches with family and declared needs, and declared vs used requirements."""

from __future__ import annotations

import io
import json
from pathlib import Path

from depmin import api
from depmin.cli.entry import main
from depmin.layout import Layout
from depmin.requirements.generated import render
from depmin.requirements.needs import code_evidence
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
    assert report.inferred["gpu"] == ("torch (required at agents/nlu.py:1)", 'agents/nlu.py:5: .to("cuda")')
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
        "agents/nlu.py:3: torch.cuda); family cpu does not fit (missing gpu)"
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


# --- GPU evidence is code, not data -------------------------------------------------------------

GPU_CODE = """\
import torch
from torch import device
if torch.cuda.is_available():
    model = model.cuda()
batch = batch.to("cuda:1")
dev = torch.device("cuda" if ok else "cpu")
pipe = pipeline("asr", device="cuda:0")
self.device = "cuda"
device("cuda")
net.to(device="cuda")
"""

GPU_DATA = """\
\"\"\"Moves the model with torch.cuda.is_available() and .to("cuda").\"\"\"
EXAMPLE = {"device": "cuda:0", "batch": 8}
DEVICES = ["cuda:0", "cuda:1"]
settings = dict(name="cuda:0")
# model.cuda() and torch.cuda.empty_cache()
log("moving to cuda")
x.to("cpu")
torch.device("cpu")
other.cuda_version = 12
mode = "cuda"
"""


def test_gpu_evidence_is_calls_and_attributes_one_per_line() -> None:
    assert code_evidence({"b.py": GPU_CODE, "a.py": "x.cuda(0); torch.cuda.synchronize()\n"}) == {
        "gpu": [
            "a.py:1: .cuda()",
            "b.py:3: torch.cuda",
            "b.py:4: .cuda()",
            'b.py:5: .to("cuda")',
            'b.py:6: torch.device("cuda")',
            'b.py:7: device="cuda"',
            'b.py:8: device = "cuda"',
            'b.py:9: torch.device("cuda")',
            'b.py:10: device="cuda"',
        ]
    }


def test_a_cuda_string_in_data_a_comment_or_a_docstring_is_no_gpu_evidence() -> None:
    assert code_evidence({"example.py": GPU_DATA, "escape.py": 'path = "\\d"\n'}) == {}


def test_a_file_that_does_not_parse_is_read_around_the_broken_statement() -> None:
    broken = "import torch\nfor x in y:\n\ndef tick():\n    if torch.cuda.is_available():\n        pass\n"
    assert code_evidence({"broken.py": broken}) == {"gpu": ["broken.py:5: torch.cuda"]}
    assert code_evidence({"broken.py": broken.replace("torch.cuda", "torch")}) == {}


def test_a_cuda_literal_in_an_example_dict_does_not_make_the_agent_gpu(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet()
    (tmp_path / "repo" / "agents" / "nlu.py").write_text(
        'import zmq\nEXAMPLES = [{"device": "cuda:0", "text": "hi"}]\n', encoding="utf-8"
    )
    report = _reports(config)["NLUAgent"]
    assert report.inferred == {}
    assert report.mismatches == ()
