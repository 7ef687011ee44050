"""From a scenario and a fleet to the FleetSpec the planner sees and the simulated clusters.

The real ``plan()`` runs on a real FleetSpec. For ``fleet:`` scenarios that
is the loaded fleet narrowed to the chosen clusters and pools; for
``synthetic:`` scenarios it is the loaded fleet's ``Fleet`` document (label
prefix, instance types, add-on bundles) plus a generated tenant, channel and
region holding the synthetic clusters. Either way the scenario decides the
upgrade, so each simulated cluster is changed in these ways, and only these:

- its versions are pinned to the scenario's target (``to``);
- ``upgrade.approval`` is ``automatic``: the upgrade counts as approved, so
  no Approval document is needed (an approval gates *whether* to start, and
  the simulation is about *how* the rollout goes once it may);
- ``upgrade.window`` is the scenario's ``window`` (none by default: the
  cluster's own window is ignored unless the scenario sets one);
- ``upgrade.paused`` and the fleet's ``freeze`` are off;
- ``upgrade.busyNodes`` and ``upgrade.checkpointRequest`` are the
  scenario's ``busyNodes`` and ``checkpointRequest`` when it sets them
  (else the cluster's own: fleetc's defaults for synthetic clusters).

Each cluster also gets its own one-cluster FleetSpec (``PlanUnit``): the
planner decides every cluster independently, and planning one cluster at a
time lets the engine skip clusters whose facts did not change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from fleetc.conventions import cluster_id
from fleetc.errors import Diagnostic, FleetcError, Pos
from fleetc.simulate.cluster import SimCluster, SimPool
from fleetc.simulate.scenario import Scenario
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import API_VERSION, Cluster, FleetDoc, NodePool, RegionDoc, TenantDoc
from fleetc.spec.validate import check_references
from fleetc.versions import Version

SIM_CHANNEL = "fleetc-simulation"
SIM_TENANT = "fleetc-simulation"


@dataclass(frozen=True)
class PlanUnit:
    """One simulated cluster with the one-cluster FleetSpec it is planned with."""

    spec: FleetSpec
    region: str
    cluster: Cluster


@dataclass
class World:
    spec: FleetSpec  # every simulated cluster: what a `fleetc plan` over the slice would see
    units: list[PlanUnit] = field(default_factory=list)


def build_world(scenario: Scenario, fleet: FleetSpec) -> World:
    """The spec the planner runs on; FleetcError (blaming the scenario) if it names what the fleet lacks."""
    errors: list[Diagnostic] = []
    if scenario.spec.synthetic is not None:
        spec = _synthetic_spec(scenario, fleet, errors)
    else:
        spec = _fleet_slice(scenario, fleet, errors)
    if errors:
        raise FleetcError(errors)
    check_references(spec, errors)
    if errors:  # a generated document is wrong: a bug here, not the user's
        raise FleetcError([Diagnostic(Pos(str(scenario.source.file)), f"internal: {d}") for d in errors])
    world = World(spec)
    for region, cluster in spec.clusters():
        doc = spec.regions[region]
        one = doc.model_copy(update={"spec": doc.spec.model_copy(update={"clusters": [cluster]})})
        unit_spec = FleetSpec(spec.root, spec.fleet, dict(spec.tenants), {region: one}, [])
        world.units.append(PlanUnit(unit_spec, region, cluster))
    return world


def simulated_clusters(world: World, scenario: Scenario, seed: int) -> list[SimCluster]:
    """Fresh simulated clusters at the scenario's starting versions (one set per strategy run)."""
    start = scenario.spec.from_
    version = Version.parse(start.kubernetes)
    etcd = Version.parse(start.etcd)
    out: list[SimCluster] = []
    for unit in world.units:
        targets = world.spec.targets(unit.cluster)
        sim = SimCluster(
            unit.region,
            unit.cluster.name,
            version,
            etcd,
            targets.kubernetes,
            targets.etcd,
            unit.cluster.upgrade.node_timeout_minutes,
        )
        domains = world.spec.regions[unit.region].spec.failure_domains
        for pool in unit.cluster.node_pools:
            rng = random.Random(f"{seed}/{sim.id}/{pool.name}/scheduler")
            gpus = world.spec.pool_gpus(unit.cluster, pool.instance_type)
            zones = list(pool.failure_domains or domains)
            sim.pools.append(
                SimPool(
                    sim,
                    pool.name,
                    pool.max_unavailable_nodes(),
                    gpus,
                    zones,
                    pool.count,
                    start.node_image,
                    version,
                    targets.node_image,
                    rng,
                )
            )
        for sim_pool in sim.pools:
            sim_pool.pending_is_hard = scenario.spec.scheduler.pending_taint_effect == "NoSchedule"
        out.append(sim)
    return out


def _dump(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(by_alias=True, exclude_none=True)
    return dumped


def _simulated(scenario: Scenario, cluster: Cluster, pools: list[NodePool], channel: str, tenant: str) -> Cluster:
    target = scenario.spec.to
    versions: dict[str, Any] = {"kubernetes": target.kubernetes, "nodeImage": target.node_image}
    if target.etcd is not None:
        versions["etcd"] = target.etcd
    upgrade = {
        **_dump(cluster.upgrade),
        "approval": "automatic",
        "paused": False,
    }
    upgrade.pop("window", None)
    if scenario.spec.window is not None:
        upgrade["window"] = _dump(scenario.spec.window)
    if scenario.spec.busy_nodes is not None:
        upgrade["busyNodes"] = _dump(scenario.spec.busy_nodes)
    if scenario.spec.checkpoint_request is not None:
        upgrade["checkpointRequest"] = _dump(scenario.spec.checkpoint_request)
    data = {
        **_dump(cluster),
        "tenant": tenant,
        "channel": channel,
        "versions": versions,
        "upgrade": upgrade,
        "nodePools": [_dump(p) for p in pools],
    }
    return Cluster.model_validate(data)


def _fleet_doc(fleet: FleetSpec, extra_channel: dict[str, Any] | None) -> FleetDoc:
    data = _dump(fleet.fleet)
    data["spec"]["freeze"] = False
    if extra_channel is not None:
        data["spec"]["channels"][SIM_CHANNEL] = extra_channel
    return FleetDoc.model_validate(data)


def _synthetic_spec(scenario: Scenario, fleet: FleetSpec, errors: list[Diagnostic]) -> FleetSpec:
    synthetic = scenario.spec.synthetic
    assert synthetic is not None
    types = fleet.fleet.spec.instance_types
    for i, pool in enumerate(synthetic.pools):
        if pool.instance_type not in types:
            known = ", ".join(sorted(types)) or "none"
            errors.append(
                scenario.error(
                    f"instance type {pool.instance_type!r} is not in the fleet's instanceTypes (known: {known})",
                    "synthetic",
                    "pools",
                    i,
                    "instanceType",
                )
            )
    if errors:
        return fleet
    target = scenario.spec.to
    channel = {
        "kubernetes": target.kubernetes,
        "etcd": target.etcd or scenario.spec.from_.etcd,
        "nodeImage": target.node_image,
    }
    tenant = TenantDoc.model_validate(
        {"apiVersion": API_VERSION, "kind": "Tenant", "metadata": {"name": SIM_TENANT}, "spec": {"approvers": []}}
    )
    pools = [
        {
            "name": p.name,
            "instanceType": p.instance_type,
            "count": p.nodes,
            "failureDomains": list(p.failure_domains),
            "maxUnavailable": p.max_unavailable,
        }
        for p in synthetic.pools
    ]
    width = max(2, len(str(synthetic.clusters)))
    clusters = []
    for i in range(1, synthetic.clusters + 1):
        base = Cluster.model_validate(
            {
                "name": f"sim-{i:0{width}d}",
                "tenant": SIM_TENANT,
                "channel": SIM_CHANNEL,
                "upgrade": {"nodeTimeoutMinutes": synthetic.node_timeout_minutes},
                "nodePools": pools,
            }
        )
        clusters.append(_simulated(scenario, base, list(base.node_pools), SIM_CHANNEL, SIM_TENANT))
    region = RegionDoc.model_validate(
        {
            "apiVersion": API_VERSION,
            "kind": "Region",
            "metadata": {"name": synthetic.region},
            "spec": {"failureDomains": list(synthetic.failure_domains), "clusters": []},
        }
    )
    region = region.model_copy(update={"spec": region.spec.model_copy(update={"clusters": clusters})})
    return FleetSpec(fleet.root, _fleet_doc(fleet, channel), {SIM_TENANT: tenant}, {synthetic.region: region}, [])


def _fleet_slice(scenario: Scenario, fleet: FleetSpec, errors: list[Diagnostic]) -> FleetSpec:
    chosen: dict[str, list[Cluster]] = {}
    seen: set[str] = set()
    for i, selection in enumerate(scenario.spec.fleet or []):
        cluster = fleet.cluster(selection.cluster)
        if cluster is None:
            known = ", ".join(cluster_id(r, c.name) for r, c in fleet.clusters()) or "none"
            message = f"cluster {selection.cluster!r} is not in the fleet (clusters: {known})"
            errors.append(scenario.error(message, "fleet", i, "cluster"))
            continue
        if selection.cluster in seen:
            errors.append(scenario.error(f"cluster {selection.cluster!r} is listed twice", "fleet", i, "cluster"))
            continue
        seen.add(selection.cluster)
        by_name = {p.name: p for p in cluster.node_pools}
        names = selection.pools if selection.pools is not None else list(by_name)
        pools: list[NodePool] = []
        for j, name in enumerate(names):
            pool = by_name.get(name)
            if pool is None:
                errors.append(
                    scenario.error(
                        f"cluster {selection.cluster} has no pool {name!r} (pools: {', '.join(by_name) or 'none'})",
                        "fleet",
                        i,
                        "pools",
                        j,
                    )
                )
            elif pool.count > 0:
                pools.append(pool)
        region = selection.cluster.partition("/")[0]
        chosen.setdefault(region, []).append(_simulated(scenario, cluster, pools, cluster.channel, cluster.tenant))
    if errors:
        return fleet
    regions: dict[str, RegionDoc] = {}
    for name, clusters in chosen.items():
        doc = fleet.regions[name]
        regions[name] = doc.model_copy(update={"spec": doc.spec.model_copy(update={"clusters": clusters})})
    try:
        fleet_doc = _fleet_doc(fleet, None)
    except ValidationError as exc:  # pragma: no cover - the fleet was validated when loaded
        raise FleetcError([Diagnostic(Pos(str(fleet.root)), str(exc))]) from None
    return FleetSpec(fleet.root, fleet_doc, dict(fleet.tenants), regions, [])
