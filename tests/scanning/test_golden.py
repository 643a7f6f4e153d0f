"""The scan's output is the same, byte for byte, as the walk that parsed every file up front gave.

The golden files in ``golden/`` were written by ``depmin scan`` (JSON and text) BEFORE the walk
changed to parse on demand, on the bundled fleet and on a small synthetic tree from
``benchmarks/synthetic.py`` (800 files, 40 agents, seed 3: shared packages, unparseable files,
``sys.path`` edits, relative imports). Only what counts the parser's work may differ: the summary's
``files_parsed`` / ``cache_hits`` and the text report's last line (counts and seconds); and the
schema, ``depmin.scan/1`` then, ``depmin.scan/2`` since the per-site lists need ``--detail``: the
detailed document is the old one, the default one is it without those lists.

Re-recorded once, when repository hints (issue 13) became a mapping source: the only differences
from the first recording were imports the hand-written requirement files answer (``jwt`` declared
as ``pyjwt`` beside the code: ``source`` "repository" and no longer ambiguous); each was checked.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from depmin.cli.entry import main
from tests.synthetic_trees import synthetic

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
_WORK = re.compile(r"; parsed \d+ files, \d+ from cache, [0-9.]+ s$")


def _golden(name: str) -> str:
    return gzip.decompress((GOLDEN / f"{name}.gz").read_bytes()).decode("utf-8")


def _run(config: Path, *args: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DEPMIN_CACHE_DIR", str(cache))
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config), "scan", *args], out=out, err=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def _without_work_json(text: str) -> dict[str, Any]:
    data = json.loads(text)
    summary = data["summary"]
    assert isinstance(summary, dict)
    summary.pop("files_parsed")
    summary.pop("cache_hits")
    return data


def _without_sites(data: dict[str, Any]) -> dict[str, Any]:
    """The detailed document less what only ``--detail`` writes."""
    for agent in data["agents"]:
        del agent["imports"]
        for ext in agent["third_party"]:
            del ext["sites"]
    return data


def _without_work_text(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    assert _WORK.search(lines[-1]), lines[-1]
    lines[-1] = _WORK.sub("", lines[-1])
    return "\n".join(lines)


def _compare(config: Path, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for run in ("cold", "warm"):  # the first run fills the cache, the second reads it
        cache = tmp_path / "cache"
        got_json = _run(config, "--format", "json", "--detail", cache=cache, monkeypatch=monkeypatch)
        want_json = _golden(f"{name}.json").replace('"schema":"depmin.scan/1"', '"schema":"depmin.scan/2"', 1)
        assert _without_work_json(got_json) == _without_work_json(want_json), run
        # Byte for byte: the only bytes that may differ are inside the summary object.
        assert got_json[: got_json.index('"summary":')] == want_json[: want_json.index('"summary":')], run
        brief = _without_work_json(_run(config, "--format", "json", cache=cache, monkeypatch=monkeypatch))
        assert brief == _without_sites(_without_work_json(got_json)), run
        got_text = _run(config, cache=cache, monkeypatch=monkeypatch)
        assert _without_work_text(got_text) == _without_work_text(_golden(f"{name}.txt")), run


def test_bundled_fleet_scan_is_byte_identical_to_the_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _compare(REPO / "agents.toml", "bundled", tmp_path, monkeypatch)


@pytest.mark.slow
def test_synthetic_tree_scan_is_byte_identical_to_the_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "synthetic"
    synthetic().generate(tree, files=800, agents=40, broken=0.3, seed=3)
    _compare(tree / "agents.toml", "syn", tmp_path, monkeypatch)


def test_the_default_document_leaves_the_per_site_lists_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = REPO / "agents.toml"
    brief = _run(config, "--format", "json", "--agent", "NLUAgent", cache=tmp_path / "c", monkeypatch=monkeypatch)
    full = _run(
        config, "--format", "json", "--agent", "NLUAgent", "--detail", cache=tmp_path / "c", monkeypatch=monkeypatch
    )
    agent, detailed = json.loads(brief)["agents"][0], json.loads(full)["agents"][0]
    assert "imports" not in agent and all("sites" not in ext for ext in agent["third_party"])
    assert len(detailed["imports"]) > len(detailed["files"])  # every site, so more than one a file
    assert len(full) > 2 * len(brief)
