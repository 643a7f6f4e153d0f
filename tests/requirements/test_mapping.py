"""depmin.requirements.mapping: the bundled tables, the resolution chain, the warnings, installed metadata."""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from depmin._backend import installed_modules
from depmin.errors import EXIT_TOOL, ToolError
from depmin.requirements.mapping import Mapper, Resolution, ambiguities_warning, guesses_warning
from depmin.requirements.tables import (
    _read_data,
    apt_packages,
    heavy_kind,
    is_heavy,
    load_apt,
    load_bundled,
    load_heavy,
    load_namespaces,
    parse_apt,
    parse_bundled,
    parse_heavy,
    parse_namespaces,
)

SNAPSHOT = Path(__file__).parent.parent / "data" / "pypi-distributions.txt"
RENAMED_SECTIONS = ("namespace", "renamed", "gui", "ml")


def known_distributions() -> frozenset[str]:
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


# --- the bundled data -------------------------------------------------------------------------


def test_snapshot_is_sorted_unique_and_normalized() -> None:
    names = [n for n in SNAPSHOT.read_text(encoding="utf-8").splitlines() if not n.startswith("#")]
    assert names == sorted(set(names))
    assert all(canonicalize_name(name) == name for name in names)


def test_bundled_table_is_large_enough() -> None:
    assert len(load_bundled().entries) >= 200


def test_every_bundled_distribution_exists_on_pypi() -> None:
    known = known_distributions()
    unknown = {key: name for key, names in load_bundled().entries.items() for name in names if name not in known}
    assert unknown == {}


def test_every_apt_and_heavy_distribution_exists_on_pypi() -> None:
    known = known_distributions()
    assert set(load_apt().packages) - known == set()
    assert set(load_heavy().names) - known == set()


def test_no_entry_is_the_identity_guess() -> None:
    identities = [
        key
        for key, names in load_bundled().entries.items()
        if len(names) == 1 and canonicalize_name(key.split(".")[0]) == names[0]
    ]
    assert identities == []


def test_no_import_appears_in_two_sections() -> None:
    document = _read_data("import_names.toml")
    seen: dict[str, str] = {}
    for section, table in document.items():
        for key in table:
            assert key not in seen, f"{key} is in [{seen[key]}] and [{section}]"
            seen[key] = section
    assert set(document) == {*RENAMED_SECTIONS, "ambiguous"}


def test_lists_only_in_ambiguous_and_every_list_is_ambiguous() -> None:
    table = load_bundled()
    for key, names in table.entries.items():
        assert (len(names) > 1) == (table.classes[key] == "ambiguous"), key


def test_keys_are_dotted_identifiers() -> None:
    for key in load_bundled().entries:
        assert all(part.isidentifier() for part in key.split(".")), key


def test_parse_bundled_rejects_a_key_repeated_across_sections() -> None:
    with pytest.raises(ValueError, match=r"ml\.cv2 repeats ambiguous\.cv2"):
        parse_bundled({"ambiguous": {"cv2": ["a", "b"]}, "ml": {"cv2": "opencv-python"}})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"renamed": {"yaml": ["PyYAML", "x"]}}, "one distribution name"),
        ({"ambiguous": {"cv2": "opencv-python"}}, "two or more distinct"),
        ({"ambiguous": {"cv2": ["opencv-python", "OpenCV_Python"]}}, "two or more distinct"),
        ({"renamed": "yaml"}, "must be a table"),
    ],
)
def test_parse_bundled_rejects_bad_shapes(document: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_bundled(document)


def test_apt_table_names_look_like_debian_packages() -> None:
    table = load_apt()
    assert table.release == "bookworm"
    debian = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
    for dist, packages in table.packages.items():
        assert all(debian.match(package) for package in packages), dist
        assert len(set(packages)) == len(packages), dist


def test_parse_apt_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="release"):
        parse_apt({"packages": {}})
    with pytest.raises(ValueError, match=r"packages\.pyzbar"):
        parse_apt({"release": "bookworm", "packages": {"pyzbar": "libzbar0"}})
    with pytest.raises(ValueError, match="repeats"):
        parse_apt({"release": "bookworm", "packages": {"PyAudio": [], "pyaudio": []}})


def test_heavy_prefixes_agree_with_exact_names() -> None:
    table = load_heavy()
    for name, kind in table.names.items():
        by_prefix = next((k for prefix, k in table.prefixes if name.startswith(prefix)), kind)
        assert by_prefix == kind, name


def test_parse_heavy_rejects_a_name_in_two_kinds() -> None:
    with pytest.raises(ValueError, match=r"torch is in both \[gpu\] and \[ml\]"):
        parse_heavy({"gpu": {"names": ["torch"]}, "ml": {"names": ["Torch"]}})
    with pytest.raises(ValueError, match="only names and prefixes"):
        parse_heavy({"gpu": {"name": ["torch"]}})


# --- resolution: one test per entry class -----------------------------------------------------


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("yaml", "pyyaml"),
        ("zmq", "pyzmq"),
        ("sklearn", "scikit-learn"),
        ("bs4", "beautifulsoup4"),
        ("attr", "attrs"),
        ("jwt", "pyjwt"),
        ("Crypto", "pycryptodome"),
        ("kafka", "kafka-python"),
        ("PIL", "pillow"),
        ("PIL.Image", "pillow"),
        ("dateutil.parser", "python-dateutil"),
        ("grpc_tools.protoc", "grpcio-tools"),
    ],
)
def test_renamed_imports(module: str, distribution: str) -> None:
    resolution = Mapper().resolve(module)
    assert (resolution.distribution, resolution.source) == (distribution, "bundled")
    assert resolution.matched == module.split(".", maxsplit=1)[0]


@pytest.mark.parametrize(
    ("module", "matched", "distribution"),
    [
        ("google.protobuf.json_format", "google.protobuf", "protobuf"),
        ("google.cloud.storage", "google.cloud.storage", "google-cloud-storage"),
        ("google.cloud.storage.blob", "google.cloud.storage", "google-cloud-storage"),
        ("google.cloud.bigquery", "google.cloud.bigquery", "google-cloud-bigquery"),
        ("google.cloud.exceptions", "google.cloud.exceptions", "google-cloud-core"),
        ("azure.storage.blob", "azure.storage.blob", "azure-storage-blob"),
        ("azure.identity", "azure.identity", "azure-identity"),
        ("opentelemetry.instrumentation.fastapi", "opentelemetry.instrumentation.fastapi",
         "opentelemetry-instrumentation-fastapi"),
        ("opentelemetry.instrumentation.utils", "opentelemetry.instrumentation.utils",
         "opentelemetry-instrumentation"),
    ],
)  # fmt: skip
def test_namespace_imports_match_the_longest_known_prefix(module: str, matched: str, distribution: str) -> None:
    resolution = Mapper().resolve(module)
    assert (resolution.matched, resolution.distribution) == (matched, distribution)
    assert resolution.source == "bundled"


@pytest.mark.parametrize(
    ("module", "matched", "distribution"),
    [("google", "google", "google"), ("azure", "azure", "azure"), ("google.cloud", "google.cloud", "google-cloud"),
     ("google.brand_new.x", "google.brand_new", "google-brand-new"),
     # a level of a family rule's namespace (azure = 2 parts) names no distribution: not the family's answer
     ("azure.storage", "azure.storage", "azure-storage")],
)  # fmt: skip
def test_bare_namespaces_and_unknown_children_are_guessed(module: str, matched: str, distribution: str) -> None:
    resolution = Mapper().resolve(module)
    assert resolution.guessed
    assert (resolution.matched, resolution.distribution) == (matched, distribution)


def test_gui_and_ml_classes() -> None:
    mapper = Mapper()
    assert mapper.resolve("gi.repository").distribution == "pygobject"
    assert mapper.resolve("win32api").distribution == "pywin32"
    assert mapper.resolve("PyQt5.QtWebEngineWidgets").distribution == "pyqtwebengine"
    assert mapper.resolve("PyQt5.QtWidgets").source == "known"  # pyqt5: a popular distribution
    assert mapper.resolve("skimage.io").distribution == "scikit-image"
    assert mapper.resolve("speech_recognition").distribution == "speechrecognition"


def test_ambiguous_cv2_prefers_headless_unless_the_family_has_a_display() -> None:
    mapper = Mapper()
    container, desktop = mapper.resolve("cv2"), mapper.resolve("cv2", display=True)
    assert container.distribution == "opencv-python-headless"
    assert desktop.distribution == "opencv-python"
    for resolution in (container, desktop):
        assert resolution.ambiguous
        assert resolution.candidates == (
            "opencv-python-headless",
            "opencv-python",
            "opencv-contrib-python",
            "opencv-contrib-python-headless",
        )


def test_ambiguous_without_headless_variants_takes_the_declared_order() -> None:
    mapper = Mapper()
    for display in (False, True):
        resolution = mapper.resolve("whisper", display=display)
        assert resolution.ambiguous
        assert resolution.distribution == "openai-whisper"
        assert resolution.candidates == ("openai-whisper", "whisper")


def test_unambiguous_resolutions_carry_their_one_candidate() -> None:
    resolution = Mapper().resolve("yaml")
    assert not resolution.ambiguous
    assert resolution.candidates == ("pyyaml",)


# --- the chain: each link beats the next ------------------------------------------------------

FULL = {
    "overrides": {"cv2": "opencv-contrib-python"},
    "mapping": {"cv2": "opencv-python"},
    "installed": {"cv2": ("OpenCV-Contrib-Python-Headless",)},
}


@pytest.mark.parametrize(
    ("drop", "source", "distribution"),
    [
        ((), "override", "opencv-contrib-python"),
        (("overrides",), "mapping", "opencv-python"),
        (("overrides", "mapping"), "installed", "opencv-contrib-python-headless"),
        (("overrides", "mapping", "installed"), "bundled", "opencv-python-headless"),
    ],
)
def test_each_link_of_the_chain_beats_the_next(drop: tuple[str, ...], source: str, distribution: str) -> None:
    tables = {name: table for name, table in FULL.items() if name not in drop}
    resolution = Mapper(**tables).resolve("cv2")  # type: ignore[arg-type]
    assert (resolution.source, resolution.distribution) == (source, distribution)


def test_bundled_beats_the_guess() -> None:
    assert Mapper().resolve("zmq").source == "bundled"
    assert Mapper().resolve("somethingunknown").source == "guessed"


def test_guess_is_the_canonical_top_level_name() -> None:
    resolution = Mapper().resolve("Foo_Bar.baz")
    assert (resolution.distribution, resolution.matched) == ("foo-bar", "Foo_Bar")
    assert Mapper().resolve("_private_ext").distribution == "private-ext"


def test_user_tables_accept_dotted_keys_and_win_at_their_key() -> None:
    mapper = Mapper(mapping={"google.cloud.storage": "my-storage-fork", "google": "everything-google"})
    storage = mapper.resolve("google.cloud.storage.blob")
    assert (storage.matched, storage.distribution, storage.source) == (
        "google.cloud.storage",
        "my-storage-fork",
        "mapping",
    )
    # `google` is a namespace: the user's key names what `import google` means, not its children
    assert mapper.resolve("google").distribution == "everything-google"
    assert mapper.resolve("google.protobuf").distribution == "protobuf"


def test_overrides_beat_the_fleet_mapping_at_the_same_key_and_the_longest_key_wins() -> None:
    mapper = Mapper(mapping={"google.cloud.storage": "a", "yaml": "c"}).with_overrides({"google.cloud.storage": "b"})
    assert mapper.resolve("google.cloud.storage").distribution == "b"
    assert (
        Mapper(mapping={"google.cloud.storage": "a"})
        .with_overrides({"google": "b"})
        .resolve("google.cloud.storage")
        .distribution
        == "a"
    )


def test_a_user_key_above_a_namespace_does_not_answer_below_it() -> None:
    """[mapping] openfeature = "openfeature-sdk" is the SDK; openfeature.contrib.* are other distributions."""
    mapper = Mapper(mapping={"openfeature": "openfeature-sdk"})
    assert mapper.resolve("openfeature.api").distribution == "openfeature-sdk"
    flagd = mapper.resolve("openfeature.contrib.provider.flagd")
    assert (flagd.distribution, flagd.source) == ("openfeature-provider-flagd", "bundled")
    unknown = mapper.resolve("openfeature.contrib.provider.brandnew")
    assert (unknown.guessed, unknown.distribution) == (True, "openfeature-contrib-provider-brandnew")


@pytest.mark.parametrize(
    ("module", "matched", "distribution"),
    [
        ("opentelemetry.instrumentation.httpx", "opentelemetry.instrumentation.httpx",
         "opentelemetry-instrumentation-httpx"),
        ("opentelemetry.instrumentation.aiohttp_client.x", "opentelemetry.instrumentation.aiohttp_client",
         "opentelemetry-instrumentation-aiohttp-client"),
        ("opentelemetry.exporter.zipkin.json", "opentelemetry.exporter.zipkin", "opentelemetry-exporter-zipkin"),
        ("google.cloud.texttospeech_v1beta1", "google.cloud.texttospeech_v1beta1", "google-cloud-texttospeech"),
        ("google.cloud.newthing.types", "google.cloud.newthing", "google-cloud-newthing"),
        ("azure.unknown.thing.aio", "azure.unknown.thing", "azure-unknown-thing"),
        ("jaraco.abode", "jaraco.abode", "jaraco-abode"),
        # the rule's name would be a namespace (opentelemetry.exporter.otlp.proto): the next part names it
        ("opentelemetry.exporter.otlp.proto.common.trace_encoder", "opentelemetry.exporter.otlp.proto.common",
         "opentelemetry-exporter-otlp-proto-common"),
    ],
)  # fmt: skip
def test_family_rules_name_the_child_distribution(module: str, matched: str, distribution: str) -> None:
    resolution = Mapper().resolve(module)
    assert (resolution.source, resolution.matched, resolution.distribution) == ("family", matched, distribution)


def test_a_private_module_under_a_family_is_no_distribution_of_its_own() -> None:
    """google-cloud-core ships google/cloud/_helpers.py: a family rule would name google-cloud-helpers,
    which does not exist; an unknown private module is guessed (and so flagged), never a family answer."""
    mapper = Mapper()
    assert mapper.resolve("google.cloud._helpers").distribution == "google-cloud-core"
    unknown = mapper.resolve("google.cloud._internal_thing")
    assert unknown.guessed and unknown.source == "guessed"
    assert mapper.resolve("opentelemetry.instrumentation._semconv").distribution == "opentelemetry-instrumentation"


def test_a_parent_distribution_answers_for_its_own_modules_only() -> None:
    mapper = Mapper()
    # opentelemetry-instrumentation's own module, not a family guess
    assert mapper.resolve("opentelemetry.instrumentation.instrumentor").distribution == "opentelemetry-instrumentation"
    assert mapper.resolve("opentelemetry._logs").distribution == "opentelemetry-api"
    bare = mapper.resolve("opentelemetry")
    assert bare.guessed  # no distribution `opentelemetry` answers silently


def test_a_longer_bundled_key_beats_a_top_level_installed_one() -> None:
    mapper = Mapper(installed={"google": ("protobuf", "google-cloud-storage")})
    storage = mapper.resolve("google.cloud.storage")
    assert (storage.source, storage.distribution) == ("bundled", "google-cloud-storage")
    # installed metadata knows only the namespace `google`: it cannot say who provides a child
    other = mapper.resolve("google.something_new")
    assert (other.source, other.distribution) == ("guessed", "google-something-new")


def test_installed_ambiguity_follows_the_bundled_order_and_the_headless_rule() -> None:
    mapper = Mapper(installed={"cv2": ("opencv-python", "opencv-python-headless", "opencv-python")})
    container, desktop = mapper.resolve("cv2"), mapper.resolve("cv2", display=True)
    assert container.candidates == ("opencv-python-headless", "opencv-python")
    assert (container.distribution, desktop.distribution) == (
        "opencv-python-headless",
        "opencv-python",
    )
    assert container.source == "installed"


def test_with_overrides_leaves_the_original_alone() -> None:
    base = Mapper(mapping={"cv2": "opencv-python"})
    agent = base.with_overrides({"cv2": "opencv-contrib-python"})
    assert base.resolve("cv2").source == "mapping"
    assert agent.resolve("cv2").source == "override"
    assert agent.bundled is base.bundled


def test_mapper_copies_its_tables() -> None:
    mapping = {"cv2": "opencv-python"}
    mapper = Mapper(mapping=mapping)
    mapping["cv2"] = "changed"
    assert mapper.resolve("cv2").distribution == "opencv-python"
    with pytest.raises(TypeError):
        mapper.mapping["cv2"] = "x"  # type: ignore[index]


@pytest.mark.parametrize("module", ["", ".relative", "a..b", "trailing."])
def test_resolve_rejects_names_that_are_not_absolute_modules(module: str) -> None:
    with pytest.raises(ValueError, match="not an absolute module name"):
        Mapper().resolve(module)


def test_bundled_table_is_loaded_once() -> None:
    assert load_bundled() is load_bundled()
    assert Mapper().bundled is Mapper().bundled


# --- warnings ---------------------------------------------------------------------------------


def test_guesses_warning_lists_every_guess_and_names_the_keys() -> None:
    mapper = Mapper()
    pairs = [
        ("NLUAgent", mapper.resolve("google")),
        ("NLUAgent", mapper.resolve("frobnicator")),
        ("NLUAgent", mapper.resolve("frobnicator")),
        ("NLUAgent", mapper.resolve("requests")),
        ("TTSAgent", mapper.resolve("quux.linalg")),
        ("TTSAgent", mapper.resolve("yaml")),
    ]
    warning = guesses_warning(pairs)
    assert warning is not None
    assert "\n" not in warning
    assert warning.startswith("3 import(s) mapped by guessing")
    assert "NLUAgent: frobnicator -> frobnicator, google -> google; TTSAgent: quux.linalg -> quux" in warning
    assert "requests" not in warning
    assert "[mapping]" in warning
    assert "agents.NLUAgent.mapping, agents.TTSAgent.mapping" in warning
    assert "yaml" not in warning


def test_guesses_warning_is_none_without_guesses() -> None:
    assert guesses_warning([("NLUAgent", Mapper().resolve("yaml"))]) is None
    assert guesses_warning([]) is None


def test_ambiguities_warning_lists_pick_and_candidates() -> None:
    warning = ambiguities_warning([("VisionAgent", Mapper().resolve("cv2"))])
    assert warning is not None
    assert "VisionAgent: cv2 -> opencv-python-headless (of opencv-python-headless, opencv-python" in (warning)
    assert "agents.VisionAgent.mapping" in warning
    assert ambiguities_warning([("VisionAgent", Mapper().resolve("yaml"))]) is None


# --- apt and heavy tables ---------------------------------------------------------------------


def test_apt_packages_are_sorted_unique_and_canonical() -> None:
    packages = apt_packages(["OpenCV_Python", "pyzbar", "opencv-contrib-python", "requests"])
    assert packages == tuple(sorted(set(packages)))
    assert {"libgl1", "libglib2.0-0", "libzbar0"} <= set(packages)


def test_headless_opencv_and_bundling_wheels_need_no_apt_packages() -> None:
    assert apt_packages(["opencv-python-headless", "soundfile", "faster-whisper", "lxml"]) == ()
    assert apt_packages(["sounddevice", "PyAudio"]) == ("libportaudio2",)


def test_apt_packages_with_an_explicit_table() -> None:
    table = parse_apt({"release": "trixie", "packages": {"PyZbar": ["libzbar0t64"]}})
    assert apt_packages(["pyzbar"], table) == ("libzbar0t64",)


@pytest.mark.parametrize(
    ("distribution", "kind"),
    [
        ("torch", "gpu"),
        ("torchaudio", "gpu"),
        ("nvidia-cudnn-cu12", "gpu"),
        ("NVIDIA_cublas_cu12", "gpu"),
        ("cupy-cuda12x", "gpu"),
        ("opencv-python-headless", "vision"),
        ("transformers", "nlp"),
        ("sentencepiece", "nlp"),
        ("openai-whisper", "audio"),
        ("TTS", "audio"),
        ("onnxruntime", "ml"),
        ("requests", None),
    ],
)
def test_heavy_kind(distribution: str, kind: str | None) -> None:
    assert heavy_kind(distribution) == kind
    assert is_heavy(distribution) == (kind is not None)


def test_heavy_longest_prefix_wins() -> None:
    table = parse_heavy({"gpu": {"prefixes": ["nvidia-"]}, "ml": {"prefixes": ["nvidia-ml-"]}})
    assert heavy_kind("nvidia-ml-py", table) == "ml"
    assert heavy_kind("nvidia-nccl-cu12", table) == "gpu"


# --- installed metadata, through a real interpreter -------------------------------------------


def write_dist(
    site: Path,
    name: str,
    version: str,
    *,
    top_level: tuple[str, ...] | None,
    files: tuple[str, ...],
) -> None:
    """A ``.dist-info`` folder as an installer leaves it: METADATA, RECORD, maybe top_level.txt."""
    info = site / f"{canonicalize_name(name).replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    record = [*files, f"{info.name}/METADATA", f"{info.name}/RECORD"]
    if top_level is not None:
        (info / "top_level.txt").write_text("".join(f"{t}\n" for t in top_level), encoding="utf-8")
        record.append(f"{info.name}/top_level.txt")
    (info / "RECORD").write_text("".join(f"{path},,\n" for path in record), encoding="utf-8")
    for path in files:
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        marker = site / "IMPORTED"  # a module that records being imported, which must not happen
        target.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")


@pytest.fixture(scope="module")
def fake_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site-packages")
    write_dist(
        site,
        "Depminfake-Multi",
        "1.0",
        top_level=("depminfake_alpha", "depminfake_beta"),
        files=("depminfake_alpha/__init__.py", "depminfake_beta/__init__.py"),
    )
    write_dist(site, "opencv-python", "4.10.0.84", top_level=("cv2",), files=("cv2/__init__.py",))
    write_dist(site, "opencv-python-headless", "4.10.0.84", top_level=("cv2",), files=("cv2/__init__.py",))
    write_dist(
        site,
        "depminfake-recordonly",
        "2.0",
        top_level=None,
        files=("depminfake_rec/__init__.py", "depminfake_rec/sub.py", "depminfake_single.py"),
    )
    write_dist(site, "protobuf", "5.0", top_level=("google",), files=("google/protobuf/x.py",))
    write_dist(site, "depminfake-google-thing", "1.0", top_level=("google",), files=("google/thing/a.py",))
    return site


@pytest.fixture(scope="module")
def fake_installed(fake_site: Path) -> dict[str, tuple[str, ...]]:
    return installed_modules(Path(sys.executable), extra_paths=[fake_site])


@pytest.mark.integration
def test_installed_reads_top_level_and_record(fake_site: Path, fake_installed: dict[str, tuple[str, ...]]) -> None:
    assert fake_installed["depminfake_alpha"] == ("Depminfake-Multi",)
    assert fake_installed["depminfake_beta"] == ("Depminfake-Multi",)
    assert fake_installed["depminfake_rec"] == ("depminfake-recordonly",)
    assert fake_installed["depminfake_single"] == ("depminfake-recordonly",)
    assert {"opencv-python", "opencv-python-headless"} <= set(fake_installed["cv2"])
    assert {"protobuf", "depminfake-google-thing"} <= set(fake_installed["google"])
    assert not (fake_site / "IMPORTED").exists()


def test_installed_metadata_drives_the_mapper(fake_installed: dict[str, tuple[str, ...]]) -> None:
    mapper = Mapper(installed=fake_installed)
    beta = mapper.resolve("depminfake_beta.sub")
    assert (beta.source, beta.distribution, beta.matched) == (
        "installed",
        "depminfake-multi",
        "depminfake_beta",
    )
    assert mapper.resolve("depminfake_single").distribution == "depminfake-recordonly"
    cv2 = mapper.resolve("cv2")
    assert (cv2.source, cv2.ambiguous, cv2.distribution) == (
        "installed",
        True,
        "opencv-python-headless",
    )
    assert mapper.resolve("cv2", display=True).distribution == "opencv-python"
    # the installed metadata only knows `google`; the bundled namespace key is more precise
    protobuf = mapper.resolve("google.protobuf.json_format")
    assert (protobuf.source, protobuf.distribution) == ("bundled", "protobuf")
    thing = mapper.resolve("google.thing")
    assert (thing.source, thing.distribution) == ("guessed", "google-thing")


# --- interpreter failures ---------------------------------------------------------------------


def executable(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def assert_one_line_tool_error(error: pytest.ExceptionInfo[ToolError], python: Path) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert str(python) in message
    assert message.endswith("e.g. .venv/bin/python")
    assert error.value.exit_code == EXIT_TOOL
    return message


@pytest.mark.integration
def test_missing_interpreter_is_a_one_line_tool_error(tmp_path: Path) -> None:
    python = tmp_path / "no-such-python"
    with pytest.raises(ToolError) as error:
        installed_modules(python)
    assert "no such file" in assert_one_line_tool_error(error, python)


@pytest.mark.integration
def test_a_program_that_is_not_python_is_a_tool_error(tmp_path: Path) -> None:
    python = executable(tmp_path / "python", "#!/bin/sh\necho 'hello from not-python'\n")
    with pytest.raises(ToolError) as error:
        installed_modules(python)
    assert "did not print a distribution listing" in assert_one_line_tool_error(error, python)


@pytest.mark.integration
def test_a_failing_interpreter_reports_its_last_error_line(tmp_path: Path) -> None:
    python = executable(tmp_path / "python", "#!/bin/sh\necho 'first\nbroken venv' >&2\nexit 1\n")
    with pytest.raises(ToolError) as error:
        installed_modules(python)
    assert "(broken venv)" in assert_one_line_tool_error(error, python)


@pytest.mark.integration
def test_a_hanging_interpreter_times_out(tmp_path: Path) -> None:
    python = executable(tmp_path / "python", "#!/bin/sh\nexec sleep 10\n")
    with pytest.raises(ToolError) as error:
        installed_modules(python, timeout=0.5)
    assert "within 0.5s" in assert_one_line_tool_error(error, python)


def test_resolution_is_a_frozen_value() -> None:
    resolution = Mapper().resolve("yaml")
    assert isinstance(resolution, Resolution)
    with pytest.raises(AttributeError):
        resolution.matched = "x"  # type: ignore[misc]


def test_popular_distribution_of_the_same_name_is_known_not_guessed() -> None:
    mapper = Mapper()
    assert mapper.resolve("requests").source == "known"
    assert mapper.resolve("numpy.linalg").source == "known"
    assert mapper.resolve("frobnicator").source == "guessed"
    assert mapper.resolve("google").source == "guessed"  # a namespace root, whatever PyPI has
    assert mapper.resolve("jwt").distribution == "pyjwt"  # the bundled table answers first


# --- namespaces.toml --------------------------------------------------------------------------


def test_namespace_table_lists_every_family_prefix_as_a_namespace() -> None:
    table = load_namespaces()
    assert set(table.families) <= table.names
    assert "_typeshed" in table.stubs


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"namespaces": {"names": ["google"]}, "families": {}}, "needs [namespaces], [families] and [stubs]"),
        ({"namespaces": {"names": ["not a name"]}, "families": {}, "stubs": {"names": []}}, "namespaces.names"),
        ({"namespaces": {"names": []}, "families": {"google.cloud": 0}, "stubs": {"names": []}},
         "families.google.cloud"),
        ({"namespaces": {"names": []}, "families": {"x": True}, "stubs": {"names": []}}, "families.x"),
        ({"namespaces": {"names": []}, "families": {}, "stubs": {"names": "_typeshed"}}, "stubs.names"),
    ],
)  # fmt: skip
def test_a_broken_namespace_table_names_the_bad_key(document: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_namespaces(document)


def test_stub_only_names_are_never_mapped(tmp_path: Path) -> None:
    from depmin import api  # noqa: PLC0415

    (tmp_path / "main.py").write_text("from _typeshed import StrPath\nimport yaml\n", encoding="utf-8")
    (tmp_path / "agents.toml").write_text(
        '[project]\nroot = "."\npython = "3.11"\n[machines.Box]\n[families.cpu]\nfrom = "python:3.11-slim"\n'
        '[agents.A]\nentrypoint = "main.py"\nmachines = ["Box"]\nfamily = "cpu"\nports = [9000]\n',
        encoding="utf-8",
    )
    fleet = api.load_fleet(tmp_path / "agents.toml")
    generated = api.generate(fleet, api.scan(fleet, use_cache=False))
    assert [line.distribution for line in generated.agent("A").install] == ["pyyaml"]


def test_a_chain_answers_each_module_as_before_when_asked_again() -> None:
    """resolve() keeps its answers per chain: a base chain asked first does not answer for an agent's
    chain with overrides, nor one display setting for the other."""
    base = Mapper()
    assert base.resolve("cv2").distribution == base.resolve("cv2").distribution
    first_headless = base.resolve("cv2", display=False).distribution
    assert base.resolve("cv2", display=True).distribution != first_headless
    agent = base.with_overrides({"cv2": "opencv-contrib-python"})
    assert agent.resolve("cv2").distribution == "opencv-contrib-python"
    assert base.resolve("cv2").distribution == first_headless
