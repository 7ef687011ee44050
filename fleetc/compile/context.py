"""What every part of the compiler knows about the cluster it is compiling.

Built once per cluster by :mod:`fleetc.compile.compiler` so the control
plane, add-on and node-pool modules answer from the same plan and spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleetc.compile import ids
from fleetc.compile.management import ManagementOptions
from fleetc.plan.model import Action, ClusterPlan, Step
from fleetc.spec.fleet import FleetSpec, Targets
from fleetc.spec.models import Cluster, RegionDoc


@dataclass(frozen=True)
class ClusterContext:
    spec: FleetSpec
    region: RegionDoc
    cluster: Cluster
    plan: ClusterPlan
    steps: tuple[Step, ...]  # this plan's steps for this cluster
    nodes_waiting: bool  # the plan says nodes wait for the control plane (control-plane-not-ready)
    now: datetime | None
    management: ManagementOptions = ManagementOptions()  # noqa: RUF009 (frozen, so sharing it is safe); what the region's management cluster has (batteries)

    @property
    def region_name(self) -> str:
        return self.region.name

    @property
    def id(self) -> str:
        return ids.cluster(self.region.name, self.cluster.name)

    @property
    def namespace(self) -> str:
        return ids.namespace_name(self.cluster.name)

    @property
    def targets(self) -> Targets:
        return self.spec.targets(self.cluster)

    @property
    def label_prefix(self) -> str:
        return self.spec.label_prefix

    @property
    def is_new(self) -> bool:
        """No control plane exists yet: it is created now, and nothing can talk to the cluster's API."""
        return self.plan.phase == "new"

    @property
    def config_may_change(self) -> bool:
        """May the control-plane settings (replicas, featureGates, extraArgs, endpoint) change in this step?

        True for a cluster created now and when the plan lets them go (an ``update-control-plane-config`` step,
        or nothing to change). False while a gate or a wave holds them, or what is applied is unknown: then the
        control-plane compiler must leave those settings exactly as they are live (``objects.keep_live``),
        as it does with versions it cannot vouch for (docs/spec.md 6.2).
        """
        if self.is_new:
            return True
        revision = self.plan.revision
        if revision is None:
            return self.plan.phase != "unknown"  # a source that tracks no record; unknown never changes
        return revision.config_may_change

    @property
    def nodes_may_move(self) -> bool:
        """The control plane already runs the stage's version and is ready, by the plan's own account.

        Only then may a node (a new one included) run the stage's node image:
        a kubelet is never newer than the apiserver (docs/spec.md section 3). On a
        long climb the stage is an intermediate one (``fleetc.plan.path``). A
        control-plane upgrade in this very step does not count: its replicas
        are still rolling while this step applies.
        """
        upgrading = any(s.action is Action.UPGRADE_CONTROL_PLANE for s in self.steps)
        etcd_ready = self.plan.etcd_version == self.targets.etcd or not self.plan.final_stage
        return (
            self.plan.control_plane_version == self.plan.nodes_kubernetes
            and etcd_ready
            and not upgrading
            and not self.nodes_waiting
        )
