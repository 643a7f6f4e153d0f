"""``ci/github-workflow.yml``: the proposal's CI (section C) as a GitHub Actions workflow.

The pipeline, one job per stage, each ``needs`` the one before:

1. ``gates``: ``depmin check``, ``depmin plan --check``, ``depmin verify``, ``depmin audit`` (its SARIF
   uploaded to code scanning);
2. ``families``: each family target built once, pushed with its registry cache (a matrix over the
   family targets of the bake file, each entry naming the machines, that is the bake groups, it is in);
3. ``services``: ``docker buildx bake <machine>`` on a matrix over the machines (the bake groups): the
   families come from step 2's cache, the services build on them;
4. ``scan``: every built image scanned by Trivy, failing at ``[ci] image_scan_fail_on`` and above;
5. ``publish``: on a push to the default branch only, after every job above is green, each candidate
   image copied from the candidates repository to the registry.

Images are built into ``$REGISTRY/candidates`` (bake's ``REGISTRY`` variable) and only ``publish``
writes under ``$REGISTRY`` itself, so nothing reaches the registry before every gate passed. With
``[ci] remote_builder = true`` the build jobs use the BuildKit endpoint of the repository secret
``BUILDKIT_ENDPOINT`` (buildx's ``remote`` driver) instead of a builder on the runner.

The matrices come from the same functions as the bake file's targets and groups
(:mod:`depmin.dockerfiles.inputs`), so they cannot differ from it. Every value is a name of the
manifest's grammar (no ``$``, braces, quotes or line breaks) written as a YAML double-quoted string.
"""

from __future__ import annotations

import json

from depmin._files import MARKER
from depmin._version import __version__
from depmin.dockerfiles.bake import family_machines
from depmin.dockerfiles.escape import key, refuse, shown
from depmin.dockerfiles.inputs import (
    BuildInputs,
    base_repository,
    checked_registry,
    family_target,
    image_name,
    image_tag,
    service_files,
)
from depmin.manifest import SEVERITIES, Fleet

__all__ = ["WORKFLOW_NAME", "render_workflow", "trivy_severities", "workflow_file"]

WORKFLOW_NAME = "ci/github-workflow.yml"
_BAKE = "dockerfiles/docker-bake.hcl"

# The actions the workflow uses, by major version (update deliberately).
_CHECKOUT = "actions/checkout@v4"
_PYTHON = "actions/setup-python@v5"
_BUILDX = "docker/setup-buildx-action@v3"
_LOGIN = "docker/login-action@v3"
_TRIVY = "aquasecurity/trivy-action@0.28.0"
_SARIF = "github/codeql-action/upload-sarif@v3"


def render_workflow(fleet: Fleet, *, registry: str) -> str:
    """The workflow alone, for ``depmin workflow``: it needs nothing of the plan or the scan."""
    return workflow_file(fleet, BuildInputs(files={}, apt={}, root=".", registry=registry))


def trivy_severities(threshold: str) -> str:
    """Trivy's ``severity`` list for a threshold: ``high`` -> ``HIGH,CRITICAL``."""
    return ",".join(s.upper() for s in SEVERITIES[SEVERITIES.index(threshold) :])


def _q(value: str, where: str) -> str:
    """``value`` as a YAML double-quoted scalar (JSON's string syntax is YAML's); refused when it could
    start a GitHub expression."""
    if "${{" in value or "\n" in value:
        refuse(where, f"{shown(value)} cannot be written into a workflow; rename it")
    return json.dumps(value)


def workflow_file(fleet: Fleet, inputs: BuildInputs) -> str:
    """The workflow of the whole fleet; deterministic. The same text goes to ``dockerfiles/ci/`` (``depmin
    dockerfiles``) and to ``.github/workflows/depmin.yml`` (``depmin workflow``)."""
    config = fleet.path.name
    registry = checked_registry(inputs)
    families = sorted((family_target(fleet, name), name) for name in fleet.families if family_machines(fleet, name))
    machines = sorted(fleet.machines)
    images = sorted(
        {(base_repository(fleet), image_tag(fleet, name)) for _, name in families}
        | {(image_name(fleet, agent, machine), "") for agent, machine in service_files(fleet)}
    )
    ci = fleet.ci
    runner = _q(ci.runner, key(config, "ci", "runner"))
    family_rows = []
    for target, name in families:
        where = key(config, "families", name)
        used_on = _q(" ".join(family_machines(fleet, name)), where)
        family_rows.append(
            f"          - {{ target: {_q(target, where)}, family: {_q(name, where)}, machines: {used_on} }}"
        )
    machine_rows = [f"          - {_q(m, key(config, 'machines', m))}" for m in machines]
    image_rows = [
        f"          - {{ image: {_q(image, key(config, 'agents'))}, tag: {_q(tag, key(config, 'families'))} }}"
        for image, tag in images
    ]
    builder = (
        [
            f"      - uses: {_BUILDX}",
            "        with:",
            "          driver: remote",
            "          endpoint: ${{ secrets.BUILDKIT_ENDPOINT }}",
        ]
        if ci.remote_builder
        else [f"      - uses: {_BUILDX}"]
    )
    login = [
        f"      - uses: {_LOGIN}",
        "        with:",
        "          registry: ${{ env.REGISTRY_HOST }}",
        "          username: ${{ github.actor }}",
        "          password: ${{ secrets.REGISTRY_TOKEN || secrets.GITHUB_TOKEN }}",
    ]
    setup = [f"      - uses: {_CHECKOUT}", *builder, *login]
    bake = "docker buildx bake -f " + _BAKE + " --push"
    lines = [
        f"# {MARKER} from agents.toml (GitHub Actions workflow). Do not edit: run `depmin dockerfiles`.",
        "# `depmin workflow` writes it to .github/workflows/depmin.yml; docs/ci.md describes each job and setting.",
        "name: depmin",
        "",
        "on:",
        "  push:",
        "  pull_request:",
        "  workflow_dispatch:",
        "",
        "permissions:",
        "  contents: read",
        "  packages: write",
        "",
        "concurrency:",
        "  group: depmin-${{ github.ref }}",
        "  cancel-in-progress: true",
        "",
        "env:",
        f"  RELEASE_REGISTRY: {_q(registry, '--registry')}",
        f"  REGISTRY: {_q(registry + '/candidates', '--registry')}",
        f"  REGISTRY_HOST: {_q(registry.split('/', 1)[0], '--registry')}",
        "  TAG: ${{ github.sha }}",
        "",
        "jobs:",
        "  gates:",
        f"    runs-on: {runner}",
        "    permissions:",
        "      contents: read",
        "      security-events: write",
        "    steps:",
        f"      - uses: {_CHECKOUT}",
        f"      - uses: {_PYTHON}",
        "        with:",
        f"          python-version: {_q(fleet.project.python, key(config, 'project', 'python'))}",
        f'      - run: python -m pip install "depmin[audit]=={__version__}"',
        "      - name: generated files are current",
        "        run: depmin check",
        "      - name: no image grew beyond the size tolerance",
        "        run: depmin plan --check",
        # --all: verify without a choice of agents stops with exit 2; --skip-heavy: a hosted runner
        # has no room for a CUDA torch stack (the modules left unchecked are listed in the log).
        "      - name: every module the scans found imports from the locks",
        "        run: depmin verify --all --skip-heavy",
        "      - name: no locked distribution has an advisory at the threshold",
        "        run: depmin audit --all --sarif depmin-audit.sarif",
        f"      - uses: {_SARIF}",
        "        if: always() && hashFiles('depmin-audit.sarif') != ''",
        "        with:",
        "          sarif_file: depmin-audit.sarif",
        "          category: depmin-audit",
        "",
        "  families:",
        "    needs: gates",
        f"    runs-on: {runner}",
        "    strategy:",
        "      matrix:",
        "        include:",
        *family_rows,
        "    steps:",
        *setup,
        "      - name: build the family once, with its registry cache",
        f"        run: {bake} ${{{{ matrix.target }}}}",
        "",
        "  services:",
        "    needs: families",
        f"    runs-on: {runner}",
        "    strategy:",
        "      matrix:",
        "        machine:",
        *machine_rows,
        "    steps:",
        *setup,
        "      - name: build the machine's services on the cached families",
        f"        run: {bake} ${{{{ matrix.machine }}}}",
        "",
        "  scan:",
        "    needs: services",
        f"    runs-on: {runner}",
        "    strategy:",
        "      fail-fast: false",
        "      matrix:",
        "        include:",
        *image_rows,
        "    steps:",
        *login,
        f"      - uses: {_TRIVY}",
        "        with:",
        "          image-ref: ${{ env.REGISTRY }}/${{ matrix.image }}:${{ matrix.tag || env.TAG }}",
        f"          severity: {_q(trivy_severities(ci.image_scan_fail_on), key(config, 'ci', 'image_scan_fail_on'))}",
        '          exit-code: "1"',
        "          ignore-unfixed: false",
        "",
        "  publish:",
        "    needs: [gates, families, services, scan]",
        "    if: >-",
        "      github.event_name == 'push' &&",
        "      github.ref == format('refs/heads/{0}', github.event.repository.default_branch)",
        f"    runs-on: {runner}",
        "    strategy:",
        "      matrix:",
        "        include:",
        *image_rows,
        "    steps:",
        f"      - uses: {_BUILDX}",
        *login,
        "      - name: copy the scanned candidate to the registry",
        "        env:",
        "          IMAGE: ${{ matrix.image }}:${{ matrix.tag || env.TAG }}",
        '        run: docker buildx imagetools create --tag "$RELEASE_REGISTRY/$IMAGE" "$REGISTRY/$IMAGE"',
    ]
    return "\n".join(lines) + "\n"
