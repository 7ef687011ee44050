"""Rules over a hosted control plane: the TenantControlPlane, etcd StatefulSet and PDBs in ``cp-<cluster>``.

The apiserver rules read a Kamaji TenantControlPlane (docs/spec.md 6.1) and,
for stacks and renders of the earlier form, a Deployment ``kube-apiserver``.

A customer cluster's control plane is a handful of pods in the management
cluster; one careless value there (one apiserver, two etcd members, a PDB
that does not select its pods) turns a node drain of the management cluster
into an outage of a 4,000-GPU training run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fleetc import conventions
from fleetc.compile.graph import DesiredGraph, Node
from fleetc.policy import k8s
from fleetc.policy.model import Blame, Finding, RuleContext

MIN_APISERVERS = 3
ETCD_MEMBERS = (3, 5)
MIN_ETCD_STORAGE_GIB = 32
MIN_FAILURE_DOMAINS = 3
CONTROL_PLANE_WORKLOADS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")


def _is_tenant_control_plane(node: Node) -> bool:
    return node.api_kind == conventions.TENANT_CONTROL_PLANE and k8s.in_control_plane(node)


def _is_apiserver(node: Node) -> bool:
    legacy = k8s.is_manifest(node, "Deployment", "kube-apiserver") and k8s.in_control_plane(node)
    return legacy or _is_tenant_control_plane(node)


def _apiserver_replicas(node: Node) -> float | None:
    if _is_tenant_control_plane(node):
        return k8s.number(k8s.dig(node.props, "spec", "controlPlane", "deployment", "replicas"))
    return k8s.replicas(node)


def _apiserver_flags(node: Node) -> list[str]:
    """The apiserver's flags as written: Kamaji's ``extraArgs.apiServer`` or the Deployment's container args."""
    if _is_tenant_control_plane(node):
        flags = k8s.dig(node.props, "spec", "controlPlane", "deployment", "extraArgs", "apiServer")
    else:
        flags = [a for c in k8s.containers(node) for a in k8s.sequence(k8s.mapping(c).get("args"))]
    return [str(f) for f in k8s.sequence(flags)]


def _is_etcd(node: Node) -> bool:
    return k8s.is_manifest(node, "StatefulSet", "etcd") and k8s.in_control_plane(node)


def _count(value: float | None) -> str:
    return "unset (1)" if value is None else str(int(value))


def cp_ha_apiservers(node: Node) -> Iterator[Finding]:
    if not _is_apiserver(node):
        return
    replicas = _apiserver_replicas(node)
    if replicas is None or replicas < MIN_APISERVERS:
        yield Finding(
            node,
            f"kube-apiserver runs {_count(replicas)} replicas; a production control plane needs at least "
            f"{MIN_APISERVERS} so that one pod can be rescheduled or upgraded while two serve: "
            f"set controlPlane.replicas: {MIN_APISERVERS}",
            Blame(("controlPlane", "replicas")),
        )


def etcd_quorum(node: Node) -> Iterator[Finding]:
    if not _is_etcd(node):
        return
    replicas = k8s.replicas(node)
    if replicas is not None and int(replicas) in ETCD_MEMBERS and replicas == int(replicas):
        return
    if replicas is None or replicas < 3:
        why = "a cluster with fewer than 3 members loses quorum with its first failure"
    elif replicas % 2 == 0:
        why = "an even member count tolerates no more failures than one member fewer"
    else:
        why = "every extra member slows each write, and more than 5 buys no useful tolerance"
    yield Finding(
        node,
        f"etcd has {_count(replicas)} members; {why}: set controlPlane.etcd.replicas to 3 (or 5 for large clusters)",
        Blame(("controlPlane", "etcd", "replicas")),
    )


def _spreads_by_constraint(pod_spec: Mapping[str, Any]) -> bool:
    for constraint in k8s.sequence(pod_spec.get("topologySpreadConstraints")):
        c = k8s.mapping(constraint)
        if (
            c.get("topologyKey") == k8s.ZONE_KEY
            and c.get("whenUnsatisfiable") == "DoNotSchedule"
            and k8s.number(c.get("maxSkew")) == 1
        ):
            return True
    return False


def _spreads_by_anti_affinity(pod_spec: Mapping[str, Any]) -> bool:
    terms = k8s.dig(pod_spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
    return any(k8s.mapping(term).get("topologyKey") == k8s.ZONE_KEY for term in k8s.sequence(terms))


def etcd_spread(node: Node) -> Iterator[Finding]:
    """Members must land in different failure domains, by a rule the scheduler cannot bend.

    Either a topology spread constraint on the zone (maxSkew 1, DoNotSchedule:
    no domain ever holds a majority, e.g. 2/2/1 for 5 members over 3 domains)
    or required zone anti-affinity (one member per domain). *Preferred*
    anti-affinity is not enough: when nodes are scarce the scheduler packs
    members into one rack, and that rack takes quorum with it.
    """
    if not _is_etcd(node):
        return
    pod_spec = k8s.mapping(k8s.pod_template(node).get("spec"))
    if _spreads_by_constraint(pod_spec) or _spreads_by_anti_affinity(pod_spec):
        return
    yield Finding(
        node,
        f"etcd members are not forced into different failure domains (preferred anti-affinity is best effort): "
        f"one rack or hall failure can take quorum; give the StatefulSet a topologySpreadConstraint on "
        f"{k8s.ZONE_KEY} with maxSkew: 1 and whenUnsatisfiable: DoNotSchedule (works for 3 or 5 members over 3 "
        "domains), or required pod anti-affinity on that key when every member can have its own domain",
        Blame(("controlPlane", "etcd")),
    )


def region_failure_domains(graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A region must offer enough failure domains for etcd to spread over.

    Known from the spec (``fleetc check``/``preview``) or, in a Pulumi
    stack, from the Region node's ``failureDomains`` when the compiler sets it.
    """
    domains: list[Any] | None = None
    if ctx.spec is not None and graph.region in ctx.spec.regions:
        domains = list(ctx.spec.regions[graph.region].spec.failure_domains)
    region_node = graph.get(graph.region)
    if domains is None and region_node is not None and isinstance(region_node.props.get("failureDomains"), list):
        domains = list(region_node.props["failureDomains"])
    if domains is None or len(domains) >= MIN_FAILURE_DOMAINS:
        return
    for node in graph:
        if _is_etcd(node):
            yield Finding(
                node,
                f"region {graph.region} has {len(domains)} failure domain(s); etcd needs {MIN_FAILURE_DOMAINS} to "
                "survive the loss of one rack or hall: list at least 3 in the Region's failureDomains",
                Blame(("controlPlane", "etcd")),
            )


def etcd_storage(node: Node) -> Iterator[Finding]:
    if not _is_etcd(node):
        return
    templates = k8s.sequence(k8s.dig(node.props, "spec", "volumeClaimTemplates"))
    if not templates:
        yield Finding(
            node,
            "etcd has no volumeClaimTemplates: its data lives on the pod's ephemeral disk and is lost with the pod; "
            f"give it a persistent volume of at least {MIN_ETCD_STORAGE_GIB} GiB",
            Blame(("controlPlane", "etcd", "storageGiB")),
        )
        return
    minimum = MIN_ETCD_STORAGE_GIB * 2**30
    for template in templates:
        raw = k8s.dig(template, "spec", "resources", "requests", "storage")
        size = k8s.quantity(raw)
        if size is None or size < minimum:
            shown = "no size" if raw is None else f"{raw}"
            yield Finding(
                node,
                f"etcd volume requests {shown}; below {MIN_ETCD_STORAGE_GIB} GiB a busy cluster's Events and Pods hit "
                f"the quota or the disk and etcd goes read-only: set controlPlane.etcd.storageGiB >= "
                f"{MIN_ETCD_STORAGE_GIB}",
                Blame(("controlPlane", "etcd", "storageGiB")),
            )


def _is_zero(value: Any) -> bool:
    return k8s.number(value) == 0 or value in ("0", "0%")


def apiserver_rolling(node: Node) -> Iterator[Finding]:
    """Upgrades surge a new apiserver before an old one goes: never fewer than all replicas serving."""
    if not _is_apiserver(node):
        return
    if _is_tenant_control_plane(node):
        # Kamaji's default is RollingUpdate with maxSurge 100%, maxUnavailable 0: only a written one can be wrong.
        strategy = k8s.mapping(k8s.dig(node.props, "spec", "controlPlane", "deployment", "strategy"))
        if not strategy:
            return
    else:
        strategy = k8s.mapping(k8s.dig(node.props, "spec", "strategy"))
    rolling = k8s.mapping(strategy.get("rollingUpdate"))
    problems: list[str] = []
    if strategy.get("type") != "RollingUpdate":
        problems.append(f"strategy.type is {strategy.get('type') or 'unset'}, not RollingUpdate")
    if not _is_zero(rolling.get("maxUnavailable")):
        problems.append(f"rollingUpdate.maxUnavailable is {rolling.get('maxUnavailable', 'unset (25%)')}, not 0")
    if "maxSurge" in rolling and _is_zero(rolling.get("maxSurge")):
        problems.append("rollingUpdate.maxSurge is 0, so the rollout could never start")
    if problems:
        yield Finding(
            node,
            "kube-apiserver " + "; ".join(problems) + ": an upgrade must add a new replica before removing an old "
            "one (RollingUpdate, maxUnavailable: 0, maxSurge: 1), or clients see a reduced control plane",
            Blame(("controlPlane",)),
        )


def cp_resources(node: Node) -> Iterator[Finding]:
    """Control-plane pods share the management cluster's nodes: without requests they get evicted first."""
    if _is_tenant_control_plane(node):
        resources = k8s.mapping(k8s.dig(node.props, "spec", "controlPlane", "deployment", "resources"))
        named = [(c, k8s.mapping(resources.get(c))) for c in ("apiServer", "controllerManager", "scheduler")]
    elif k8s.in_control_plane(node) and node.api_kind in k8s.WORKLOAD_KINDS:
        named = [(str(c.get("name", "?")), k8s.mapping(c.get("resources"))) for c in k8s.containers(node)]
    else:
        return
    missing: list[str] = []
    for name, resources_of in named:
        requests = k8s.mapping(resources_of.get("requests"))
        absent = [r for r in ("cpu", "memory") if requests.get(r) in (None, "", 0)]
        if absent:
            missing.append(f"{name} ({', '.join(absent)})")
    if missing:
        yield Finding(
            node,
            f"{node.api_kind} {k8s.object_name(node)}: containers without resource requests: {', '.join(missing)}; "
            "a BestEffort control-plane pod is the first evicted under memory pressure: set requests for cpu and "
            "memory on every container",
            Blame(("controlPlane",)),
        )


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    match = k8s.mapping(selector.get("matchLabels"))
    if not match and not selector.get("matchExpressions"):
        return False  # an empty selector in policy/v1 selects every pod in the namespace: not a real budget
    return all(labels.get(k) == v for k, v in match.items())


def _allowed_disruptions(pdb: Node, replicas: int) -> int | None:
    """How many pods the budget lets a drain evict at once (percentages round up, as Kubernetes does)."""
    spec = k8s.mapping(pdb.props.get("spec"))
    for key in ("maxUnavailable", "minAvailable"):
        raw = spec.get(key)
        if raw is None:
            continue
        if isinstance(raw, str) and raw.endswith("%") and raw[:-1].isdigit():
            value = -(-replicas * int(raw[:-1]) // 100)
        else:
            number = k8s.number(raw)
            if number is None:
                return None
            value = int(number)
        return value if key == "maxUnavailable" else replicas - value
    return None


def cp_pdb(graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    """Each control-plane workload has a PodDisruptionBudget that selects its pods;
    etcd's never lets a drain take quorum."""
    budgets: dict[str, list[Node]] = {}
    for node in graph:
        if node.api_kind == "PodDisruptionBudget" and k8s.in_control_plane(node):
            budgets.setdefault(k8s.namespace(node) or "", []).append(node)
    for node in graph:
        name = k8s.object_name(node)
        if _is_tenant_control_plane(node):
            labels: Mapping[str, Any] = {conventions.KAMAJI_NAME_LABEL: name}  # Kamaji's label on its pods
        elif node.api_kind in ("Deployment", "StatefulSet") and k8s.in_control_plane(node):
            if name not in CONTROL_PLANE_WORKLOADS:
                continue
            labels = k8s.mapping(k8s.dig(k8s.pod_template(node), "metadata", "labels"))
        else:
            continue
        matching = [
            pdb
            for pdb in budgets.get(k8s.namespace(node) or "", [])
            if _selects(k8s.mapping(k8s.dig(pdb.props, "spec", "selector")), labels)
        ]
        if not matching:
            yield Finding(
                node,
                f"{node.api_kind} {name} has no PodDisruptionBudget selecting its pods: draining management nodes "
                "may evict all replicas at once; add a PodDisruptionBudget whose selector matches the pod labels",
                Blame(("controlPlane",)),
            )
            continue
        replicas = int((_apiserver_replicas(node) if _is_apiserver(node) else k8s.replicas(node)) or 1)
        if name == "etcd" and node.api_kind == "StatefulSet":
            quorum_loss = replicas - (replicas // 2 + 1) + 1
            for pdb in matching:
                allowed = _allowed_disruptions(pdb, replicas)
                if allowed is not None and allowed >= quorum_loss:
                    yield Finding(
                        pdb,
                        f"PodDisruptionBudget {k8s.object_name(pdb)} allows {allowed} of {replicas} etcd members to "
                        f"be evicted at once, which loses quorum: allow at most {quorum_loss - 1} (maxUnavailable: 1)",
                        Blame(("controlPlane", "etcd")),
                    )


def cp_audit_log(node: Node) -> Iterator[Finding]:
    """A customer's control plane keeps an audit trail: who changed what, for incident review and compliance.

    Judged on TenantControlPlanes, the form fleetc configures; a control plane
    of the earlier form is held as it is until migrated (docs/control-plane.md).
    """
    if _is_tenant_control_plane(node) and not any(f.startswith("--audit-policy-file=") for f in _apiserver_flags(node)):
        yield Finding(
            node,
            "kube-apiserver writes no audit log (no --audit-policy-file): nobody can tell afterwards who deleted a "
            "tenant's workload or read its Secrets; remove controlPlane.apiServer.audit: false (fleetc's default "
            "policy logs metadata of every write), or set an auditPolicy",
            Blame(("controlPlane", "apiServer")),
        )


def cp_encryption_at_rest(node: Node) -> Iterator[Finding]:
    """Secrets in etcd are encrypted: etcd's volumes and snapshots would otherwise hold every tenant credential.

    TenantControlPlanes only, as :func:`cp_audit_log`.
    """
    flags = _apiserver_flags(node)
    if _is_tenant_control_plane(node) and not any(f.startswith("--encryption-provider-config=") for f in flags):
        yield Finding(
            node,
            "kube-apiserver stores Secrets in etcd in plain text (no --encryption-provider-config): anyone with an "
            "etcd snapshot or volume reads every credential of the tenant; remove "
            "controlPlane.apiServer.encryptionAtRest: false",
            Blame(("controlPlane", "apiServer")),
        )
