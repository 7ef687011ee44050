"""Rules over what gets installed: chart versions, repositories, images, namespaces.

The same fleet must render the same bits next month: a floating chart
version or image tag means a re-run of ``pulumi up`` silently ships
something nobody reviewed, to every cluster at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fleetc.compile.graph import Kind, Node
from fleetc.policy import k8s
from fleetc.policy.model import Blame, Finding

# SemVer 2 (Helm's chart version format), optional leading v, nothing else:
# no ranges (^1.2, ~1, >=1, 1.x, *), no partial versions (1.2), no "latest".
EXACT_VERSION = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
SECURE_SCHEMES = ("https://", "oci://")
FORBIDDEN_NAMESPACES = frozenset({"", "default"})


def _addon(node: Node) -> Blame:
    name = node.props.get("name")
    return Blame(addon=name if isinstance(name, str) else node.name)


def chart_pinned(node: Node) -> Iterator[Finding]:
    if node.kind is not Kind.HELM_RELEASE:
        return
    version = node.props.get("version")
    chart = node.props.get("chart")
    if isinstance(version, str) and EXACT_VERSION.match(version.strip()):
        return
    if not isinstance(version, str) or not version.strip():
        what = "has no version, so Helm installs whatever is newest at deploy time"
    elif version.strip() == "latest":
        what = "is pinned to 'latest', which changes under you"
    else:
        what = f"version {version!r} is a range or partial version; Helm resolves it to whatever is newest"
    blame = _addon(node)
    yield Finding(
        node,
        f'chart {chart} {what}: pin an exact version such as "1.16.3" in chart.version',
        Blame(("chart", "version"), addon=blame.addon),
    )


def helm_repo_https(node: Node) -> Iterator[Finding]:
    if node.kind is not Kind.HELM_RELEASE:
        return
    repository = node.props.get("repository")
    if isinstance(repository, str) and repository.startswith(SECURE_SCHEMES):
        return
    shown = repository if isinstance(repository, str) and repository else "no repository"
    yield Finding(
        node,
        f"chart {node.props.get('chart')} comes from {shown}: charts must be fetched over TLS so nobody on the path "
        "can swap them; use an https:// repository or an oci:// registry",
        Blame(("chart", "repository"), addon=_addon(node).addon),
    )


def addon_namespace(node: Node) -> Iterator[Finding]:
    if node.kind is Kind.HELM_RELEASE:
        ns = node.props.get("namespace")
        if isinstance(ns, str) and ns not in FORBIDDEN_NAMESPACES:
            return
        yield Finding(
            node,
            f"add-on {node.props.get('name')} installs into namespace {ns or 'default'!r}: the default namespace "
            "belongs to the tenant's workloads, whose RBAC and quotas then apply to the platform; give the add-on "
            "its own namespace",
            Blame(("namespace",), addon=_addon(node).addon),
        )
    elif node.kind is Kind.MANIFEST and k8s.namespace(node) == "default":
        yield Finding(
            node,
            f"{node.api_kind} {k8s.object_name(node)} is created in namespace 'default', the tenant's namespace: "
            "put platform objects in their own namespace",
        )


def _latest_in_values(values: Any, path: str = "values") -> Iterator[str]:
    """Explicit ``latest`` tags in Helm values (``tag: latest`` or ``image: repo:latest``).

    Only explicit ones: an empty or absent tag makes a chart use its own
    appVersion, which the pinned chart version fixes.
    """
    if isinstance(values, dict):
        for key, value in values.items():
            where = f"{path}.{key}"
            if key == "tag" and value == "latest":
                yield f"{where}: latest"
            elif key == "image" and isinstance(value, str) and k8s.image_tag(value) == "latest":
                yield f"{where}: {value}"
            else:
                yield from _latest_in_values(value, where)
    elif isinstance(values, list):
        for index, item in enumerate(values):
            yield from _latest_in_values(item, f"{path}[{index}]")


def image_pinned(node: Node) -> Iterator[Finding]:
    if node.kind is Kind.HELM_RELEASE:
        found = list(_latest_in_values(node.props.get("values")))
        if found:
            yield Finding(
                node,
                f"add-on {node.props.get('name')} sets image tag latest ({'; '.join(found)}): every node pull may get "
                "a different build; pin an exact tag or a digest",
                Blame(("values",), addon=_addon(node).addon),
            )
        return
    if node.kind is not Kind.MANIFEST:
        return
    problems = []
    for container in k8s.containers(node):
        problem = k8s.image_problem(container.get("image"))
        if problem:
            problems.append(f"container {container.get('name', '?')} {problem}")
    if problems:
        yield Finding(
            node,
            f"{node.api_kind} {k8s.object_name(node)}: {'; '.join(problems)}: pin every image to an exact tag or a "
            "digest, so a restart cannot change what runs",
        )
