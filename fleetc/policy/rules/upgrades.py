"""Rules about when and how far upgrades move.

Who may start an upgrade (approval), when (maintenance window), and how far
versions may drift apart (Kubernetes' version skew policy: a kubelet is
never newer than its apiserver and at most 3 minors older; a control plane
moves one minor at a time and never down).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.policy import k8s
from fleetc.policy.model import Blame, Finding, RuleContext
from fleetc.versions import Version

if TYPE_CHECKING:
    from fleetc.live.facts import ClusterLive

MAX_KUBELET_MINORS_BEHIND = 3


def _cluster_config(node: Node) -> Mapping[str, Any] | None:
    return k8s.config_data(node) if k8s.is_cluster_config(node) else None


def _has_window(data: Mapping[str, Any]) -> bool:
    window = data.get("window")
    return isinstance(window, str) and window.strip() not in ("", "null", "{}")


def upgrade_window_automatic(node: Node) -> Iterator[Finding]:
    data = _cluster_config(node)
    if data is None or data.get("gpu") != "true" or data.get("approval") != "automatic" or _has_window(data):
        return
    yield Finding(
        node,
        "GPU cluster upgrades automatically with no maintenance window: nothing stops an upgrade from starting in "
        'the middle of the tenant\'s busiest hour; add upgrade.window (e.g. {days: [sat, sun], start: "02:00", '
        "hours: 6}) or set upgrade.approval: required",
        Blame(("upgrade",)),
    )


def upgrade_window_gpu(node: Node) -> Iterator[Finding]:
    data = _cluster_config(node)
    if data is None or data.get("gpu") != "true" or data.get("approval") == "automatic" or _has_window(data):
        return
    yield Finding(
        node,
        "GPU cluster has no maintenance window: once approved, its upgrade starts whenever the next deploy runs; "
        "agree a window with the tenant and add upgrade.window",
        Blame(("upgrade",)),
    )


def upgrade_approval_required(node: Node) -> Iterator[Finding]:
    data = _cluster_config(node)
    if data is None or data.get("gpu") == "true" or data.get("approval") != "automatic" or _has_window(data):
        return
    yield Finding(
        node,
        "upgrades start automatically at any hour: neither an approval nor a maintenance window gates them; set "
        "upgrade.approval: required or add upgrade.window",
        Blame(("upgrade", "approval")),
    )


# ---------------------------------------------------------------- version skew


def apiserver_versions(graph: DesiredGraph) -> dict[str | None, Version]:
    """Cluster id -> the apiserver version this step deploys (its image tag)."""
    found: dict[str | None, Version] = {}
    for node in graph:
        if not (k8s.is_manifest(node, "Deployment", "kube-apiserver") and k8s.in_control_plane(node)):
            continue
        if k8s.kept_live(node, "spec.template.spec.containers"):
            continue  # the live version stays, whatever the image says: nothing is deployed
        for container in k8s.containers(node):
            if container.get("name") == "kube-apiserver" or len(list(k8s.containers(node))) == 1:
                version = Version.try_parse(k8s.image_tag(container.get("image")))
                if version is not None:
                    found[node.cluster] = version
    return found


def _skew(kubelet: Version, apiserver: Version) -> str | None:
    """Why a kubelet is out of the skew policy (counted in minors), or None."""
    behind = kubelet.minors_to(apiserver)
    if behind < 0:
        return f"{kubelet} is newer than the apiserver {apiserver}"
    if behind > MAX_KUBELET_MINORS_BEHIND:
        return f"{kubelet} is {behind} minors behind the apiserver {apiserver} (at most {MAX_KUBELET_MINORS_BEHIND})"
    return None


def _pool_of(node_id: str) -> str | None:
    parts = node_id.split("/")
    return parts[parts.index("pools") + 1] if "pools" in parts[:-1] else None


def _reimages(node: Node) -> bool:
    labels = k8s.mapping(node.props.get("labels"))
    return any(str(key).endswith("/target-image") and value for key, value in labels.items())


def kubelet_skew(graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    """Nodes reimaged in this step get their pool's kubelet: it must be within skew of the apiserver."""
    apiservers = apiserver_versions(graph)
    pool_versions: dict[tuple[str | None, str], tuple[Node, Version | None]] = {}
    for node in graph.manifests("ConfigMap"):
        pool = k8s.pool_config_name(node)
        if pool is None:
            continue
        held = k8s.kept_live(node, "data.kubernetes")  # the control plane is not at the target yet
        version = None if held else Version.try_parse(k8s.config_data(node).get("kubernetes"))
        pool_versions[(node.cluster, pool)] = (node, version)
    reimaged: dict[tuple[str | None, str], list[str]] = {}
    for node in graph.of_kind(Kind.NODE_PATCH):
        pool = _pool_of(node.id)
        if pool is not None and _reimages(node):
            name = node.props.get("name")
            reimaged.setdefault((node.cluster, pool), []).append(str(name or node.name))
    for (cluster, pool), names in sorted(reimaged.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        apiserver = apiservers.get(cluster)
        found = pool_versions.get((cluster, pool))
        if found is None or (apiserver is None and found[1] is not None):
            continue
        config, kubelet = found
        if kubelet is None:
            yield Finding(
                config,
                f"pool {pool}: {len(names)} node(s) are reimaged while the pool's target is held back because the "
                "control plane is not yet at its target and ready: nodes move only after the control plane",
                Blame(pool=pool),
            )
            continue
        problem = _skew(kubelet, apiserver) if apiserver is not None else None
        if problem:
            yield Finding(
                config,
                f"pool {pool}: {len(names)} node(s) are reimaged to kubelet {problem}: upgrade the control plane "
                "first, one minor at a time, and reimage nodes only once it is at the target",
                Blame(pool=pool),
            )


def _live_cluster(ctx: RuleContext, cluster_id: str) -> ClusterLive | None:
    if ctx.live is None:
        return None
    region, _, name = cluster_id.partition("/")
    return ctx.live.region(region).cluster(name)


def kubelet_skew_live(graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    """Live kubelets against the apiserver version this step deploys."""
    for cluster, apiserver in sorted(apiserver_versions(graph).items(), key=lambda item: str(item[0])):
        live = _live_cluster(ctx, cluster) if cluster else None
        if live is None or live.nodes is None:
            continue
        anchor = _cluster_anchor(graph, cluster)
        by_pool: dict[str, list[str]] = {}
        for fact in live.nodes:
            problem = _skew(fact.kubelet, apiserver) if fact.kubelet is not None else None
            if problem:
                by_pool.setdefault(fact.pool or "(no pool)", []).append(f"{fact.name}: {problem}")
        for pool, problems in sorted(by_pool.items()):
            shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
            yield Finding(
                anchor,
                f"pool {pool}: kubelets out of the version skew policy once this step applies ({shown}): move the "
                "control plane one minor at a time and reimage lagging nodes before the next control-plane step",
                Blame(pool=pool if pool != "(no pool)" else None),
            )


def cp_one_minor_step(graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    """The control plane moves at most one minor per step and never down."""
    for cluster, desired in sorted(apiserver_versions(graph).items(), key=lambda item: str(item[0])):
        if cluster is None:
            continue
        current: Version | None = None
        live = _live_cluster(ctx, cluster)
        if live is not None and live.control_plane is not None:
            current = live.control_plane.apiserver_version
        if current is None and ctx.plan is not None and cluster in ctx.plan.clusters:
            current = ctx.plan.clusters[cluster].live_version
        if current is None:
            continue
        step = current.minors_to(desired)
        if 0 <= step <= 1:
            continue
        what = "downgrades a minor" if step < 0 else f"skips {step - 1} minor(s)"
        yield Finding(
            _cluster_anchor(graph, cluster),
            f"the control plane {what}: it runs {current} and this step deploys {desired}; Kubernetes supports "
            "upgrading one minor at a time and no downgrade: move the target (channel or versions.kubernetes) "
            "one minor at a time",
            Blame(("versions",)),
        )


def _cluster_anchor(graph: DesiredGraph, cluster: str | None) -> Node:
    """The node a cluster-wide finding is attached to: its apiserver Deployment."""
    for node in graph:
        if node.cluster == cluster and k8s.is_manifest(node, "Deployment", "kube-apiserver"):
            return node
    raise LookupError(cluster)  # pragma: no cover - only called for clusters found above
