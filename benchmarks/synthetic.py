"""Generate a synthetic monorepo of agents for depmin's benchmarks (deterministic for a seed).

The tree imitates a large legacy services monorepo::

    OUTDIR/
      agents.toml              one machine, one family, one agent per service, unique ports
      requirements.txt         the fat shared requirement file (for peers that want one)
      common/                  the shared package: ~30 subpackages layered on each other
      libs/<domain>/           domain libraries (audio, vision, nlp, ...) built on common
      services/<group>/<svc>/  one package per agent: __init__.py, main.py (the entrypoint), modules
      scripts/ tools/ archive/ files no agent reaches (a flat scanner still reads them)

Imports are a realistic mix: module level, ``try/except ImportError`` fallbacks, imports inside
functions, ``if TYPE_CHECKING:`` blocks, relative imports inside packages (``from .x``, ``from
..core``), bare sibling imports from a script's own directory, ``sys.path.insert(0,
os.path.join(os.path.dirname(__file__), ".."))`` followed by imports that only resolve through it,
and third-party imports drawn from ~70 real import names. A fraction of the files (30% by default)
do not parse: unbalanced brackets, empty ``if`` bodies, stray merge-conflict markers, Python 2
``print``/``except`` syntax; each damaged file still has real imports *after* the damage, so an
analyzer that skips unparseable files loses part of the closure.

Usage::

    python3 benchmarks/synthetic.py OUTDIR [--files 10000 --agents 500 --broken 0.3 --seed 1]

The script prints a summary (files, broken files, the closure sizes the generator intended) and,
with ``--json``, the same as JSON. The same arguments always produce byte-identical trees.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import shutil
import statistics
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["THIRD_PARTY", "Summary", "generate", "main"]

GENERATOR_VERSION = "1"
STAMP = ".synthetic.json"

# import name -> (distribution, domain)
THIRD_PARTY: dict[str, tuple[str, str]] = {
    "requests": ("requests", "general"),
    "yaml": ("PyYAML", "general"),
    "pydantic": ("pydantic", "general"),
    "click": ("click", "general"),
    "rich": ("rich", "general"),
    "tqdm": ("tqdm", "general"),
    "dotenv": ("python-dotenv", "general"),
    "loguru": ("loguru", "general"),
    "structlog": ("structlog", "general"),
    "orjson": ("orjson", "general"),
    "ujson": ("ujson", "general"),
    "msgpack": ("msgpack", "general"),
    "toml": ("toml", "general"),
    "jinja2": ("Jinja2", "general"),
    "attrs": ("attrs", "general"),
    "typer": ("typer", "general"),
    "zmq": ("pyzmq", "net"),
    "grpc": ("grpcio", "net"),
    "google.protobuf": ("protobuf", "net"),
    "aiohttp": ("aiohttp", "net"),
    "httpx": ("httpx", "net"),
    "fastapi": ("fastapi", "net"),
    "uvicorn": ("uvicorn", "net"),
    "starlette": ("starlette", "net"),
    "websockets": ("websockets", "net"),
    "paho.mqtt": ("paho-mqtt", "net"),
    "pika": ("pika", "net"),
    "kafka": ("kafka-python", "net"),
    "redis": ("redis", "storage"),
    "sqlalchemy": ("SQLAlchemy", "storage"),
    "psycopg2": ("psycopg2-binary", "storage"),
    "pymongo": ("pymongo", "storage"),
    "boto3": ("boto3", "storage"),
    "azure.storage.blob": ("azure-storage-blob", "storage"),
    "google.cloud.storage": ("google-cloud-storage", "storage"),
    "numpy": ("numpy", "ml"),
    "scipy": ("scipy", "ml"),
    "pandas": ("pandas", "ml"),
    "sklearn": ("scikit-learn", "ml"),
    "torch": ("torch", "ml"),
    "transformers": ("transformers", "ml"),
    "sentence_transformers": ("sentence-transformers", "ml"),
    "onnxruntime": ("onnxruntime", "ml"),
    "tensorflow": ("tensorflow", "ml"),
    "tiktoken": ("tiktoken", "ml"),
    "openai": ("openai", "ml"),
    "anthropic": ("anthropic", "ml"),
    "langchain": ("langchain", "ml"),
    "librosa": ("librosa", "audio"),
    "soundfile": ("soundfile", "audio"),
    "sounddevice": ("sounddevice", "audio"),
    "pyaudio": ("PyAudio", "audio"),
    "webrtcvad": ("webrtcvad", "audio"),
    "faster_whisper": ("faster-whisper", "audio"),
    "whisper": ("openai-whisper", "audio"),
    "pydub": ("pydub", "audio"),
    "cv2": ("opencv-python-headless", "vision"),
    "PIL": ("Pillow", "vision"),
    "skimage": ("scikit-image", "vision"),
    "mediapipe": ("mediapipe", "vision"),
    "imageio": ("imageio", "vision"),
    "nltk": ("nltk", "nlp"),
    "spacy": ("spacy", "nlp"),
    "psutil": ("psutil", "monitoring"),
    "prometheus_client": ("prometheus-client", "monitoring"),
    "pynvml": ("nvidia-ml-py", "monitoring"),
    "jwt": ("PyJWT", "security"),
    "cryptography": ("cryptography", "security"),
    "bcrypt": ("bcrypt", "security"),
    "bs4": ("beautifulsoup4", "web"),
    "lxml": ("lxml", "web"),
    "selenium": ("selenium", "web"),
}

STDLIB = (
    "os", "sys", "json", "logging", "time", "threading", "typing", "dataclasses", "pathlib",
    "collections", "functools", "asyncio", "re", "subprocess", "itertools", "contextlib",
    "datetime", "uuid", "hashlib", "socket", "queue", "signal", "enum", "abc", "argparse",
    "traceback", "copy", "math", "random", "shutil", "tempfile", "struct", "base64", "io",
)  # fmt: skip

COMMON_SUBPACKAGES = (
    "core", "config", "utils", "text", "timeutil", "retry", "serialization", "logging_ext",
    "tracing", "metrics", "health", "security", "auth", "net", "rpc", "io", "storage", "cache",
    "db", "queueing", "events", "scheduling", "concurrency", "models", "schemas", "registry",
    "plugins", "gpu", "audio_base", "vision_base",
)  # fmt: skip

# domain of each common subpackage (for third-party choices)
COMMON_DOMAINS = {
    "net": "net", "rpc": "net", "storage": "storage", "cache": "storage", "db": "storage",
    "queueing": "net", "events": "net", "metrics": "monitoring", "health": "monitoring",
    "security": "security", "auth": "security", "gpu": "ml", "audio_base": "audio",
    "vision_base": "vision", "models": "ml",
}  # fmt: skip

LIB_DOMAINS = ("audio", "vision", "nlp", "llm", "storage", "web", "monitoring", "messaging", "ml", "security")
LIB_THIRD_PARTY_DOMAIN = {
    "audio": "audio", "vision": "vision", "nlp": "nlp", "llm": "ml", "storage": "storage",
    "web": "web", "monitoring": "monitoring", "messaging": "net", "ml": "ml", "security": "security",
}  # fmt: skip

SERVICE_GROUPS = {
    "speech": ("audio", "nlp"),
    "vision": ("vision", "ml"),
    "language": ("nlp", "llm"),
    "memory": ("storage", "llm"),
    "planning": ("llm", "ml"),
    "orchestration": ("messaging", "monitoring"),
    "monitoring": ("monitoring", "messaging"),
    "web": ("web", "security"),
    "data": ("storage", "ml"),
    "devices": ("audio", "messaging"),
    "security": ("security", "web"),
    "learning": ("ml", "storage"),
}

STEMS = (
    "base", "client", "server", "helpers", "manager", "adapter", "handler", "pool", "factory",
    "codec", "policy", "loader", "writer", "reader", "monitor", "worker", "router", "validator",
    "builder", "store", "session", "context", "backend", "bridge", "protocol", "channel",
    "buffer", "tracker", "registry", "service", "pipeline", "scheduler", "state", "settings",
)  # fmt: skip

AGENT_STEMS = (
    "handlers", "models", "config", "worker", "pipeline", "client", "state", "schemas", "utils",
    "metrics", "cache", "routes", "tasks", "backend", "processor", "controller", "adapters",
    "events", "storage", "health", "protocol", "runner", "planner", "session", "features",
)  # fmt: skip

TOPICS = (
    "asr", "tts", "vad", "diarizer", "translator", "summarizer", "router", "planner", "memory",
    "indexer", "ranker", "retriever", "tracker", "detector", "classifier", "captioner", "ocr",
    "gateway", "scheduler", "monitor", "watchdog", "notifier", "ingestor", "exporter", "auth",
    "vault", "crawler", "scraper", "trainer", "evaluator", "tuner", "bridge", "relay", "broker",
)  # fmt: skip

# shape of the import graph inside common/: out-degree, share of imports within the subpackage,
# how far back within the subpackage (tuned so an agent reaches tens to a few hundred files)
COMMON_DEGREE = (0, 0, 1, 1, 1, 2)
# Share of the files in common/, libs/ and the unreached scripts/tools/archive; services get the rest.
SHAPES = {"fleet": (0.12, 0.12, 0.08), "plugin": (0.40, 0.30, 0.05)}
COMMON_LOCAL = 0.55
COMMON_WINDOW = 8
KIND_WEIGHTS = (("required", 72), ("optional", 8), ("lazy", 12), ("type_only", 8))
DAMAGES = (("brackets", 30), ("empty_if", 25), ("merge", 20), ("py2", 25))


@dataclass
class Edge:
    """One import site from a module to a first-party module or a third-party name."""

    target: str  # first-party: module path key; third-party: dotted import name
    first_party: bool
    kind: str  # required | optional | lazy | type_only
    style: str = "absolute"  # absolute | from_pkg | relative | bare | short | plain


@dataclass
class Module:
    path: str  # posix path relative to OUTDIR
    dotted: str  # canonical dotted name (with the project root on sys.path)
    is_init: bool
    area: str  # common | lib | service | orphan
    domain: str
    edges: list[Edge] = field(default_factory=list)
    entry: bool = False
    module_mode: bool = False  # entrypoint run as `python -m`
    inserts: str | None = None  # sys.path insert form, or None
    relative_ok: bool = True  # lives in a package, may use relative imports
    bare_safe: bool = True  # uses no relative import (can be imported by a bare sibling name)
    broken: str | None = None  # damage kind

    @property
    def package(self) -> str:
        return self.dotted if self.is_init else self.dotted.rpartition(".")[0]

    @property
    def leaf(self) -> str:
        return self.dotted.rpartition(".")[2]


@dataclass(frozen=True)
class AgentSpec:
    name: str
    entrypoint: str
    port: int
    health_port: int
    module: str | None  # `python -m` target, or None for a script


@dataclass
class Summary:
    outdir: str
    files: int
    broken: int
    damages: dict[str, int]
    agents: int
    closure_min: int
    closure_median: float
    closure_max: int
    closure_mean: float
    common_share: float  # mean fraction of an agent's closure that lies under common/
    unparseable_checked: int
    bytes: int
    seed: int


def _weighted(rng: random.Random, choices: Iterable[tuple[str, int]]) -> str:
    items = list(choices)
    return rng.choices([c for c, _ in items], weights=[w for _, w in items])[0]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class _Tree:
    def __init__(self, files: int, agents: int, broken: float, seed: int, shape: str = "fleet") -> None:
        if agents < 1 or files < 8 * agents:
            raise SystemExit(f"--files must be at least 8 x --agents ({8 * agents}); got {files}")
        self.rng = random.Random(seed)
        self.target_files = files
        self.n_agents = agents
        self.broken_fraction = broken
        self.shape = shape
        self.modules: dict[str, Module] = {}
        self.agents: list[AgentSpec] = []
        self.by_domain: dict[str, list[str]] = {}
        for name, (_, domain) in THIRD_PARTY.items():
            self.by_domain.setdefault(domain, []).append(name)

    # -- structure ---------------------------------------------------------------------------

    def add(self, path: str, area: str, domain: str, **kw: object) -> Module:
        parts = path[:-3].split("/")
        is_init = parts[-1] == "__init__"
        dotted = ".".join(parts[:-1] if is_init else parts)
        module = Module(path=path, dotted=dotted, is_init=is_init, area=area, domain=domain)
        for key, value in kw.items():
            setattr(module, key, value)
        self.modules[path] = module
        return module

    def unique_stems(self, count: int, stems: tuple[str, ...]) -> list[str]:
        names: list[str] = []
        used: set[str] = set()
        for i in range(count):
            stem = stems[i % len(stems)] if i < len(stems) else self.rng.choice(stems)
            name = stem if stem not in used else f"{stem}_{i}"
            used.add(name)
            names.append(name)
        return names

    def build(self) -> None:
        n = self.target_files
        # "plugin": many small services over one large shared core (common + libs: 70% of the files)
        common, libs, orphans = SHAPES[self.shape]
        n_common = int(n * common)
        n_libs = int(n * libs)
        n_orphans = int(n * orphans)
        n_services = n - n_common - n_libs - n_orphans
        self.build_common(n_common)
        self.build_libs(n_libs)
        self.build_services(n_services)
        self.build_orphans(n - len(self.modules))
        assert len(self.modules) == n, (len(self.modules), n)
        self.choose_broken()

    def build_common(self, count: int) -> None:
        rng = self.rng
        subs = COMMON_SUBPACKAGES
        self.add("common/__init__.py", "common", "general")
        per_sub = max(2, (count - 1) // len(subs))
        self.common_layers: list[list[str]] = []
        budget = count - 1
        for layer, sub in enumerate(subs):
            if budget <= 0:
                break
            size = min(budget, per_sub if layer < len(subs) - 1 else budget)
            budget -= size
            domain = COMMON_DOMAINS.get(sub, "general")
            init = self.add(f"common/{sub}/__init__.py", "common", domain)
            stems = self.unique_stems(size - 1, STEMS)
            members: list[str] = []
            for index, stem in enumerate(stems):
                path = f"common/{sub}/{stem}.py"
                module = self.add(path, "common", domain)
                # imports inside common: lower modules of this subpackage, lower layers
                for _ in range(rng.choice(COMMON_DEGREE)):
                    if members and (rng.random() < COMMON_LOCAL or not self.common_layers):
                        low = max(0, index - COMMON_WINDOW)
                        target = members[rng.randrange(low, index)]
                        style = "relative" if rng.random() < 0.7 else "absolute"
                    elif self.common_layers:
                        lower = self.common_layers[rng.randrange(len(self.common_layers))]
                        target = lower[min(rng.randrange(len(lower)), rng.randrange(len(lower)))]
                        style = _weighted(rng, (("absolute", 6), ("from_pkg", 3), ("relative", 1)))
                    else:
                        continue
                    module.edges.append(Edge(target, True, self.kind(), style))
                self.third_party_edges(module, rng.choice((0, 0, 1, 1, 2)))
                if rng.random() < 0.02 and layer > 0:
                    # legacy: put common/ on sys.path and import a sibling subpackage by its short name
                    module.inserts = "dotdot"
                    target = self.common_layers[rng.randrange(len(self.common_layers))][0]
                    module.edges.append(Edge(target, True, "required", "short"))
                members.append(path)
            if members:
                for target in members[: rng.choice((0, 1, 1, 2))]:
                    init.edges.append(Edge(target, True, "required", "relative"))
                self.common_layers.append(members)

    def build_libs(self, count: int) -> None:
        rng = self.rng
        self.add("libs/__init__.py", "lib", "general")
        self.lib_members: dict[str, list[str]] = {}
        budget = count - 1
        per = max(2, budget // len(LIB_DOMAINS))
        for i, domain in enumerate(LIB_DOMAINS):
            size = min(budget, per if i < len(LIB_DOMAINS) - 1 else budget)
            if size <= 0:
                break
            budget -= size
            tp_domain = LIB_THIRD_PARTY_DOMAIN[domain]
            init = self.add(f"libs/{domain}/__init__.py", "lib", tp_domain)
            members: list[str] = []
            for index, stem in enumerate(self.unique_stems(size - 1, STEMS)):
                path = f"libs/{domain}/{stem}.py"
                module = self.add(path, "lib", tp_domain)
                for _ in range(rng.choice((1, 1, 2, 2, 3))):
                    if members and rng.random() < 0.5:
                        target = members[rng.randrange(max(0, index - 6), index)]
                        module.edges.append(Edge(target, True, self.kind(), "relative"))
                    else:
                        module.edges.append(Edge(self.common_target(), True, self.kind(), "absolute"))
                self.third_party_edges(module, rng.choice((1, 1, 2, 3)))
                members.append(path)
            if members:
                init.edges.append(Edge(members[0], True, "required", "relative"))
            self.lib_members[domain] = members

    def common_target(self) -> str:
        rng = self.rng
        layer = self.common_layers[rng.randrange(len(self.common_layers))]
        return layer[min(rng.randrange(len(layer)), rng.randrange(len(layer)))]

    def kind(self) -> str:
        return _weighted(self.rng, KIND_WEIGHTS)

    def third_party_edges(self, module: Module, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            pool = self.by_domain[module.domain if rng.random() < 0.6 else "general"]
            module.edges.append(Edge(rng.choice(pool), False, self.kind(), "plain"))

    def build_services(self, count: int) -> None:
        rng = self.rng
        groups = list(SERVICE_GROUPS)
        self.add("services/__init__.py", "service", "general")
        for group in groups:
            self.add(f"services/{group}/__init__.py", "service", "general")
        budget = count - 1 - len(groups)
        # each agent: __init__ + main + a lognormal share of the rest
        extra = budget - 2 * self.n_agents
        weights = [rng.lognormvariate(0, 0.7) for _ in range(self.n_agents)]
        total = sum(weights)
        sizes = [int(extra * w / total) for w in weights]
        for i in range(extra - sum(sizes)):
            sizes[i % self.n_agents] += 1
        for i in range(self.n_agents):
            group = groups[i % len(groups)]
            topic = rng.choice(TOPICS)
            self.build_agent(i, group, topic, sizes[i])

    def build_agent(self, i: int, group: str, topic: str, extra: int) -> None:
        rng = self.rng
        number = f"{i + 1:04d}"
        directory = f"services/{group}/{topic}_agent_{number}"
        name = f"{_camel(group)}{_camel(topic)}Agent{number}"
        self.add(f"{directory}/__init__.py", "service", "general")
        module_mode = rng.random() < 0.05
        entry = self.add(f"{directory}/main.py", "service", "general", entry=True, module_mode=module_mode)
        domains = SERVICE_GROUPS[group]
        members: list[str] = []
        sub_count = extra // 3 if extra >= 12 else 0
        if sub_count:
            self.add(f"{directory}/core/__init__.py", "service", "general")
            extra -= 1
            sub_count -= 1
        stems = self.unique_stems(extra, AGENT_STEMS)
        for index, stem in enumerate(stems):
            in_core = index >= extra - sub_count
            path = f"{directory}/core/{stem}.py" if in_core else f"{directory}/{stem}.py"
            domain = LIB_THIRD_PARTY_DOMAIN[rng.choice(domains)]
            module = self.add(path, "service", domain)
            relative = rng.random() < 0.7
            module.bare_safe = not relative
            for _ in range(rng.choice((0, 1, 1, 2, 2))):
                if members:
                    target = members[rng.randrange(max(0, index - 6), index)]
                    module.edges.append(Edge(target, True, self.kind(), "relative" if relative else "absolute"))
            for _ in range(rng.choice((0, 1, 1, 2))):
                module.edges.append(Edge(self.common_target(), True, self.kind(), "absolute"))
            if rng.random() < 0.35:
                lib = self.lib_members[rng.choice(domains)]
                module.edges.append(Edge(rng.choice(lib), True, self.kind(), "absolute"))
            self.third_party_edges(module, rng.choice((0, 1, 1, 2)))
            members.append(path)
        # the entrypoint: its own modules (most of them), common, a lib or two, third-party
        own = members[:]
        rng.shuffle(own)
        insert = "none" if module_mode else _weighted(rng, (("none", 70), ("dotdot", 22), ("root", 8)))
        entry.inserts = None if insert == "none" else insert
        for target in own[: max(1, int(len(own) * rng.uniform(0.2, 0.6)))]:
            mod = self.modules[target]
            if module_mode:
                style = "relative" if rng.random() < 0.6 else "absolute"
            elif insert == "dotdot":
                style = "short"  # <agent_dir>.<module>, through the inserted path
            elif mod.bare_safe and "/core/" not in target and rng.random() < 0.4:
                style = "bare"
            else:
                style = "absolute"
            entry.edges.append(Edge(target, True, _weighted(rng, (("required", 85), ("lazy", 15))), style))
        for _ in range(rng.randint(1, 4)):
            entry.edges.append(Edge(self.common_target(), True, "required", "absolute"))
        for domain in rng.sample(domains, rng.choice((0, 1, 1, 2))):
            entry.edges.append(Edge(rng.choice(self.lib_members[domain]), True, "required", "absolute"))
        self.third_party_edges(entry, rng.choice((1, 2, 3)))
        self.agents.append(
            AgentSpec(
                name=name,
                entrypoint=entry.path,
                port=10000 + i,
                health_port=40000 + i,
                module=entry.dotted if module_mode else None,
            )
        )

    def build_orphans(self, count: int) -> None:
        rng = self.rng
        made = 0
        if count >= 3:
            self.add("tools/__init__.py", "orphan", "general")
            made = 1
        index = 0
        while made < count:
            where = rng.random()
            if where < 0.35:
                path = f"scripts/{rng.choice(TOPICS)}_{rng.choice(STEMS)}_{index}.py"
            elif where < 0.6 and made > 0 and "tools/__init__.py" in self.modules:
                path = f"tools/{rng.choice(STEMS)}_{index}.py"
            else:
                path = f"archive/{rng.choice(TOPICS)}_{index // 20}/{rng.choice(AGENT_STEMS)}_{index}.py"
            index += 1
            module = self.add(path, "orphan", "general", relative_ok=path.startswith("tools/"))
            for _ in range(rng.choice((1, 2, 3))):
                module.edges.append(Edge(self.common_target(), True, self.kind(), "absolute"))
            self.third_party_edges(module, rng.choice((0, 1, 2)))
            made += 1

    def choose_broken(self) -> None:
        rng = self.rng
        candidates = sorted(p for p, m in self.modules.items() if not m.entry)
        count = min(len(candidates), round(self.broken_fraction * len(self.modules)))
        for path in rng.sample(candidates, count):
            self.modules[path].broken = _weighted(rng, DAMAGES)

    # -- what an exact resolver would find (approximately: every edge counts) -----------------

    def closure(self, entry: str) -> set[str]:
        seen: set[str] = set()
        todo = [entry]
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            module = self.modules[path]
            for edge in module.edges:
                if edge.first_party:
                    todo.append(edge.target)
                    todo.extend(self.parent_inits(edge.target))
        return seen

    def parent_inits(self, path: str) -> list[str]:
        parts = path.split("/")[:-1]
        found = []
        for i in range(1, len(parts) + 1):
            init = "/".join(parts[:i]) + "/__init__.py"
            if init in self.modules and init != path:
                found.append(init)
        return found


# -- rendering ---------------------------------------------------------------------------------


def _import_lines(tree: _Tree, module: Module, edge: Edge) -> tuple[list[str], str]:
    """The statement(s) for ``edge`` (unindented) and the name they bind."""
    if not edge.first_party:
        name = edge.target
        rng = tree.rng
        bound = name.split(".")[-1]
        if "." in name:
            parent, _, leaf = name.rpartition(".")
            return [f"from {parent} import {leaf}"], leaf
        if rng.random() < 0.15:
            alias = {"numpy": "np", "pandas": "pd", "tensorflow": "tf"}.get(name, f"_{name}")
            return [f"import {name} as {alias}"], alias
        return [f"import {name}"], bound
    target = tree.modules[edge.target]
    cls = _camel(target.leaf)
    style = edge.style
    if style == "relative" and module.relative_ok:
        here = module.package.split(".")
        there = target.package.split(".")
        common = 0
        while common < min(len(here), len(there)) and here[common] == there[common]:
            common += 1
        if common == 0:
            style = "absolute"
        else:
            dots = "." * (len(here) - common + 1)
            rest = ".".join(there[common:])
            if target.is_init:
                if rest:
                    return [f"from {dots}{rest} import {cls}"], cls
                style = "absolute"
            elif rest:
                return [f"from {dots}{rest} import {target.leaf}"], target.leaf
            else:
                return [f"from {dots}{target.leaf} import {cls}"], cls
    if style == "relative":
        style = "absolute"
    if style == "bare":
        return [f"from {target.leaf} import {cls}"], cls
    if style == "short":  # through sys.path.insert(0, <this file's directory>/..)
        depth = len(module.dotted.split(".")) - 2
        short = ".".join(target.dotted.split(".")[depth:])
        return [f"from {short} import {cls}"], cls
    if style == "from_pkg" and not target.is_init:
        package, _, leaf = target.dotted.rpartition(".")
        return [f"from {package} import {leaf}"], leaf
    if target.is_init or tree.rng.random() < 0.2:
        alias = f"_{target.leaf}"
        return [f"import {target.dotted} as {alias}"], alias
    return [f"from {target.dotted} import {cls}"], cls


_SENTENCES = (
    "Keeps the legacy behaviour until every caller has migrated.",
    "Thin wrapper kept for backwards compatibility with the old agents.",
    "Loaded once per process; not thread-safe before start() returns.",
    "See the runbook before changing the retry budget.",
    "Most of this predates the move to the shared common package.",
)


def _header(tree: _Tree, module: Module) -> list[str]:
    rng = tree.rng
    title = module.dotted if not module.is_init else f"{module.dotted} package"
    lines = [f'"""{title}: {rng.choice(_SENTENCES)}', ""]
    if rng.random() < 0.5:
        lines.append(rng.choice(_SENTENCES))
    lines.append('"""')
    if rng.random() < 0.3:
        lines.append("from __future__ import annotations")
        lines.append("")
    return lines


def _insert_chunk(module: Module) -> list[str]:
    if module.inserts == "root":
        return [
            "sys.path.insert(",
            '    0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))',
            ")",
        ]
    return ['sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))']


def _damage(tree: _Tree, kind: str, following: list[str]) -> list[str]:
    """Lines that break the parse; ``following`` is the import chunk placed after them."""
    rng = tree.rng
    if kind == "brackets":
        if rng.random() < 0.5:
            return ['DEFAULTS = {"timeout": 30, "retries": [1, 2, 4}', ""]
        return ["_REGISTRY = dict(", '    name="legacy",', "    enabled=True,", ""]
    if kind == "empty_if":
        return ['if os.environ.get("LEGACY_MODE"):', "# TODO: re-enable the old code path"]
    if kind == "merge":
        theirs = "import simplejson as json" if rng.random() < 0.5 else "import json"
        return ["<<<<<<< HEAD", *following, "=======", theirs, ">>>>>>> feature/new-transport"]
    if rng.random() < 0.5:
        return ['print "loading %s" % __name__', ""]
    return ['if not os.environ.get("HOME"):', '    raise RuntimeError, "HOME is not set"', ""]


_BODY_OPS = (
    "        self._count += 1",
    "        self._last = time.time()",
    '        self._log.debug("%s: %r", self.name, value)',
    "        if value is None:\n            return self._default",
    "        items = [v for v in self._items if v is not None]",
    "        self._items.append(value)",
    "        return self._default if not self._items else self._items[-1]",
    '        raise ValueError(f"bad value: {value!r}")',
)


def _body(tree: _Tree, module: Module, lazy: list[list[str]], used: list[str]) -> list[str]:
    rng = tree.rng
    cls = _camel(module.leaf) if not module.is_init else _camel(module.dotted.split(".")[-1]) + "Base"
    lines = [
        "",
        "",
        "LOG = logging.getLogger(__name__)",
        f'VERSION = "{rng.randint(0, 3)}.{rng.randint(0, 20)}"',
        "",
    ]
    lines += ["", f"class {cls}:", f'    """{rng.choice(_SENTENCES)}"""', ""]
    lines += [
        '    def __init__(self, name: str = "default", default=None):',
        "        self.name = name",
        "        self._default = default",
        "        self._items = []",
        "        self._count = 0",
        "        self._last = 0.0",
        "        self._log = LOG",
    ]
    for name in used[:3]:
        lines.append(f"        self._{name.lower().strip('_')} = {name}")
    for m in range(rng.randint(3, 14)):
        lines += ["", f"    def {rng.choice(STEMS)}_{m}(self, value=None):"]
        lines += rng.sample(_BODY_OPS[:6], rng.randint(1, 4))
        lines.append(rng.choice(_BODY_OPS[6:]))
    for number, chunk in enumerate(lazy):
        lines += ["", "", f"def _load_{number}():"]
        lines += ["    " + line for line in chunk]
        lines.append("    return True")
    for f in range(rng.randint(0, 6)):
        lines += ["", "", f"def {rng.choice(AGENT_STEMS)}_{f}(config: dict) -> dict:"]
        lines.append('    """Normalise a config section."""')
        lines.append("    result = dict(config)")
        lines.append(f'    result.setdefault("retries", {rng.randint(1, 5)})')
        lines.append("    return result")
    if module.entry:
        lines += [
            "",
            "",
            "def main() -> None:",
            f'    service = {cls}(os.environ.get("AGENT_NAME", {module.leaf!r}))',
            "    while True:",
            "        service._count += 1",
            "        time.sleep(1.0)",
            "",
            "",
            'if __name__ == "__main__":',
            "    main()",
        ]
    return lines


def render(tree: _Tree, module: Module) -> str:
    rng = tree.rng
    if module.is_init and not module.edges and not module.broken and rng.random() < 0.6:
        return "" if rng.random() < 0.5 else f'"""{module.dotted}."""\n'
    lines = _header(tree, module)
    stdlib = sorted({"logging", "time", "os", *rng.sample(STDLIB, rng.randint(0, 4))})
    if module.inserts:
        stdlib = sorted({*stdlib, "os", "sys"})
    chunks: list[list[str]] = [[f"import {name}" for name in stdlib]]
    if module.inserts:
        chunks.append(["", *_insert_chunk(module), ""])
    lazy: list[list[str]] = []
    typed: list[str] = []
    used: list[str] = []
    for edge in module.edges:
        statements, bound = _import_lines(tree, module, edge)
        if edge.kind == "lazy" and not module.is_init:
            lazy.append(statements)
        elif edge.kind == "type_only":
            typed.extend(statements)
        elif edge.kind == "optional":
            fallback = f"{bound} = None" if rng.random() < 0.7 else "pass"
            chunks.append(["try:", *("    " + s for s in statements), "except ImportError:", f"    {fallback}"])
            used.append(bound)
        else:
            chunks.append(statements)
            used.append(bound)
    if typed:
        chunks.insert(1, ["from typing import TYPE_CHECKING"])
        chunks.append(["", "if TYPE_CHECKING:", *("    " + s for s in typed)])
    if module.broken:
        # damage after the first chunk (stdlib) so real imports follow it
        at = rng.randint(1, max(1, len(chunks) - 1)) if len(chunks) > 2 else 1
        following = chunks[at] if at < len(chunks) else ["import json"]
        damage = _damage(tree, module.broken, following)
        if module.broken == "merge" and at < len(chunks):
            chunks[at] = damage
        else:
            chunks.insert(at, damage)
            if at == len(chunks) - 1:
                chunks.append(["import json"])
    for chunk in chunks:
        lines.extend(chunk)
    lines += _body(tree, module, lazy, used)
    return "\n".join(lines) + "\n"


def _agents_toml(tree: _Tree) -> str:
    out = [
        "# Generated by benchmarks/synthetic.py: a synthetic fleet for depmin's benchmarks.",
        "",
        "[project]",
        'name = "synthetic"',
        'root = "."',
        'python = "3.11"',
        'source_roots = ["."]',
        "",
        "[machines.node1]",
        'description = "benchmark machine"',
        "",
        "[families.base]",
        'from = "python:3.11-slim"',
        "",
    ]
    for agent in tree.agents:
        out += [
            f"[agents.{agent.name}]",
            f'entrypoint = "{agent.entrypoint}"',
            'machines = ["node1"]',
            'family = "base"',
            f"ports = [{agent.port}]",
            f"health_port = {agent.health_port}",
        ]
        if agent.module is not None:
            out.append(f'cmd = ["python", "-m", "{agent.module}"]')
        out.append("")
    return "\n".join(out)


def _requirements(names: Iterable[str]) -> str:
    dists = sorted({THIRD_PARTY[name][0] for name in names}, key=str.lower)
    return "".join(f"{dist}\n" for dist in dists)


def generate(
    outdir: Path, *, files: int = 10_000, agents: int = 500, broken: float = 0.3, seed: int = 1, shape: str = "fleet"
) -> Summary:
    """Write the synthetic tree into ``outdir`` (which must not exist or be empty/generated)."""
    stamp: dict[str, object] = {"version": GENERATOR_VERSION, "files": files, "agents": agents}
    stamp.update(broken=broken, seed=seed)
    if shape != "fleet":  # the default shape's stamp (and tree) are those of earlier versions
        stamp["shape"] = shape
    if outdir.exists() and any(outdir.iterdir()):
        if not (outdir / STAMP).is_file():
            raise SystemExit(f"{outdir} exists and was not made by synthetic.py; choose another directory")
        shutil.rmtree(outdir)
    tree = _Tree(files, agents, broken, seed, shape)
    tree.build()
    outdir.mkdir(parents=True, exist_ok=True)
    total_bytes = 0
    damages: dict[str, int] = {}
    unparseable = 0
    for path in sorted(tree.modules):
        module = tree.modules[path]
        text = render(tree, module)
        target = outdir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        total_bytes += len(text)
        if module.broken:
            damages[module.broken] = damages.get(module.broken, 0) + 1
        if not _parses(text):
            unparseable += 1
            if not module.broken:
                raise AssertionError(f"{path} was meant to parse but does not")
        elif module.broken:
            raise AssertionError(f"{path} was meant not to parse ({module.broken}) but parses")
    (outdir / "agents.toml").write_text(_agents_toml(tree), encoding="utf-8")
    (outdir / "requirements.txt").write_text(_requirements(THIRD_PARTY), encoding="utf-8")
    sizes = []
    shares = []
    for agent in tree.agents:
        found = tree.closure(agent.entrypoint)
        sizes.append(len(found))
        shares.append(sum(p.startswith("common/") for p in found) / len(found))
    summary = Summary(
        outdir=str(outdir),
        files=len(tree.modules),
        broken=sum(1 for m in tree.modules.values() if m.broken),
        damages=dict(sorted(damages.items())),
        agents=len(tree.agents),
        closure_min=min(sizes),
        closure_median=statistics.median(sizes),
        closure_max=max(sizes),
        closure_mean=round(statistics.fmean(sizes), 1),
        common_share=round(statistics.fmean(shares), 3),
        unparseable_checked=unparseable,
        bytes=total_bytes,
        seed=seed,
    )
    (outdir / STAMP).write_text(json.dumps({**stamp, "summary": summary.__dict__}, indent=1), encoding="utf-8")
    return summary


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError:
        return False
    return True


def ensure(outdir: Path, *, files: int, agents: int, broken: float, seed: int) -> Summary:
    """The tree in ``outdir``, generated unless a tree with the same parameters is already there."""
    stamp_path = outdir / STAMP
    if stamp_path.is_file():
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        wanted = {
            "version": GENERATOR_VERSION,
            "files": files,
            "agents": agents,
            "broken": broken,
            "seed": seed,
        }
        if all(stamp.get(k) == v for k, v in wanted.items()):
            return Summary(**stamp["summary"])
    return generate(outdir, files=files, agents=agents, broken=broken, seed=seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("outdir", type=Path, help="directory to create (replaced if synthetic.py made it)")
    parser.add_argument("--files", type=int, default=10_000, help="number of .py files (default 10000)")
    parser.add_argument("--agents", type=int, default=500, help="number of agents (default 500)")
    parser.add_argument("--broken", type=float, default=0.3, help="fraction of unparseable files (default 0.3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="fleet",
        help="fleet: the default split; plugin: ~70%% of the files in one shared core, small services",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    summary = generate(
        args.outdir, files=args.files, agents=args.agents, broken=args.broken, seed=args.seed, shape=args.shape
    )
    if args.json:
        print(json.dumps(summary.__dict__, indent=1))
    else:
        print(
            f"{summary.files} files ({summary.broken} unparseable: "
            + ", ".join(f"{k} {v}" for k, v in summary.damages.items())
            + f"), {summary.bytes / 1e6:.1f} MB, {summary.agents} agents in {summary.outdir}\n"
            f"intended closure per agent: min {summary.closure_min}, median {summary.closure_median:g}, "
            f"mean {summary.closure_mean}, max {summary.closure_max} files; "
            f"{summary.common_share:.0%} of a closure is common/ on average"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
