"""Rules for GPU clusters and GPU node pools.

A GPU node costs as much as a small car and hosts week-long training jobs:
these rules bound how many of them an upgrade may take at once, keep a big
pool from sitting in one rack, and make sure the operators that turn bare
GPUs into schedulable, monitored resources are installed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.policy import k8s
from fleetc.policy.model import Blame, Finding, RuleContext

GPU_MAX_UNAVAILABLE_PERCENT = 10
GPU_SPREAD_MIN_NODES = 16  # pools above this size must span >= 2 failure domains
REQUIRED_GPU_CHARTS = ("gpu-operator", "node-feature-discovery", "node-problem-detector")


def as_int(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    number = k8s.number(value)
    return int(number) if number is not None and number == int(number) else None


def _pool_data(node: Node) -> tuple[str, Mapping[str, Any]] | None:
    """(pool, ConfigMap data) for a GPU pool's ``nodepool-<pool>`` ConfigMap."""
    pool = k8s.pool_config_name(node)
    if pool is None:
        return None
    data = k8s.config_data(node)
    gpus = as_int(data.get("gpus"))
    return (pool, data) if gpus is not None and gpus > 0 else None


def gpu_budget(count: int) -> int:
    """The most nodes of a GPU pool an upgrade may take at once: 10%, at least 1."""
    return max(1, count * GPU_MAX_UNAVAILABLE_PERCENT // 100)


def gpu_pool_max_unavailable(node: Node) -> Iterator[Finding]:
    found = _pool_data(node)
    if found is None:
        return
    pool, data = found
    count = as_int(data.get("count"))
    nodes = as_int(data.get("maxUnavailableNodes"))
    if count is None or nodes is None:
        return
    limit = gpu_budget(count)
    if nodes > limit:
        share = 100.0 * nodes / count if count else 100.0
        yield Finding(
            node,
            f"GPU pool {pool}: maxUnavailable {data.get('maxUnavailable', nodes)} lets an upgrade take {nodes} of "
            f"{count} nodes ({share:.0f}%) at once, more than the {GPU_MAX_UNAVAILABLE_PERCENT}% a tenant's capacity "
            f'plan absorbs: set maxUnavailable to at most {limit} (or "{GPU_MAX_UNAVAILABLE_PERCENT}%")',
            Blame(("maxUnavailable",), pool=pool),
        )


def gpu_pool_spread(node: Node) -> Iterator[Finding]:
    found = _pool_data(node)
    if found is None:
        return
    pool, data = found
    count = as_int(data.get("count"))
    if count is None or count <= GPU_SPREAD_MIN_NODES:
        return
    try:
        domains = json.loads(str(data.get("failureDomains", "[]")))
    except json.JSONDecodeError:
        return
    if not isinstance(domains, list) or not domains or len(set(map(str, domains))) >= 2:
        return  # empty list: every failure domain of the region
    yield Finding(
        node,
        f"GPU pool {pool} puts {count} nodes in one failure domain ({domains[0]}): one power or cooling event takes "
        "the whole pool; list at least 2 failureDomains, unless fabric locality demands one (then accept this "
        "advisory knowingly)",
        Blame(("failureDomains",), pool=pool),
    )


def gpu_addons(graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    """GPU clusters carry the GPU operator, node-feature-discovery and node-problem-detector.

    Matched by chart name, so a release renamed per cluster still counts. A
    cluster whose API does not exist yet (created in this step: no provider,
    no add-on group) gets its add-ons on the next run and is judged then.
    """
    charts: dict[str | None, set[str]] = {}
    reachable: set[str | None] = set()
    for node in graph:
        if node.kind is Kind.HELM_RELEASE:
            chart = node.props.get("chart")
            if isinstance(chart, str):
                charts.setdefault(node.cluster, set()).add(chart.rsplit("/", 1)[-1])
        if node.kind in (Kind.HELM_RELEASE, Kind.ADDON_BUNDLE) or (
            node.kind is Kind.PROVIDER and node.cluster is not None and node.id == f"{node.cluster}/provider"
        ):
            reachable.add(node.cluster)
    for node in graph:
        if not k8s.is_cluster_config(node) or k8s.config_data(node).get("gpu") != "true":
            continue
        if node.cluster not in reachable:
            continue  # created in this step: its API and add-ons follow on the next run
        missing = [c for c in REQUIRED_GPU_CHARTS if c not in charts.get(node.cluster, set())]
        if missing:
            yield Finding(
                node,
                f"GPU cluster lacks {', '.join(missing)}: without the GPU operator GPUs are not schedulable or "
                "monitored, without node-feature-discovery GPU nodes are not labelled, without "
                "node-problem-detector Xid/ECC faults never drain a node; add them to the cluster's bundle or "
                "remove them from addons.disable",
                Blame(("bundle",)),
            )
