"""Ground truth for the example monorepo: every pattern of examples/ai_system/PATTERNS.md, checked
against a real scan of all 69 agents.

Where PATTERNS.md and Python's import semantics disagree, these tests follow Python (each such
place says why). Facts are written out here, not parsed from PATTERNS.md, so the tests stay a fixed
reference. One scan of the fleet (module-scoped) plus one small scan of run-mode variants.
"""

from __future__ import annotations

import dataclasses
import functools
import posixpath
from pathlib import Path
from typing import NamedTuple

import pytest

from depmin import api
from depmin.manifest import Fleet
from depmin.scanning import AgentScan, FileImports, Hop, ImportRecord, ImportSite, extract

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "examples" / "ai_system"

# Namespace prefixes shared by several distributions: a third-party import is named one level below.
NAMESPACES = frozenset({"google", "google.cloud", "azure", "azure.storage"})


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return api.load_fleet(REPO / "agents.toml")


@pytest.fixture(scope="module")
def scanned(fleet: Fleet) -> api.FleetScan:
    return api.scan(fleet, use_cache=False)


VARIANTS = {
    # name: (agent it copies, entrypoint or None to keep it, cmd)
    "ModelOpsCoordinatorAsScript": ("ModelOpsCoordinator", None, None),
    "MemoryFusionHubAsScript": ("MemoryFusionHub", None, None),
    "ChitchatAsModule": ("ChitchatAgent", None, ("python", "-m", "main_pc_code.agents.chitchat_agent")),
    "TieredResponderAsModule": (
        "TieredResponder",
        None,
        ("python", "-m", "pc2_code.agents.tiered_responder"),
    ),
    "ProxyAsModule": (
        "StreamingTranslationProxy",
        None,
        ("python", "-m", "services.streaming_translation_proxy.proxy"),
    ),
    "GPUSchedulerAsModule": (
        "CrossMachineGPUScheduler",
        None,
        ("python", "-m", "services.cross_gpu_scheduler.app"),
    ),
    "RunAgentScript": ("TaskScheduler", "scripts/run_agent", None),
}


@pytest.fixture(scope="module")
def variants(fleet: Fleet) -> api.FleetScan:
    """Agents of the fleet started the other way (script <-> python -m), and scripts/run_agent."""
    agents = dict(fleet.agents)
    for name, (base, entrypoint, cmd) in VARIANTS.items():
        original = fleet.agent(base)
        agents[name] = dataclasses.replace(original, name=name, entrypoint=entrypoint or original.entrypoint, cmd=cmd)
    return api.scan(dataclasses.replace(fleet, agents=agents), list(VARIANTS), use_cache=False)


def dist_level(dotted: str) -> str | None:
    """``google.protobuf.json_format`` -> ``google.protobuf``; ``redis.asyncio`` -> ``redis``;
    None for a bare namespace prefix (``google.cloud``)."""
    parts = dotted.split(".")
    for end in range(1, len(parts) + 1):
        name = ".".join(parts[:end])
        if name not in NAMESPACES:
            return name
    return None


class Use(NamedTuple):
    kind: str
    marker: str | None
    dynamic: bool


KIND_ORDER = ("required", "lazy", "optional", "type_only")


def closure(scan: AgentScan) -> dict[str, Use]:
    """The agent's third-party modules by distribution-level name. A plain top-level module has the
    kind of its ExternalImport; under a namespace prefix each distribution-level name has the best
    kind of its own dotted names (``ExternalImport.use``)."""
    found: dict[str, Use] = {}
    for external in scan.third_party:
        if external.module not in NAMESPACES:
            found[external.module] = Use(external.kind, external.marker, external.dynamic)
            continue
        for dotted in external.modules:
            name = dist_level(dotted)
            if name is None:
                continue
            use = external.use(dotted)
            seen = found.get(name)
            if seen is None or KIND_ORDER.index(use.kind) < KIND_ORDER.index(seen.kind):
                found[name] = Use(use.kind, use.marker, use.dynamic)
    return found


def records_at(scan: AgentScan, file: str, line: int) -> list[ImportRecord]:
    return [r for r in scan.imports if r.file == file and r.line == line]


def third_party_names(scan: AgentScan, record: ImportRecord) -> set[str]:
    """Distribution-level names the third-party site ``record`` stands for in ``scan.third_party``."""
    hop = Hop(file=record.file, line=record.line, module=record.module)
    names: set[str] = set()
    for external in scan.third_party:
        if hop in external.sites:
            for dotted in external.modules:
                if dotted == record.module or dotted.startswith(record.module + "."):
                    name = dist_level(dotted)
                    if name is not None:
                        names.add(name)
    return names


@functools.cache
def extracted(file: str) -> FileImports:
    return extract((ROOT / file).read_bytes(), filename=file)


def site(file: str, line: int, module: str) -> ImportSite:
    """The import site of ``module`` (as written, without leading dots) at ``file:line``."""
    found = [s for s in extracted(file).sites if s.line == line and s.module == module]
    assert len(found) == 1, f"{file}:{line}: {extracted(file).sites}"
    return found[0]


class Row(NamedTuple):
    """One import site: ``agent`` reaches ``file``; the site imports ``written`` (as depmin records
    it: as written, leading dots kept); ``name`` is the expected module (distribution level for
    third-party, the dotted name otherwise); ``kind`` is the propagated kind at the site."""

    agent: str
    file: str
    line: int
    written: str
    name: str
    kind: str
    category: str
    target: str | None = None
    recovered: bool = False


def rows(table: str) -> list[Row]:
    """One site per line, blank-separated: ``agent file:line written name kind category target``
    (``-`` for no target) and an optional trailing ``recovered``; ``#`` lines are comments."""
    found = []
    for text in table.splitlines():
        if not text.strip() or text.strip().startswith("#"):
            continue
        agent, where, written, name, kind, category, target, *flag = text.split()
        file, _, line = where.rpartition(":")
        assert flag in ([], ["recovered"]), text
        found.append(
            Row(
                agent,
                file,
                int(line),
                written,
                name,
                kind,
                category,
                None if target == "-" else target,
                bool(flag),
            )
        )
    return found


def row_id(row: Row) -> str:
    return f"{row.agent}:{row.file}:{row.line}:{row.written}"


def check_row(scanned: api.FleetScan, row: Row) -> None:
    scan = scanned.agent(row.agent)
    assert row.file in scan.files, f"{row.agent} does not reach {row.file}"
    at_site = records_at(scan, row.file, row.line)
    found = [r for r in at_site if r.module == row.written]
    assert found, f"{row.file}:{row.line}: no import of {row.written!r}; found {at_site}"
    # One site, one classification (a missing module is not also first-party).
    assert [r.category for r in found] == [row.category], found
    record = found[0]
    assert record.kind == row.kind, record
    assert record.recovered is row.recovered, record
    assert record.target == row.target, record
    top = row.name.split(".")[0]
    if row.category == "third-party":
        assert third_party_names(scan, record) == {row.name}, (record, scan.third_party)
        assert row.name in closure(scan)
    elif row.category == "stdlib":
        assert record.module == row.name
        assert top in scan.stdlib
    elif row.category in ("missing", "unresolved"):
        assert record.module == row.name
        listed = scan.missing if row.category == "missing" else scan.unresolved
        hop = Hop(file=row.file, line=row.line, module=row.written)
        assert [(u.module, u.kind) for u in listed if u.site == hop] == [(row.name, row.kind)], listed
        assert top not in closure(scan), "a first-party name must never become a requirement"
    if row.category != "third-party":
        assert not {n for n in closure(scan) if n.split(".")[0] == top}, scan.third_party


# -- 1. sys.path edits computed from __file__ -------------------------------------------------------

PATH_EDITS = [
    # (file, line, directory it puts on sys.path relative to the root, str entry)
    ("main_pc_code/agents/service_registry_agent.py", 20, ".", True),
    ("main_pc_code/agents/code_generator_agent.py", 14, ".", True),
    ("main_pc_code/agents/nlu_agent.py", 12, ".", True),
    ("main_pc_code/services/stt_service.py", 9, ".", True),
    ("pc2_code/agents/ForPC2/unified_utils_agent.py", 7, ".", True),
    ("pc2_code/agents/ForPC2/unified_utils_agent.py", 8, "pc2_code/agents", True),
    ("unified_observability_center/app.py", 10, ".", True),
    ("affective_processing_center/app.py", 9, ".", True),
    ("main_pc_code/agents/smart_home_agent.py", 9, "main_pc_code", True),
    ("main_pc_code/agents/smart_home_agent.py", 10, ".", True),
    ("main_pc_code/FORMAINPC/tiny_llama_service_enhanced.py", 7, ".", True),
    ("main_pc_code/FORMAINPC/chain_of_thought_agent.py", 6, ".", True),
    ("main_pc_code/FORMAINPC/got_tot_agent.py", 9, ".", True),
    ("main_pc_code/FORMAINPC/cognitive_model_agent.py", 5, ".", True),
    ("services/self_healing_supervisor/supervisor.py", 11, ".", True),
    ("pc2_code/agents/task_scheduler.py", 16, ".", True),
    ("pc2_code/agents/tiered_responder.py", 7, ".", True),
    ("pc2_code/agents/cache_manager.py", 7, ".", True),
    ("pc2_code/agents/ForPC2/AuthenticationAgent.py", 17, ".", True),
    ("pc2_code/agents/ForPC2/AuthenticationAgent.py", 18, "pc2_code/agents", True),
    ("real_time_audio_pipeline/app.py", 9, ".", True),
    ("services/speech_relay/relay.py", 11, ".", True),
    ("model_ops_coordinator/proto/__init__.py", 6, "model_ops_coordinator/proto", True),
    # a pathlib.Path inserted as is: the import system skips entries that are not str
    ("pc2_code/agents/resource_manager.py", 11, "pc2_code/agents/vendor", False),
    ("scripts/run_agent", 17, ".", True),
]


@pytest.mark.parametrize(("file", "line", "directory", "str_entry"), PATH_EDITS, ids=str)
def test_sys_path_edit_is_evaluated(file: str, line: int, directory: str, str_entry: bool) -> None:
    edits = [e for e in extracted(file).path_edits if e.line == line]
    assert len(edits) == 1, extracted(file).path_edits
    edit = edits[0]
    assert posixpath.normpath(posixpath.join(posixpath.dirname(file), edit.path)) == directory
    assert edit.str_entry is str_entry
    assert edit.position == "insert"


SYS_PATH_ROWS = rows(
    """
    AuthenticationAgent  pc2_code/agents/ForPC2/AuthenticationAgent.py:22     utils.auth_helpers   utils.auth_helpers   required  first-party  pc2_code/agents/utils/auth_helpers.py
    SmartHomeAgent       main_pc_code/agents/smart_home_agent.py:12           utils.config_loader  utils.config_loader  required  first-party  main_pc_code/utils/config_loader.py
    SmartHomeAgent       main_pc_code/utils/config_loader.py:10               .path_manager        utils.path_manager   required  first-party  main_pc_code/utils/path_manager.py
    SmartHomeAgent       main_pc_code/utils/config_loader.py:8                yaml                 yaml                 required  third-party  -
    UnifiedUtilsAgent    pc2_code/agents/ForPC2/unified_utils_agent.py:11     utils.system_stats   utils.system_stats   required  first-party  pc2_code/agents/utils/system_stats.py
    UnifiedUtilsAgent    pc2_code/agents/utils/system_stats.py:6              psutil               psutil               required  third-party  -
    # proto/__init__.py:6 puts its own directory on the (process-wide) sys.path when the package is
    # imported, so the bare `import model_ops_pb2` that follows anywhere finds the sibling file.
    ModelOpsCoordinator  model_ops_coordinator/proto/model_ops_pb2_grpc.py:5  model_ops_pb2        model_ops_pb2        required  first-party  model_ops_coordinator/proto/model_ops_pb2.py
    ModelOpsCoordinator  model_ops_coordinator/server/grpc_server.py:8        model_ops_pb2        model_ops_pb2        required  first-party  model_ops_coordinator/proto/model_ops_pb2.py
    # the vendor directory went onto sys.path as a Path object, which Python ignores
    ResourceManager      pc2_code/agents/resource_manager.py:13               gpu_probe            gpu_probe            required  unresolved   -
    """
)


@pytest.mark.parametrize("row", SYS_PATH_ROWS, ids=row_id)
def test_imports_resolved_through_sys_path_edits(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


def H(file: str, line: int, module: str) -> Hop:
    return Hop(file=file, line=line, module=module)


AUTH = "pc2_code/agents/ForPC2/AuthenticationAgent.py"
SMART = "main_pc_code/agents/smart_home_agent.py"
MOC_APP = "model_ops_coordinator/app.py"
GRPC_SERVER = "model_ops_coordinator/server/grpc_server.py"
PB2_GRPC = "model_ops_coordinator/proto/model_ops_pb2_grpc.py"
PB2 = "model_ops_coordinator/proto/model_ops_pb2.py"

# Both are real chains of required imports from the entrypoint; the first is the order Python
# executes them in (grpc_server.py:7 imports model_ops_pb2_grpc, whose line 5 loads model_ops_pb2).
MOC_TO_PB2 = (
    (H(MOC_APP, 17, ".server.grpc_server"), H(GRPC_SERVER, 7, "..proto"), H(PB2_GRPC, 5, "model_ops_pb2")),
    (H(MOC_APP, 17, ".server.grpc_server"), H(GRPC_SERVER, 8, "model_ops_pb2")),
)


@pytest.mark.parametrize(
    ("agent", "module", "chains"),
    [
        (
            "AuthenticationAgent",
            "jwt",
            [(H(AUTH, 22, "utils.auth_helpers"), H("pc2_code/agents/utils/auth_helpers.py", 15, "jwt"))],
        ),
        ("AuthenticationAgent", "utils.auth_helpers", [(H(AUTH, 22, "utils.auth_helpers"),)]),
        (
            "AuthenticationAgent",
            "pc2_code/agents/utils/auth_helpers.py",
            [(H(AUTH, 22, "utils.auth_helpers"),)],
        ),
        ("SmartHomeAgent", "utils.config_loader", [(H(SMART, 12, "utils.config_loader"),)]),
        ("SmartHomeAgent", "main_pc_code/utils/config_loader.py", [(H(SMART, 12, "utils.config_loader"),)]),
        (
            "UnifiedUtilsAgent",
            "psutil",
            [
                (
                    H("pc2_code/agents/ForPC2/unified_utils_agent.py", 11, "utils.system_stats"),
                    H("pc2_code/agents/utils/system_stats.py", 6, "psutil"),
                )
            ],
        ),
        ("ModelOpsCoordinator", "model_ops_pb2", list(MOC_TO_PB2)),
        ("ModelOpsCoordinator", PB2, list(MOC_TO_PB2)),
        (
            "ModelOpsCoordinator",
            "google.protobuf",
            [(*chain, H(PB2, 6, "google.protobuf")) for chain in MOC_TO_PB2],
        ),
        ("ResourceManager", "gpu_probe", [None]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_why_chains_through_sys_path_edits(
    scanned: api.FleetScan, agent: str, module: str, chains: list[tuple[Hop, ...] | None]
) -> None:
    assert api.why(scanned.agent(agent), module) in chains


def test_path_object_entry_is_ignored(scanned: api.FleetScan) -> None:
    scan = scanned.agent("ResourceManager")
    assert "pc2_code/agents/vendor/gpu_probe.py" not in scan.files
    assert [(u.module, u.site) for u in scan.unresolved] == [
        ("gpu_probe", H("pc2_code/agents/resource_manager.py", 13, "gpu_probe"))
    ]
    assert not scan.missing
    assert "gpu_probe" not in closure(scan)


# -- 2. try/except ImportError -------------------------------------------------------------------

OPTIONAL_ROWS = rows(
    """
    ChitchatAgent               common/serialization.py:5                                   orjson                             orjson                             optional  third-party  -
    ChitchatAgent               common/serialization.py:8                                   ujson                              ujson                              optional  third-party  -
    ChitchatAgent               common/serialization.py:10                                  json                               json                               optional  stdlib       -
    ChitchatAgent               common/serialization.py:13                                  msgpack                            msgpack                            optional  third-party  -
    ServiceRegistry             main_pc_code/agents/service_registry_agent.py:27            orjson                             orjson                             optional  third-party  -
    ServiceRegistry             main_pc_code/agents/service_registry_agent.py:32            redis                              redis                              optional  third-party  -
    AuthenticationAgent         pc2_code/agents/utils/auth_helpers.py:15                    jwt                                jwt                                optional  third-party  -
    FusedAudioPreprocessor      main_pc_code/agents/fused_audio_preprocessor.py:11          noisereduce                        noisereduce                        optional  third-party  -
    WakeWordDetector            main_pc_code/agents/wake_word_detector.py:13                pvporcupine                        pvporcupine                        optional  third-party  -
    STTService                  main_pc_code/services/stt_service.py:18                     whisper                            whisper                            optional  third-party  -
    MemoryFusionHub             memory_fusion_hub/adapters/cloud_backup.py:7                azure.storage.blob                 azure.storage.blob                 optional  third-party  -
    UnifiedObservabilityCenter  unified_observability_center/collectors/gpu_collector.py:7  pynvml                             pynvml                             optional  third-party  -
    MemoryFusionHub             memory_fusion_hub/adapters/redis_adapter.py:5               orjson                             orjson                             optional  third-party  -
    ActiveLearningMonitor       main_pc_code/agents/active_learning_monitor.py:10           main_pc_code.utils.legacy_metrics  main_pc_code.utils.legacy_metrics  optional  missing      -
    # the handler re-raises or exits: the import is required
    Executor                    common/zmq_helpers.py:7                                     zmq                                zmq                                required  third-party  -
    TinyLlamaServiceEnhanced    main_pc_code/FORMAINPC/tiny_llama_service_enhanced.py:10    torch                              torch                              required  third-party  -
    ChainOfThoughtAgent         main_pc_code/FORMAINPC/chain_of_thought_agent.py:9          torch                              torch                              required  third-party  -
    """
)


@pytest.mark.parametrize("row", OPTIONAL_ROWS, ids=row_id)
def test_try_except_import_error(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


# -- 3. lazy imports ---------------------------------------------------------------------------------

LAZY_ROWS = rows(
    """
    NLUAgent                    main_pc_code/agents/nlu_agent.py:30              nltk                     nltk                                     lazy  third-party  -
    STTService                  main_pc_code/services/stt_service.py:36          faster_whisper           faster_whisper                           lazy  third-party  -
    ModelOpsCoordinator         model_ops_coordinator/core/model_registry.py:26  transformers             transformers                             lazy  third-party  -
    AffectiveProcessingCenter   affective_processing_center/app.py:31            torch                    torch                                    lazy  third-party  -
    AffectiveProcessingCenter   affective_processing_center/app.py:32            transformers             transformers                             lazy  third-party  -
    RealTimeAudioPipeline       real_time_audio_pipeline/core/pipeline.py:24     faster_whisper           faster_whisper                           lazy  third-party  -
    VoiceProfilingAgent         main_pc_code/agents/voice_profiling_agent.py:20  librosa                  librosa                                  lazy  third-party  -
    WakeWordDetector            main_pc_code/agents/wake_word_detector.py:35     openwakeword.model       openwakeword                             lazy  third-party  -
    UnifiedObservabilityCenter  unified_observability_center/app.py:45           aiohttp                  aiohttp                                  lazy  third-party  -
    UnifiedObservabilityCenter  unified_observability_center/app.py:69           uvicorn                  uvicorn                                  lazy  third-party  -
    MemoryFusionHub             memory_fusion_hub/adapters/cloud_backup.py:33    google.cloud             google.cloud.storage                     lazy  third-party  -
    MemoryFusionHub             memory_fusion_hub/adapters/cloud_backup.py:20    azure.identity           azure.identity                           lazy  third-party  -
    MemoryFusionHub             memory_fusion_hub/core/fusion_service.py:27      ..adapters.cloud_backup  memory_fusion_hub.adapters.cloud_backup  lazy  first-party  memory_fusion_hub/adapters/cloud_backup.py
    MemoryFusionHub             memory_fusion_hub/core/fusion_service.py:40      ..proto                  memory_fusion_hub.proto.memory_pb2_grpc  lazy  first-party  memory_fusion_hub/proto/memory_pb2_grpc.py
    UnifiedWebAgent             pc2_code/agents/unified_web_agent.py:34          bs4                      bs4                                      lazy  third-party  -
    """
)

LAZY_OPTIONAL_ROWS = rows(
    """
    CodeGenerator             main_pc_code/agents/code_generator_agent.py:37       black                              black                      optional  third-party  -
    CloudTranslationService   main_pc_code/agents/cloud_translation_service.py:28  google.cloud                       google.cloud.translate_v2  optional  third-party  -
    UnifiedWebAgent           pc2_code/agents/unified_web_agent.py:20              selenium                           selenium                   optional  third-party  -
    UnifiedWebAgent           pc2_code/agents/unified_web_agent.py:21              selenium.webdriver.chrome.options  selenium                   optional  third-party  -
    CrossMachineGPUScheduler  services/cross_gpu_scheduler/app.py:43               pynvml                             pynvml                     optional  third-party  -
    RealTimeAudioPipeline     real_time_audio_pipeline/core/vad.py:21              webrtcvad                          webrtcvad                  optional  third-party  -  recovered
    """
)


@pytest.mark.parametrize("row", LAZY_ROWS, ids=row_id)
def test_lazy_imports(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)
    assert site(row.file, row.line, row.written.lstrip(".")).lazy


@pytest.mark.parametrize("row", LAZY_OPTIONAL_ROWS, ids=row_id)
def test_lazy_and_optional_imports_are_optional(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)
    found = site(row.file, row.line, row.written)
    assert found.lazy
    assert found.optional
    assert found.kind == "optional"


# -- 4. if TYPE_CHECKING ---------------------------------------------------------------------------

TYPE_ONLY_ROWS = rows(
    """
    UnifiedObservabilityCenter  unified_observability_center/app.py:22           pandas              pandas                        type_only  third-party  -
    ObservabilityDashboardAPI   services/obs_dashboard_api/server.py:16          starlette.requests  starlette                     type_only  third-party  -
    MemoryFusionHub             memory_fusion_hub/core/models.py:7               redis.asyncio       redis                         type_only  third-party  -
    AdvancedRouter              pc2_code/agents/advanced_router.py:12            common.base_agent   common.base_agent             type_only  first-party  common/base_agent.py
    # `import typing as t` (line 3) ... `if t.TYPE_CHECKING:` (line 7)
    ModelOpsCoordinator         model_ops_coordinator/core/model_registry.py:8   transformers        transformers                  type_only  third-party  -
    ModelOpsCoordinator         model_ops_coordinator/core/model_registry.py:10  ..config            model_ops_coordinator.config  type_only  first-party  model_ops_coordinator/config.py
    """
)


@pytest.mark.parametrize("row", TYPE_ONLY_ROWS, ids=row_id)
def test_type_checking_imports(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)
    assert site(row.file, row.line, row.written.lstrip(".")).type_only


# -- 5. dynamic imports with literal names -----------------------------------------------------------
# PATTERNS.md ranks `dynamic` above `lazy` at one site and propagates it like `required`. Python runs
# importlib.import_module / __import__ in a method body only when the method is called, exactly like
# an `import` statement there: such a site is lazy, with depmin's separate `dynamic` flag set. Only
# nlu_agent.py:17 sits at module level (required).

DYNAMIC_ROWS = rows(
    """
    NLUAgent                  main_pc_code/agents/nlu_agent.py:17                       main_pc_code.agents.plugins.intent_rules      main_pc_code.agents.plugins.intent_rules      required  first-party  main_pc_code/agents/plugins/intent_rules.py
    UnifiedSystemAgent        main_pc_code/agents/unified_system_agent.py:22            main_pc_code.utils.service_discovery          main_pc_code.utils.service_discovery          lazy      first-party  main_pc_code/utils/service_discovery.py
    UnifiedSystemAgent        main_pc_code/agents/unified_system_agent.py:23            psutil                                        psutil                                        lazy      third-party  -
    TinyLlamaServiceEnhanced  main_pc_code/FORMAINPC/tiny_llama_service_enhanced.py:37  sentencepiece                                 sentencepiece                                 lazy      third-party  -
    EmotionEngine             main_pc_code/agents/emotion_engine.py:16                  main_pc_code.agents.plugins.sentiment_plugin  main_pc_code.agents.plugins.sentiment_plugin  lazy      first-party  main_pc_code/agents/plugins/sentiment_plugin.py
    """
)


@pytest.mark.parametrize("row", DYNAMIC_ROWS, ids=row_id)
def test_dynamic_imports(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)
    assert site(row.file, row.line, row.written).dynamic
    if row.category == "third-party":
        external = closure(scanned.agent(row.agent))[row.name]
        assert external.dynamic is True
        assert external.kind == row.kind


def test_dynamic_import_of_a_computed_name_is_not_reported(scanned: api.FleetScan) -> None:
    scan = scanned.agent("NLUAgent")
    assert records_at(scan, "main_pc_code/agents/nlu_agent.py", 25) == []
    assert [s for s in extracted("main_pc_code/agents/nlu_agent.py").sites if s.line == 25] == []


def test_target_of_a_dynamic_import_is_followed(scanned: api.FleetScan) -> None:
    """sentiment_plugin.py (reached only through __import__ in a method) does not parse; its
    vaderSentiment import is recovered and, like the edge above it, lazy."""
    scan = scanned.agent("EmotionEngine")
    assert "main_pc_code/agents/plugins/sentiment_plugin.py" in {r.file for r in scan.recovered}
    record = next(r for r in scan.imports if r.module == "vaderSentiment.vaderSentiment")
    assert (record.file, record.line, record.kind, record.recovered) == (
        "main_pc_code/agents/plugins/sentiment_plugin.py",
        12,
        "lazy",
        True,
    )
    assert closure(scan)["vaderSentiment"].kind == "lazy"


# -- 6. conditional imports ---------------------------------------------------------------------------

WIN = 'sys_platform == "win32"'
NOT_WIN = 'sys_platform != "win32"'
CONDITIONAL_ROWS = [
    # (agent, file, line, module, category, marker)
    ("Responder", "common/platform_compat.py", 6, "msvcrt", "stdlib", WIN),
    ("Responder", "common/platform_compat.py", 7, "win32api", "third-party", WIN),
    ("Responder", "common/platform_compat.py", 8, "win32con", "third-party", WIN),
    ("Responder", "common/platform_compat.py", 10, "fcntl", "stdlib", NOT_WIN),
    ("Responder", "common/platform_compat.py", 13, "tomllib", "stdlib", 'python_version >= "3.11"'),
    ("Responder", "common/platform_compat.py", 15, "tomli", "third-party", 'python_version < "3.11"'),
    (
        "ModelOpsCoordinator",
        "model_ops_coordinator/config.py",
        13,
        "tomli",
        "third-party",
        'python_version < "3.11"',
    ),
    ("Executor", "main_pc_code/agents/executor.py", 16, "winreg", "stdlib", WIN),
    ("Executor", "main_pc_code/agents/executor.py", 17, "win32process", "third-party", WIN),
    (
        "AudioCapture",
        "main_pc_code/agents/streaming_audio_capture.py",
        13,
        "pyaudiowpatch",
        "third-party",
        WIN,
    ),
    (
        "ProactiveContextMonitor",
        "pc2_code/agents/ForPC2/proactive_context_monitor.py",
        14,
        "uvloop",
        "third-party",
        NOT_WIN,
    ),
]


@pytest.mark.parametrize(("agent", "file", "line", "module", "category", "marker"), CONDITIONAL_ROWS, ids=str)
def test_conditional_imports_carry_their_marker(
    scanned: api.FleetScan, agent: str, file: str, line: int, module: str, category: str, marker: str
) -> None:
    check_row(scanned, Row(agent, file, line, module, module, "required", category))
    assert site(file, line, module).marker == marker
    if category == "third-party":
        external = closure(scanned.agent(agent))[module]
        assert (external.kind, external.marker) == ("required", marker)


# -- 7. relative imports ------------------------------------------------------------------------------

RELATIVE_ROWS = rows(
    """
    MemoryFusionHub             memory_fusion_hub/app.py:11                            .api                  memory_fusion_hub.api                         required  first-party  memory_fusion_hub/api.py
    MemoryFusionHub             memory_fusion_hub/app.py:12                            .core                 memory_fusion_hub.core.fusion_service         required  first-party  memory_fusion_hub/core/fusion_service.py
    MemoryFusionHub             memory_fusion_hub/core/fusion_service.py:8             ..common_utils        memory_fusion_hub.common_utils                required  first-party  memory_fusion_hub/common_utils.py
    MemoryFusionHub             memory_fusion_hub/core/fusion_service.py:6             ..adapters            memory_fusion_hub.adapters.redis_adapter      required  first-party  memory_fusion_hub/adapters/redis_adapter.py
    # config.py beside a config/ directory without __init__.py: the module wins
    ModelOpsCoordinator         model_ops_coordinator/app.py:14                        .                     model_ops_coordinator.config                  required  first-party  model_ops_coordinator/config.py
    ModelOpsCoordinator         model_ops_coordinator/app.py:15                        .core.model_registry  model_ops_coordinator.core.model_registry     required  first-party  model_ops_coordinator/core/model_registry.py
    NLUAgent                    main_pc_code/agents/plugins/intent_rules.py:4          ..common_utils        main_pc_code.agents.common_utils              required  first-party  main_pc_code/agents/common_utils.py
    NLUAgent                    main_pc_code/agents/plugins/intent_rules.py:5          .                     main_pc_code.agents.plugins.rule_table        required  first-party  main_pc_code/agents/plugins/rule_table.py
    RealTimeAudioPipeline       real_time_audio_pipeline/core/pipeline.py:9            .                     real_time_audio_pipeline.core.vad             required  first-party  real_time_audio_pipeline/core/vad.py
    RealTimeAudioPipeline       real_time_audio_pipeline/core/pipeline.py:11           ..config              real_time_audio_pipeline.config               required  first-party  real_time_audio_pipeline/config.py
    AffectiveProcessingCenter   affective_processing_center/__init__.py:2              .constants            affective_processing_center.constants         required  first-party  affective_processing_center/constants.py
    UnifiedObservabilityCenter  unified_observability_center/collectors/__init__.py:2  .base                 unified_observability_center.collectors.base  required  first-party  unified_observability_center/collectors/base.py
    """
)


@pytest.mark.parametrize("row", RELATIVE_ROWS, ids=row_id)
def test_relative_imports(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


# -- 8. from package import submodule -------------------------------------------------------------

SUBMODULE_ROWS = rows(
    """
    ServiceRegistry             common/config.py:11                            common                                   common.env_helpers                                        required  first-party  common/env_helpers.py
    TaskScheduler               pc2_code/agents/task_scheduler.py:19           pc2_code.utils                           pc2_code.utils.config_loader                              required  first-party  pc2_code/utils/config_loader.py
    UnifiedObservabilityCenter  unified_observability_center/app.py:18         unified_observability_center.collectors  unified_observability_center.collectors.system_collector  required  first-party  unified_observability_center/collectors/system_collector.py
    ModelOpsCoordinator         model_ops_coordinator/server/grpc_server.py:7  ..proto                                  model_ops_coordinator.proto.model_ops_pb2_grpc            required  first-party  model_ops_coordinator/proto/model_ops_pb2_grpc.py
    MemoryFusionHub             memory_fusion_hub/core/fusion_service.py:9     ..proto                                  memory_fusion_hub.proto.memory_pb2                        required  first-party  memory_fusion_hub/proto/memory_pb2.py
    FusedAudioPreprocessor      main_pc_code/utils/audio_utils.py:24           scipy                                    scipy                                                     required  third-party  -                                                            recovered
    """
)


@pytest.mark.parametrize("row", SUBMODULE_ROWS, ids=row_id)
def test_from_package_import_submodule(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


# -- 9. third-party namespace packages ------------------------------------------------------------

NAMESPACE_ROWS = rows(
    """
    MemoryFusionHub           memory_fusion_hub/core/fusion_service.py:4           google.protobuf           google.protobuf            required  third-party  -
    ModelOpsCoordinator       model_ops_coordinator/proto/model_ops_pb2.py:6       google.protobuf           google.protobuf            required  third-party  -
    ModelOpsCoordinator       model_ops_coordinator/proto/model_ops_pb2.py:9       google.protobuf.internal  google.protobuf            required  third-party  -
    CrossMachineGPUScheduler  services/cross_gpu_scheduler/gpu_sched_pb2.py:6      google.protobuf           google.protobuf            required  third-party  -
    MemoryFusionHub           memory_fusion_hub/proto/memory_pb2.py:6              google.protobuf           google.protobuf            required  third-party  -
    MemoryFusionHub           memory_fusion_hub/adapters/cloud_backup.py:7         azure.storage.blob        azure.storage.blob         optional  third-party  -
    MemoryFusionHub           memory_fusion_hub/adapters/cloud_backup.py:20        azure.identity            azure.identity             lazy      third-party  -
    MemoryFusionHub           memory_fusion_hub/adapters/cloud_backup.py:33        google.cloud              google.cloud.storage       lazy      third-party  -
    CloudTranslationService   main_pc_code/agents/cloud_translation_service.py:28  google.cloud              google.cloud.translate_v2  optional  third-party  -
    """
)


@pytest.mark.parametrize("row", NAMESPACE_ROWS, ids=row_id)
def test_namespace_package_sites(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


@pytest.mark.parametrize(
    ("agent", "name", "kind"),
    [
        ("MemoryFusionHub", "google.protobuf", "required"),
        ("MemoryFusionHub", "google.cloud.storage", "lazy"),
        ("MemoryFusionHub", "azure.identity", "lazy"),
        ("MemoryFusionHub", "azure.storage.blob", "optional"),
        ("ModelOpsCoordinator", "google.protobuf", "required"),
        ("CrossMachineGPUScheduler", "google.protobuf", "required"),
        ("CloudTranslationService", "google.cloud.translate_v2", "optional"),
    ],
    ids=lambda v: v,
)
def test_namespace_distributions_keep_their_own_kind(scanned: api.FleetScan, agent: str, name: str, kind: str) -> None:
    """`google` and `azure` are not distributions: protobuf, google-cloud-storage, azure-identity
    and azure-storage-blob each have their own kind for the agent."""
    scan = scanned.agent(agent)
    assert name in closure(scan), scan.third_party
    assert closure(scan)[name].kind == kind, closure(scan)[name]


# -- 10. generated protobuf modules ------------------------------------------------------------------

PROTO_ROWS = rows(
    """
    ModelOpsCoordinator       model_ops_coordinator/proto/model_ops_pb2_grpc.py:3   grpc                grpc                required  third-party  -
    ModelOpsCoordinator       model_ops_coordinator/proto/model_ops_pb2_grpc.py:5   model_ops_pb2       model_ops_pb2       required  first-party  model_ops_coordinator/proto/model_ops_pb2.py
    CrossMachineGPUScheduler  services/cross_gpu_scheduler/gpu_sched_pb2_grpc.py:5  gpu_sched_pb2       gpu_sched_pb2       required  first-party  services/cross_gpu_scheduler/gpu_sched_pb2.py
    CrossMachineGPUScheduler  services/cross_gpu_scheduler/app.py:10                gpu_sched_pb2_grpc  gpu_sched_pb2_grpc  required  first-party  services/cross_gpu_scheduler/gpu_sched_pb2_grpc.py
    # memory_fusion_hub/proto/ is never on sys.path (the hub runs with -m); the edge is lazy for the hub
    MemoryFusionHub           memory_fusion_hub/proto/memory_pb2_grpc.py:5          memory_pb2          memory_pb2          lazy      unresolved   -
    """
)


@pytest.mark.parametrize("row", PROTO_ROWS, ids=row_id)
def test_generated_protobuf_modules(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


def test_unresolved_protobuf_sibling_is_not_a_requirement(scanned: api.FleetScan) -> None:
    scan = scanned.agent("MemoryFusionHub")
    assert [(u.module, u.kind, u.site) for u in scan.unresolved] == [
        ("memory_pb2", "lazy", H("memory_fusion_hub/proto/memory_pb2_grpc.py", 5, "memory_pb2"))
    ]
    assert not scan.missing
    assert api.why(scan, "memory_pb2") is None


# -- 11. missing first-party modules ---------------------------------------------------------------

MISSING_ROWS = rows(
    """
    PredictiveHealthMonitor  main_pc_code/agents/predictive_health_monitor.py:11  main_pc_code.utils.legacy_metrics  main_pc_code.utils.legacy_metrics  required  missing  -
    ActiveLearningMonitor    main_pc_code/agents/active_learning_monitor.py:10    main_pc_code.utils.legacy_metrics  main_pc_code.utils.legacy_metrics  optional  missing  -
    CacheManager             pc2_code/agents/cache_manager.py:13                  pc2_code.utils.legacy_cache        pc2_code.utils.legacy_cache        required  missing  -
    """
)


@pytest.mark.parametrize("row", MISSING_ROWS, ids=row_id)
def test_missing_first_party_modules(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)
    scan = scanned.agent(row.agent)
    assert [(m.module, m.site.file, m.site.line) for m in scan.missing] == [(row.name, row.file, row.line)]
    assert not scan.unresolved


# -- 12. import-looking text that is not an import ------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "file", "line", "module"),
    [
        ("CodeGenerator", "main_pc_code/agents/code_generator_agent.py", 4, "fake_module_in_docstring"),
        ("CodeGenerator", "main_pc_code/agents/code_generator_agent.py", 24, "not_a_module"),
        ("CodeGenerator", "main_pc_code/agents/code_generator_agent.py", 26, "subprocess"),
        ("CodeGenerator", "main_pc_code/agents/code_generator_agent.py", 27, "commented_out_module"),
        ("NLUAgent", "main_pc_code/agents/nlu_agent.py", 6, "fake_nlu_backend"),
        ("RemoteConnectorAgent", "common/legacy_compat.py", 4, "legacy_compat_py2_only"),
    ],
    ids=str,
)
def test_text_that_only_looks_like_an_import(
    scanned: api.FleetScan, agent: str, file: str, line: int, module: str
) -> None:
    scan = scanned.agent(agent)
    assert file in scan.files
    assert records_at(scan, file, line) == []
    assert [s for s in extracted(file).sites if s.line == line] == []
    if module != "subprocess":  # subprocess is a real stdlib import elsewhere in some closures
        for other in scanned.agents:
            assert module not in {r.module.split(".")[0] for r in other.imports}, other.agent
            assert module not in closure(other)


def test_real_import_above_the_module_docstring(scanned: api.FleetScan) -> None:
    check_row(
        scanned,
        Row(
            "EmotionEngine",
            "main_pc_code/agents/emotion_engine.py",
            1,
            "zmq",
            "zmq",
            "required",
            "third-party",
        ),
    )


# -- 13. statement shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "file", "line", "expected", "recovered"),
    [
        (
            "UnifiedSystemAgent",
            "main_pc_code/agents/unified_system_agent.py",
            7,
            {("os", "stdlib"), ("sys", "stdlib"), ("xml.etree.ElementTree", "stdlib")},
            False,
        ),
        (
            "AdvancedCommandHandler",
            "main_pc_code/agents/advanced_command_handler.py",
            2,
            {("re", "stdlib"), ("shlex", "stdlib"), ("concurrent.futures", "stdlib")},
            False,
        ),
        (
            "CentralErrorBus",
            "services/central_error_bus/error_bus.py",
            4,
            {("zmq", "third-party"), ("yaml", "third-party"), ("logging.handlers", "stdlib")},
            True,
        ),
        # backslash continuation: subprocess is on line 4, the statement starts on line 3
        (
            "Executor",
            "main_pc_code/agents/executor.py",
            3,
            {("shlex", "stdlib"), ("subprocess", "stdlib")},
            False,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_one_statement_several_modules(
    scanned: api.FleetScan, agent: str, file: str, line: int, expected: set[tuple[str, str]], recovered: bool
) -> None:
    found = records_at(scanned.agent(agent), file, line)
    assert {(r.module, r.category) for r in found} == expected
    assert len(found) == len(expected)
    assert {(r.kind, r.recovered) for r in found} == {("required", recovered)}


SHAPE_ROWS = rows(
    """
    ActiveLearningMonitor     common/redis_client.py:3                                  redis.asyncio                 redis                         required  third-party  -
    MemoryFusionHub           memory_fusion_hub/adapters/redis_adapter.py:2             redis.asyncio                 redis                         required  third-party  -
    ProactiveContextMonitor   pc2_code/agents/ForPC2/proactive_context_monitor.py:5     redis.asyncio                 redis                         required  third-party  -
    FileSystemAssistantAgent  pc2_code/agents/filesystem_assistant_agent.py:3           os.path                       os.path                       required  stdlib       -
    FaceRecognitionAgent      main_pc_code/agents/face_recognition_agent.py:8           torch.nn.functional           torch                         required  third-party  -
    DreamWorldAgent           pc2_code/agents/DreamWorldAgent.py:6                      torch.nn                      torch                         required  third-party  -
    Executor                  main_pc_code/agents/executor.py:12                        common.zmq_helpers            common.zmq_helpers            required  first-party  common/zmq_helpers.py
    DreamWorldAgent           pc2_code/agents/DreamWorldAgent.py:9                      pc2_code.agents.dream_common  pc2_code.agents.dream_common  required  first-party  pc2_code/agents/dream_common.py
    AuthenticationAgent       pc2_code/agents/ForPC2/AuthenticationAgent.py:22          utils.auth_helpers            utils.auth_helpers            required  first-party  pc2_code/agents/utils/auth_helpers.py
    TinyLlamaServiceEnhanced  main_pc_code/FORMAINPC/tiny_llama_service_enhanced.py:15  transformers                  transformers                  required  third-party  -
    IntentionValidatorAgent   main_pc_code/agents/IntentionValidatorAgent.py:4          pydantic                      pydantic                      required  third-party  -
    CentralErrorBus           services/central_error_bus/error_bus.py:4                 yaml                          yaml                          required  third-party  -                                      recovered
    """
)


@pytest.mark.parametrize("row", SHAPE_ROWS, ids=row_id)
def test_statement_shapes(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


# -- 14. a package beside a same-named module --------------------------------------------------------

PACKAGE_BESIDE_MODULE_ROWS = rows(
    """
    SmartHomeAgent        main_pc_code/agents/smart_home_agent.py:15        common.utils        common.utils        required  first-party  common/utils/__init__.py
    DynamicIdentityAgent  main_pc_code/agents/DynamicIdentityAgent.py:45    common.utils.text   common.utils.text   required  first-party  common/utils/text.py                   recovered
    AuthenticationAgent   pc2_code/agents/ForPC2/AuthenticationAgent.py:22  utils.auth_helpers  utils.auth_helpers  required  first-party  pc2_code/agents/utils/auth_helpers.py
    """
)


@pytest.mark.parametrize("row", PACKAGE_BESIDE_MODULE_ROWS, ids=row_id)
def test_package_wins_over_same_named_module(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


def test_stale_same_named_modules_are_never_loaded(scanned: api.FleetScan) -> None:
    for scan in scanned.agents:
        assert "common/utils.py" not in scan.files, scan.agent
        assert "pc2_code/agents/utils.py" not in scan.files, scan.agent
        assert not {"simplejson", "tenacity", "boto3"} & set(closure(scan)), scan.agent
    assert "common/utils/__init__.py" in scanned.agent("SmartHomeAgent").files
    assert "pc2_code/agents/utils/__init__.py" in scanned.agent("AuthenticationAgent").files


# -- 15. a non-Python folder named like a third-party package ----------------------------------------

DOCKER_ROWS = rows(
    """
    SelfHealingSupervisor  services/self_healing_supervisor/supervisor.py:13  docker         docker  required  third-party  -
    SelfHealingSupervisor  services/self_healing_supervisor/recovery.py:33    docker.errors  docker  required  third-party  -  recovered
    """
)


@pytest.mark.parametrize("row", DOCKER_ROWS, ids=row_id)
def test_docker_folder_is_not_first_party(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)
    scan = scanned.agent(row.agent)
    assert not [f for f in scan.files if f.startswith("docker/")]
    assert not scan.missing
    assert not scan.unresolved


# -- 16. entrypoint modes ------------------------------------------------------------------------------

ENTRY_ROWS = rows(
    """
    ModelOpsCoordinator        model_ops_coordinator/app.py:14                   .                   model_ops_coordinator.config           required  first-party  model_ops_coordinator/config.py
    MemoryFusionHub            memory_fusion_hub/app.py:12                       .core               memory_fusion_hub.core.fusion_service  required  first-party  memory_fusion_hub/core/fusion_service.py
    ChitchatAgent              main_pc_code/agents/chitchat_agent.py:9           chitchat_prompts    chitchat_prompts                       required  first-party  main_pc_code/agents/chitchat_prompts.py
    TieredResponder            pc2_code/agents/tiered_responder.py:11            response_tiers      response_tiers                         required  first-party  pc2_code/agents/response_tiers.py
    StreamingTranslationProxy  services/streaming_translation_proxy/proxy.py:13  lang_codes          lang_codes                             required  first-party  services/streaming_translation_proxy/lang_codes.py
    CrossMachineGPUScheduler   services/cross_gpu_scheduler/app.py:10            gpu_sched_pb2_grpc  gpu_sched_pb2_grpc                     required  first-party  services/cross_gpu_scheduler/gpu_sched_pb2_grpc.py
    """
)


@pytest.mark.parametrize("row", ENTRY_ROWS, ids=row_id)
def test_entrypoint_mode_imports(scanned: api.FleetScan, row: Row) -> None:
    check_row(scanned, row)


# `python -m pkg.app` runs pkg/__init__.py first; ObservabilityDashboardAPI is started by
# `uvicorn services.obs_dashboard_api.server:app` (its cmd, § 17), which imports it as a module too.
MODULE_MODE = {
    "ModelOpsCoordinator": "model_ops_coordinator/__init__.py",
    "MemoryFusionHub": "memory_fusion_hub/__init__.py",
    "ObservabilityDashboardAPI": "services/obs_dashboard_api/__init__.py",
}


def test_run_modes_of_the_fleet(scanned: api.FleetScan) -> None:
    assert len(scanned.agents) == 69
    for scan in scanned.agents:
        assert scan.run_mode == ("module" if scan.agent in MODULE_MODE else "script"), scan.agent
        assert scan.run_problems == (), scan.agent
        assert scan.errors == (), scan.agent
    for agent, init in MODULE_MODE.items():
        assert init in scanned.agent(agent).files


@pytest.mark.parametrize(
    ("variant", "problems", "missing"),
    [
        # started as a script, `from . import x` raises "attempted relative import with no known parent package"
        (
            "ModelOpsCoordinatorAsScript",
            ["model_ops_coordinator/app.py:14:", "model_ops_coordinator/app.py:15:"],
            [],
        ),
        ("MemoryFusionHubAsScript", ["memory_fusion_hub/app.py:11:", "memory_fusion_hub/app.py:12:"], []),
        # started with -m, sys.path[0] is the working directory: bare sibling names no longer resolve
        ("ChitchatAsModule", ["main_pc_code/agents/chitchat_agent.py:9:"], ["chitchat_prompts"]),
        ("TieredResponderAsModule", ["pc2_code/agents/tiered_responder.py:11:"], ["response_tiers"]),
        ("ProxyAsModule", ["services/streaming_translation_proxy/proxy.py:13:"], ["lang_codes"]),
        (
            "GPUSchedulerAsModule",
            ["services/cross_gpu_scheduler/app.py:9:", "services/cross_gpu_scheduler/app.py:10:"],
            ["gpu_sched_pb2", "gpu_sched_pb2_grpc"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_run_mode_problems(variants: api.FleetScan, variant: str, problems: list[str], missing: list[str]) -> None:
    scan = variants.agent(variant)
    assert scan.run_mode == ("script" if variant.endswith("AsScript") else "module")
    for where in problems:
        assert [p for p in scan.run_problems if p.startswith(where)], scan.run_problems
    if variant.endswith("AsScript"):
        package = VARIANTS[variant][0]
        dotted = {
            "ModelOpsCoordinator": "model_ops_coordinator.app",
            "MemoryFusionHub": "memory_fusion_hub.app",
        }[package]
        assert all(f"python -m {dotted}" in p for p in scan.run_problems), scan.run_problems
    lost = {m.module for m in (*scan.missing, *scan.unresolved)}
    assert set(missing) <= lost, (scan.missing, scan.unresolved)
    assert not set(missing) & set(closure(scan)), "a sibling file must never become a requirement"


def test_script_without_py_suffix(variants: api.FleetScan) -> None:
    """scripts/run_agent: shebang, no .py; its sys.path edit (line 17) is the root."""
    scan = variants.agent("RunAgentScript")
    assert scan.recovered == ()
    check = {(r.line, r.module): (r.kind, r.category, r.target) for r in scan.imports if r.file == "scripts/run_agent"}
    assert check[(14, "yaml")] == ("required", "third-party", None)
    assert check[(19, "common.logging_setup")] == ("required", "first-party", "common/logging_setup.py")
    assert closure(scan)["yaml"].kind == "required"
    assert (ROOT / "scripts/run_agent").read_bytes().startswith(b"#!/usr/bin/env python3\n")


# -- 17. a FastAPI service that imports no server -----------------------------------------------------


def test_fastapi_service_without_uvicorn_import(scanned: api.FleetScan) -> None:
    check_row(
        scanned,
        Row(
            "ObservabilityDashboardAPI",
            "services/obs_dashboard_api/server.py",
            11,
            "fastapi",
            "fastapi",
            "required",
            "third-party",
        ),
    )
    scan = scanned.agent("ObservabilityDashboardAPI")
    assert "uvicorn" not in closure(scan)
    assert not [r for r in scan.imports if r.module.split(".")[0] == "uvicorn"]


# -- 18. import cycle in common ------------------------------------------------------------------------


def test_import_cycle_in_common(scanned: api.FleetScan) -> None:
    with_base = [s for s in scanned.agents if "common/base_agent.py" in s.files]
    assert len(with_base) > 50
    for scan in with_base:
        edges = {(r.file, r.line, r.target, r.kind) for r in scan.imports if r.category == "first-party"}
        assert ("common/config.py", 11, "common/env_helpers.py", "required") in edges, scan.agent
        assert ("common/env_helpers.py", 12, "common/config.py", "required") in edges, scan.agent


# -- 19. names used without an import ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "file", "module"),
    [
        ("ToneDetector", "main_pc_code/agents/tone_detector.py", "numpy"),
        ("AdvancedRouter", "pc2_code/agents/advanced_router.py", "numpy"),
        ("HumanAwarenessAgent", "main_pc_code/agents/human_awareness_agent.py", "cv2"),
    ],
    ids=lambda v: v,
)
def test_names_used_without_import_are_not_imports(scanned: api.FleetScan, agent: str, file: str, module: str) -> None:
    scan = scanned.agent(agent)
    assert file in scan.files
    assert not [r for r in scan.imports if r.file == file and r.module.split(".")[0] == module]
    if agent != "HumanAwarenessAgent":  # it imports numpy (recovered), just never cv2
        assert module not in closure(scan)
    else:
        assert "cv2" not in closure(scan)


# -- 20. file encodings and shapes -----------------------------------------------------------------


def test_bom_file(scanned: api.FleetScan) -> None:
    file = "main_pc_code/agents/executor.py"
    assert (ROOT / file).read_bytes().startswith(b"\xef\xbb\xbf")
    scan = scanned.agent("Executor")
    assert file not in {r.file for r in scan.recovered}
    assert {(r.line, r.module, r.kind, r.category) for r in scan.imports if r.file == file} >= {
        (8, "zmq", "required", "third-party"),
        (9, "yaml", "required", "third-party"),
        (17, "win32process", "required", "third-party"),
    }
    assert closure(scan)["win32process"].marker == 'sys_platform == "win32"'


def test_latin1_file(scanned: api.FleetScan) -> None:
    file = "main_pc_code/agents/cloud_translation_service.py"
    raw = (ROOT / file).read_bytes()
    assert raw.startswith(b"# -*- coding: latin-1 -*-")
    assert b"\xe9" in raw
    scan = scanned.agent("CloudTranslationService")
    assert file not in {r.file for r in scan.recovered}
    check_row(scanned, LAZY_OPTIONAL_ROWS[1])


def test_crlf_file(scanned: api.FleetScan) -> None:
    file = "pc2_code/agents/cache_manager.py"
    lines = (ROOT / file).read_bytes().split(b"\n")
    assert all(line.endswith(b"\r") for line in lines[:-1])
    scan = scanned.agent("CacheManager")
    assert file not in {r.file for r in scan.recovered}
    check_row(scanned, Row("CacheManager", file, 9, "redis", "redis", "required", "third-party"))
    check_row(scanned, MISSING_ROWS[2])


def test_tab_indented_file(scanned: api.FleetScan) -> None:
    file = "pc2_code/agents/AgentTrustScorer.py"
    assert not [line for line in (ROOT / file).read_bytes().splitlines() if line.startswith(b" ")]
    scan = scanned.agent("AgentTrustScorer")
    assert file not in {r.file for r in scan.recovered}
    check_row(scanned, Row("AgentTrustScorer", file, 5, "numpy", "numpy", "required", "third-party"))


# -- unparseable files ------------------------------------------------------------------------------------

UNPARSEABLE = [
    # (file, agent that reaches it or None for an orphan, damage line, compile() line, compile() message,
    #  every recovered import as module@line kind)
    (
        "affective_processing_center/synth.py",
        "AffectiveProcessingCenter",
        14,
        15,
        "expected an indented block after 'for' statement on line 14",
        "dataclasses@2 required; numpy@18 required; scipy.interpolate@19 required",
    ),
    (
        "common/error_reporting.py",
        "LearningManager",
        6,
        6,
        "invalid syntax",
        "socket@2 required; time@3 required; traceback@4 required; common.zmq_helpers@7 required; main_pc_code.utils.network_utils@9 required; zmq@11 required; common.serialization@13 required",
    ),
    (
        "common/legacy_compat.py",
        "RemoteConnectorAgent",
        14,
        14,
        "Missing parentheses in call to 'print'. Did you mean print(...)?",
        "os@6 required; sys@7 required; requests@27 required; six@28 required; six.moves@29 required",
    ),
    (
        "common/metrics.py",
        "SystemDigitalTwin",
        25,
        26,
        "closing parenthesis '}' does not match opening parenthesis '(' on line 25",
        "os@2 required; threading@3 required; time@4 required; psutil@34 required; prometheus_client@35 required",
    ),
    (
        "main_pc_code/FORMAINPC/cot_prompts.py",
        "ChainOfThoughtAgent",
        2,
        2,
        "'[' was never closed",
        "textwrap@16 required; common.utils.text@17 required",
    ),
    (
        "main_pc_code/agents/DynamicIdentityAgent.py",
        "DynamicIdentityAgent",
        13,
        13,
        "'[' was never closed",
        "os@2 required; threading@3 required; yaml@5 required; common.zmq_agent@7 required; common.utils.text@45 required; jinja2@46 required",
    ),
    (
        "main_pc_code/agents/archive/nlu_agent_v1.py",
        None,
        5,
        5,
        "invalid syntax",
        "json@2 required; os@3 required; spacy@6 required; spacy@8 required; spacy.matcher@9 required",
    ),
    (
        "main_pc_code/agents/archive/old_translator.py",
        None,
        9,
        9,
        "Missing parentheses in call to 'print'. Did you mean print(...)?",
        "urllib2@2 required; json@3 required; googletrans@13 required",
    ),
    (
        "main_pc_code/agents/emotion_model.py",
        "EmotionEngine",
        18,
        28,
        "expected an indented block after function definition on line 18",
        "dataclasses@2 required; typing@3 required; numpy@35 required",
    ),
    (
        "main_pc_code/agents/human_awareness_agent.py",
        "HumanAwarenessAgent",
        15,
        15,
        "'{' was never closed",
        "time@2 required; zmq@4 required; common.zmq_agent@6 required; numpy@39 required; common.zmq_helpers@40 required",
    ),
    (
        "main_pc_code/agents/learning_manager.py",
        "LearningManager",
        32,
        33,
        "expected an indented block after 'if' statement on line 32",
        "json@2 required; sqlite3@3 required; time@4 required; zmq@6 required; common.zmq_agent@8 required; numpy@43 required; common.error_reporting@44 required",
    ),
    (
        "main_pc_code/agents/mood_tracker_agent.py",
        "MoodTrackerAgent",
        25,
        25,
        "Missing parentheses in call to 'print'. Did you mean print(...)?",
        "time@2 required; common.redis_client@4 required; common.zmq_agent@5 required; main_pc_code.agents.emotion_model@6 required; numpy@39 required; redis@40 required",
    ),
    (
        "main_pc_code/agents/plugins/rule_table.py",
        "NLUAgent",
        4,
        12,
        "closing parenthesis '}' does not match opening parenthesis '[' on line 4",
        "common.utils.text@17 required",
    ),
    (
        "main_pc_code/agents/plugins/sentiment_plugin.py",
        "EmotionEngine",
        9,
        9,
        "Missing parentheses in call to 'print'. Did you mean print(...)?",
        "os@2 required; vaderSentiment.vaderSentiment@12 required",
    ),
    (
        "main_pc_code/agents/streaming_interrupt_handler.py",
        "StreamingInterruptHandler",
        30,
        30,
        "invalid syntax",
        "time@2 required; zmq@4 required; common.base_agent@6 required; common.zmq_helpers@7 required; numpy@43 required; common.utils@44 required",
    ),
    (
        "main_pc_code/agents/system_digital_twin.py",
        "SystemDigitalTwin",
        32,
        32,
        "'(' was never closed",
        "os@6 required; sqlite3@7 required; time@8 required; pathlib@9 required; yaml@11 required; common.redis_client@13 required; common.zmq_agent@14 required; psutil@61 required; common.metrics@62 required",
    ),
    (
        "main_pc_code/services/audio_io.py",
        "STTService",
        12,
        12,
        "Missing parentheses in call to 'exec'. Did you mean exec(...)?",
        "io@2 required; os@3 required; wave@4 required; numpy@21 required; soundfile@22 required",
    ),
    (
        "main_pc_code/utils/audio_utils.py",
        "FusedAudioPreprocessor",
        15,
        15,
        "expected an indented block after function definition on line 14",
        "numpy@2 required; soundfile@23 required; scipy@24 required",
    ),
    (
        "main_pc_code/utils/model_client.py",
        "CodeGenerator",
        22,
        23,
        "expected an indented block after 'if' statement on line 22",
        "os@2 required; time@3 required; zmq@5 required; common.serialization@7 required; common.utils@37 required",
    ),
    (
        "main_pc_code/utils/nlp_utils.py",
        "IntentionValidatorAgent",
        7,
        7,
        "'[' was never closed",
        "re@2 required; string@3 required; nltk@21 required; langdetect@22 required",
    ),
    (
        "memory_fusion_hub/adapters/sqlite_adapter.py",
        "MemoryFusionHub",
        23,
        24,
        "expected an indented block after 'if' statement on line 23",
        "json@2 required; os@3 required; sqlite3@4 required; threading@5 required; aiosqlite@30 required",
    ),
    (
        "model_ops_coordinator/core/gpu_lease.py",
        "ModelOpsCoordinator",
        15,
        15,
        "expected an indented block after 'with' statement on line 14",
        "contextlib@2 required; threading@3 required; pynvml@31 required; torch@32 required",
    ),
    (
        "model_ops_coordinator/server/zmq_server.py",
        "ModelOpsCoordinator",
        21,
        21,
        "invalid syntax",
        "zmq@2 required; common.serialization@4 required; ..core.scheduler@6 required; os@36 required",
    ),
    (
        "pc2_code/agents/DreamingModeAgent.py",
        "DreamingModeAgent",
        24,
        25,
        "expected an indented block after 'for' statement on line 24",
        "time@2 required; torch@4 required; common.zmq_agent@6 required; pc2_code.agents.dream_common@7 required; numpy@40 required; pc2_code.utils.pc2_zmq@41 required",
    ),
    (
        "pc2_code/agents/ForPC2/context_rules.py",
        "ProactiveContextMonitor",
        10,
        15,
        "expected an indented block after 'if' statement on line 10",
        "os@2 required; re@3 required; yaml@25 required",
    ),
    (
        "pc2_code/agents/TutoringServiceAgent.py",
        "TutoringServiceAgent",
        20,
        20,
        "multiple exception types must be parenthesized",
        "json@2 required; time@3 required; common.zmq_agent@5 required; yaml@43 required; common.net.http_client@44 required",
    ),
    (
        "pc2_code/agents/async_processor.py",
        "AsyncProcessor",
        5,
        5,
        "invalid syntax",
        "asyncio@2 required; time@3 required; zmq.asyncio@6 required; zmq@8 required; zmq.asyncio@9 required; psutil@10 required; common.base_agent@13 required; aiohttp@43 required; pc2_code.utils.pc2_zmq@44 required",
    ),
    (
        "pc2_code/agents/backups/cache_manager_old.py",
        None,
        11,
        11,
        "'{' was never closed",
        "pickle@2 required; time@3 required; memcache@5 required; zmq@22 required",
    ),
    (
        "pc2_code/agents/vision_utils.py",
        "VisionProcessingAgent",
        16,
        17,
        "expected an indented block after 'if' statement on line 16",
        "base64@2 required; io@3 required; cv2@21 required; numpy@22 required; PIL@23 required",
    ),
    (
        "pc2_code/agents/web_helpers/scraper_utils.py",
        "UnifiedWebAgent",
        9,
        9,
        "'(' was never closed",
        "re@2 required; requests@20 required; bs4@21 required; lxml@22 required",
    ),
    (
        "pc2_code/utils/cache_backend.py",
        "CacheManager",
        25,
        26,
        "expected an indented block after 'for' statement on line 25",
        "collections@2 required; time@3 required; redis@29 required; common.serialization@30 required",
    ),
    (
        "real_time_audio_pipeline/core/resampler.py",
        "RealTimeAudioPipeline",
        5,
        10,
        "closing parenthesis '}' does not match opening parenthesis '(' on line 5",
        "numpy@25 required; scipy.signal@26 required",
    ),
    (
        "real_time_audio_pipeline/core/vad.py",
        "RealTimeAudioPipeline",
        14,
        14,
        "'(' was never closed",
        "collections@2 required; webrtcvad@21 optional; numpy@27 required",
    ),
    (
        "scripts/check_ports.py",
        None,
        18,
        18,
        "Missing parentheses in call to 'print'. Did you mean print(...)?",
        "socket@2 required; sys@3 required; yaml@21 required",
    ),
    (
        "services/central_error_bus/error_bus.py",
        "CentralErrorBus",
        18,
        18,
        "'(' was never closed",
        "os@2 required; time@3 required; zmq@4 required; yaml@4 required; logging.handlers@4 required; common.base_agent@6 required; common.redis_client@7 required; common.serialization@45 required; services.central_error_bus.handlers@46 required",
    ),
    (
        "services/central_error_bus/handlers.py",
        "CentralErrorBus",
        10,
        10,
        "Missing parentheses in call to 'print'. Did you mean print(...)?",
        "collections@2 required; time@3 required; requests@17 required",
    ),
    (
        "services/self_healing_supervisor/recovery.py",
        "SelfHealingSupervisor",
        14,
        14,
        "invalid syntax",
        "time@2 required; dataclasses@3 required; docker.errors@33 required",
    ),
    (
        "services/speech_relay/codec.py",
        "SpeechRelayService",
        9,
        9,
        "'(' was never closed",
        "io@2 required; struct@3 required; numpy@17 required; soundfile@18 required",
    ),
    (
        "unified_observability_center/collectors/system_collector.py",
        "UnifiedObservabilityCenter",
        14,
        14,
        "'(' was never closed",
        "os@2 required; time@3 required; .base@5 required; psutil@25 required",
    ),
]


# sentiment_plugin.py is loaded only by __import__ inside EmotionEngine.__init__ (§ 5)
REACHED_ONLY_LAZILY = {"main_pc_code/agents/plugins/sentiment_plugin.py": "lazy"}


def parse_recovered(text: str) -> set[tuple[str, int, str]]:
    found = set()
    for item in text.split(";"):
        module, _, rest = item.strip().rpartition("@")
        line, kind = rest.split()
        found.add((module, int(line), kind))
    return found


@pytest.mark.parametrize(
    ("file", "agent", "damage", "line", "message", "recovered"),
    UNPARSEABLE,
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_unparseable_file_is_recovered(
    scanned: api.FleetScan, file: str, agent: str | None, damage: int, line: int, message: str, recovered: str
) -> None:
    want = parse_recovered(recovered)
    assert any(at > damage for _, at, _ in want), "the fixture has real imports after the damage"
    # the file-level extraction, whoever imports it
    problem = extracted(file).syntax_error
    assert problem is not None
    assert (problem.line, problem.message) == (line, message)
    sites = extracted(file).sites
    assert all(s.recovered for s in sites)
    assert {("." * s.level + s.module, s.line, s.kind) for s in sites} == want
    if agent is None:  # an orphan: no closure may include it
        for scan in scanned.agents:
            assert file not in scan.files, scan.agent
        return
    scan = scanned.agent(agent)
    assert [(r.line, r.error) for r in scan.recovered if r.file == file] == [(line, message)]
    records = [r for r in scan.imports if r.file == file]
    assert all(r.recovered for r in records), records
    # a site's propagated kind is the weaker of its own and that of the file's best chain
    reach = REACHED_ONLY_LAZILY.get(file, "required")
    weaker = {(m, at, max(kind, reach, key=KIND_ORDER.index)) for m, at, kind in want}
    assert {(r.module, r.line, r.kind) for r in records} == weaker


def test_recovered_files_per_agent(scanned: api.FleetScan) -> None:
    """Exactly the unparseable files that an agent reaches are listed as recovered for it."""
    broken = {file for file, *_ in UNPARSEABLE}
    for scan in scanned.agents:
        assert {r.file for r in scan.recovered} == broken & set(scan.files), scan.agent


# -- runnable agents -----------------------------------------------------------------------------

COMMON_CLOSURE = [
    "common/__init__.py",
    "common/base_agent.py",
    "common/config.py",
    "common/env_helpers.py",
    "common/health.py",
    "common/logging_setup.py",
]
RUNNABLE = {
    "ServiceRegistry": [
        *COMMON_CLOSURE,
        "common/line_server.py",
        "main_pc_code/agents/service_registry_agent.py",
    ],
    "TaskScheduler": [
        *COMMON_CLOSURE,
        "pc2_code/__init__.py",
        "pc2_code/agents/task_scheduler.py",
        "pc2_code/utils/__init__.py",
        "pc2_code/utils/config_loader.py",
    ],
    "AuthenticationAgent": [
        *COMMON_CLOSURE,
        "common/line_server.py",
        "pc2_code/agents/ForPC2/AuthenticationAgent.py",
        "pc2_code/agents/utils/__init__.py",
        "pc2_code/agents/utils/auth_helpers.py",
    ],
}


@pytest.mark.parametrize("agent", sorted(RUNNABLE))
def test_runnable_agent_closure(scanned: api.FleetScan, agent: str) -> None:
    scan = scanned.agent(agent)
    assert sorted(scan.files) == sorted(RUNNABLE[agent])
    assert scan.recovered == ()
    assert not scan.missing
    assert not scan.unresolved


# -- per-agent third-party closure ----------------------------------------------------------------
# PATTERNS.md lists psutil (UnifiedSystemAgent), sentencepiece (TinyLlamaServiceEnhanced) and
# vaderSentiment (EmotionEngine) as required because it propagates `dynamic` like `required`. Each is
# imported only through importlib.import_module/__import__ inside a method (for vaderSentiment: the
# plugin module that such a call loads), which Python runs only when the method is called: lazy.

AGENT_TABLE: dict[str, tuple[str, str, str, str]] = {
    # agent: (required, lazy, optional, type_only); conditional imports are in CONDITIONAL
    "ServiceRegistry": ("yaml", "", "orjson redis", ""),
    "SystemDigitalTwin": ("prometheus_client psutil redis yaml zmq", "", "msgpack orjson ujson", ""),
    "UnifiedSystemAgent": ("requests urllib3 yaml zmq", "psutil", "msgpack orjson ujson", ""),
    "SelfHealingSupervisor": ("docker psutil requests urllib3 yaml", "", "", ""),
    "MemoryFusionHub": (
        "aiosqlite fastapi google.protobuf pydantic redis uvicorn yaml zmq",
        "azure.identity google.cloud.storage grpc",
        "azure.storage.blob orjson",
        "",
    ),
    "ModelOpsCoordinator": (
        "google.protobuf grpc prometheus_client psutil pydantic pynvml torch yaml zmq",
        "transformers",
        "msgpack orjson ujson",
        "",
    ),
    "AffectiveProcessingCenter": ("numpy scipy yaml zmq", "torch transformers", "msgpack orjson ujson", ""),
    "RealTimeAudioPipeline": (
        "numpy scipy sounddevice soundfile torch yaml zmq",
        "faster_whisper",
        "orjson webrtcvad",
        "",
    ),
    "CodeGenerator": ("jinja2 yaml zmq", "", "black msgpack orjson ujson", ""),
    "PredictiveHealthMonitor": (
        "numpy prometheus_client psutil redis yaml zmq",
        "",
        "msgpack orjson ujson",
        "",
    ),
    "Executor": ("yaml zmq", "", "msgpack orjson ujson", ""),
    "TinyLlamaServiceEnhanced": (
        "psutil torch transformers yaml zmq",
        "sentencepiece",
        "msgpack orjson ujson",
        "",
    ),
    "SmartHomeAgent": ("requests urllib3 yaml zmq", "", "msgpack orjson ujson", ""),
    "CrossMachineGPUScheduler": ("google.protobuf grpc redis yaml", "", "pynvml", ""),
    "ChainOfThoughtAgent": ("torch transformers yaml zmq", "", "msgpack orjson ujson", ""),
    "GoTToTAgent": ("networkx numpy yaml zmq", "", "msgpack orjson ujson", ""),
    "CognitiveModelAgent": (
        "networkx sentence_transformers torch transformers yaml zmq",
        "",
        "msgpack orjson ujson",
        "",
    ),
    "FaceRecognitionAgent": ("PIL cv2 face_recognition numpy torch yaml zmq", "", "msgpack orjson ujson", ""),
    "LearningOpportunityDetector": ("numpy redis sklearn yaml zmq", "", "msgpack orjson ujson", ""),
    "LearningManager": ("numpy yaml zmq", "", "msgpack orjson ujson", ""),
    "ActiveLearningMonitor": ("redis yaml zmq", "", "msgpack orjson ujson", ""),
    "IntentionValidatorAgent": ("langdetect nltk pydantic yaml zmq", "", "msgpack orjson ujson", ""),
    "NLUAgent": ("langdetect nltk yaml zmq", "", "msgpack orjson ujson", ""),
    "AdvancedCommandHandler": ("requests urllib3 yaml zmq", "", "msgpack orjson ujson", ""),
    "ChitchatAgent": ("yaml zmq", "", "msgpack orjson ujson", ""),
    "FeedbackHandler": ("orjson redis yaml zmq", "", "msgpack ujson", ""),
    "Responder": ("numpy pydantic requests urllib3 yaml zmq", "", "msgpack orjson ujson", ""),
    "DynamicIdentityAgent": ("jinja2 yaml zmq", "", "msgpack orjson ujson", ""),
    "EmotionSynthesisAgent": ("numpy yaml zmq", "", "msgpack orjson ujson", ""),
    "STTService": ("numpy soundfile torch yaml zmq", "faster_whisper", "msgpack orjson ujson whisper", ""),
    "TTSService": ("TTS numpy soundfile torch yaml zmq", "", "msgpack orjson ujson", ""),
    "AudioCapture": ("numpy sounddevice yaml zmq", "", "msgpack orjson ujson", ""),
    "FusedAudioPreprocessor": ("numpy scipy soundfile yaml zmq", "", "msgpack noisereduce orjson ujson", ""),
    "StreamingInterruptHandler": ("numpy yaml zmq", "", "msgpack orjson ujson", ""),
    "StreamingSpeechRecognition": ("numpy yaml zmq", "", "msgpack orjson ujson", ""),
    "StreamingTTSAgent": ("numpy sounddevice yaml zmq", "", "msgpack orjson ujson", ""),
    "WakeWordDetector": (
        "numpy sounddevice yaml zmq",
        "openwakeword",
        "msgpack orjson pvporcupine ujson",
        "",
    ),
    "StreamingLanguageAnalyzer": ("langdetect nltk yaml zmq", "", "msgpack orjson ujson", ""),
    "ProactiveAgent": ("schedule yaml zmq", "", "msgpack orjson ujson", ""),
    "EmotionEngine": ("numpy yaml zmq", "vaderSentiment", "msgpack orjson ujson", ""),
    "MoodTrackerAgent": ("numpy redis yaml zmq", "", "msgpack orjson ujson", ""),
    "HumanAwarenessAgent": ("numpy yaml zmq", "", "msgpack orjson ujson", ""),
    "ToneDetector": ("yaml zmq", "", "msgpack orjson ujson", ""),
    "VoiceProfilingAgent": ("numpy sklearn soundfile yaml zmq", "librosa", "msgpack orjson ujson", ""),
    "EmpathyAgent": ("numpy yaml zmq", "", "msgpack orjson ujson", ""),
    "CloudTranslationService": (
        "requests urllib3 yaml zmq",
        "",
        "google.cloud.translate_v2 msgpack orjson ujson",
        "",
    ),
    "StreamingTranslationProxy": ("websockets yaml zmq", "", "orjson", ""),
    "ObservabilityDashboardAPI": ("fastapi httpx pydantic", "", "", "starlette"),
    "UnifiedObservabilityCenter": (
        "fastapi prometheus_client psutil yaml",
        "aiohttp uvicorn",
        "pynvml",
        "pandas",
    ),
    "CentralErrorBus": ("redis requests yaml zmq", "", "msgpack orjson ujson", ""),
    "RealTimeAudioPipelinePC2": (
        "numpy scipy sounddevice soundfile torch yaml zmq",
        "faster_whisper",
        "orjson webrtcvad",
        "",
    ),
    "TieredResponder": ("psutil yaml zmq", "", "msgpack orjson ujson", ""),
    "AsyncProcessor": ("aiohttp psutil yaml zmq", "", "", ""),
    "CacheManager": ("redis yaml zmq", "", "msgpack orjson ujson", ""),
    "VisionProcessingAgent": ("PIL cv2 numpy torch torchvision yaml zmq", "", "msgpack orjson ujson", ""),
    "DreamWorldAgent": ("numpy torch yaml zmq", "", "msgpack orjson ujson", ""),
    "ResourceManager": ("psutil yaml zmq", "", "msgpack orjson ujson", ""),
    "TaskScheduler": ("yaml", "", "", ""),
    "AuthenticationAgent": ("yaml", "", "jwt", ""),
    "UnifiedUtilsAgent": ("psutil yaml zmq", "", "msgpack orjson ujson", ""),
    "ProactiveContextMonitor": ("redis yaml zmq", "", "", ""),
    "AgentTrustScorer": ("numpy yaml zmq", "", "msgpack orjson ujson", ""),
    "FileSystemAssistantAgent": ("watchdog yaml zmq", "", "msgpack orjson ujson", ""),
    "RemoteConnectorAgent": ("aiohttp requests six yaml zmq", "", "msgpack orjson ujson", ""),
    "UnifiedWebAgent": ("bs4 lxml requests urllib3 yaml zmq", "", "msgpack orjson selenium ujson", ""),
    "DreamingModeAgent": ("numpy torch yaml zmq", "", "msgpack orjson ujson", ""),
    "AdvancedRouter": ("yaml zmq", "", "msgpack orjson ujson", ""),
    "TutoringServiceAgent": ("requests urllib3 yaml zmq", "", "msgpack orjson ujson", ""),
    "SpeechRelayService": ("numpy soundfile yaml zmq", "", "msgpack orjson ujson", ""),
}
CONDITIONAL = {
    ("ModelOpsCoordinator", "tomli"): 'python_version < "3.11"',
    ("Executor", "win32process"): 'sys_platform == "win32"',
    ("Responder", "tomli"): 'python_version < "3.11"',
    ("Responder", "win32api"): 'sys_platform == "win32"',
    ("Responder", "win32con"): 'sys_platform == "win32"',
    ("AudioCapture", "pyaudiowpatch"): 'sys_platform == "win32"',
    ("ProactiveContextMonitor", "uvloop"): 'sys_platform != "win32"',
}
DYNAMIC = {("UnifiedSystemAgent", "psutil"), ("TinyLlamaServiceEnhanced", "sentencepiece")}
UNRESOLVED_OR_MISSING = {
    "MemoryFusionHub": {("unresolved", "memory_pb2", "memory_fusion_hub/proto/memory_pb2_grpc.py", 5)},
    "PredictiveHealthMonitor": {
        (
            "missing",
            "main_pc_code.utils.legacy_metrics",
            "main_pc_code/agents/predictive_health_monitor.py",
            11,
        )
    },
    "ActiveLearningMonitor": {
        ("missing", "main_pc_code.utils.legacy_metrics", "main_pc_code/agents/active_learning_monitor.py", 10)
    },
    "CacheManager": {("missing", "pc2_code.utils.legacy_cache", "pc2_code/agents/cache_manager.py", 13)},
    "ResourceManager": {("unresolved", "gpu_probe", "pc2_code/agents/resource_manager.py", 13)},
}


def test_table_covers_the_fleet(fleet: Fleet) -> None:
    assert sorted(AGENT_TABLE) == sorted(fleet.agents)
    assert len(AGENT_TABLE) == 69


@pytest.mark.parametrize("agent", list(AGENT_TABLE))
def test_agent_third_party_closure(scanned: api.FleetScan, agent: str) -> None:
    required, lazy, optional, type_only = (set(column.split()) for column in AGENT_TABLE[agent])
    markers = {name: marker for (who, name), marker in CONDITIONAL.items() if who == agent}
    required |= set(markers)
    got = closure(scanned.agent(agent))
    by_kind = {
        kind: {name for name, e in got.items() if e.kind == kind}
        for kind in ("required", "lazy", "optional", "type_only")
    }
    assert by_kind == {"required": required, "lazy": lazy, "optional": optional, "type_only": type_only}
    assert {name: e.marker for name, e in got.items() if e.marker is not None} == markers
    assert {name for name, e in got.items() if e.dynamic} == {name for who, name in DYNAMIC if who == agent}


@pytest.mark.parametrize("agent", list(AGENT_TABLE))
def test_agent_unresolved_and_missing(scanned: api.FleetScan, agent: str) -> None:
    scan = scanned.agent(agent)
    got = {("missing", m.module, m.site.file, m.site.line) for m in scan.missing} | {
        ("unresolved", u.module, u.site.file, u.site.line) for u in scan.unresolved
    }
    assert got == UNRESOLVED_OR_MISSING.get(agent, set())


NEVER = [
    "simplejson",
    "tenacity",
    "boto3",
    "urllib2",
    "googletrans",
    "spacy",
    "memcache",
    "fake_module_in_docstring",
    "not_a_module",
    "fake_nlu_backend",
    "legacy_compat_py2_only",
    "commented_out_module",
]


def test_never_in_any_closure(scanned: api.FleetScan) -> None:
    for scan in scanned.agents:
        tops = {r.module.split(".")[0] for r in scan.imports} | set(closure(scan))
        assert not tops & set(NEVER), scan.agent
