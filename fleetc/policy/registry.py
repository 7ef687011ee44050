"""Every rule, its severity and why: the one list both ``fleetc check`` and the CrossGuard pack use.

Severity is a team decision, written next to each rule so that changing it
is a reviewed diff. Mandatory: the change can cause an outage or data loss,
or makes a deploy unreproducible; advisory: a legitimate choice exists (a
tenant may want it), but it deserves a second look in review.
"""

from __future__ import annotations

from fleetc.policy.model import Rule, Severity
from fleetc.policy.rules import artifacts, control_plane, gpu, rollouts, upgrades

M = Severity.MANDATORY
A = Severity.ADVISORY

RULES: tuple[Rule, ...] = (
    # ---- hosted control plane
    Rule(
        "cp-ha-apiservers",
        M,
        "kube-apiserver runs at least 3 replicas",
        "One apiserver pod is a single point of failure for a whole customer cluster; with 3, one can be "
        "rescheduled or upgraded while two serve. Every customer cluster is production here.",
        node_check=control_plane.cp_ha_apiservers,
    ),
    Rule(
        "etcd-quorum",
        M,
        "etcd has 3 or 5 members",
        "Fewer than 3 members lose the cluster with one failure; even counts add no tolerance; more than 5 slow "
        "every write.",
        node_check=control_plane.etcd_quorum,
    ),
    Rule(
        "etcd-spread",
        M,
        "etcd members are spread over failure domains by a hard scheduling rule",
        "Quorum must survive losing a rack or hall: a topology spread constraint on the zone (maxSkew 1, "
        "DoNotSchedule) or required zone anti-affinity. Preferred anti-affinity is best effort: under pressure the "
        "scheduler packs a majority into one domain.",
        node_check=control_plane.etcd_spread,
    ),
    Rule(
        "region-failure-domains",
        M,
        "a region has at least 3 failure domains",
        "etcd can only survive a domain failure if its members sit in 3 different domains.",
        graph_check=control_plane.region_failure_domains,
    ),
    Rule(
        "etcd-storage",
        M,
        "etcd has a persistent volume of at least 32 GiB",
        "Busy GPU clusters write many Pods and Events; a small volume fills, etcd goes read-only and the cluster "
        "stops accepting writes.",
        node_check=control_plane.etcd_storage,
    ),
    Rule(
        "apiserver-rolling",
        M,
        "kube-apiserver rolls with maxUnavailable 0 (surge first)",
        "An upgrade must never reduce the number of serving apiservers; clients of 500-node clusters notice.",
        node_check=control_plane.apiserver_rolling,
    ),
    Rule(
        "cp-pdb",
        M,
        "every control-plane workload has a PodDisruptionBudget selecting its pods; etcd's keeps quorum",
        "Management-cluster maintenance drains nodes; without a budget a drain can evict every replica at once.",
        graph_check=control_plane.cp_pdb,
    ),
    Rule(
        "cp-resources",
        M,
        "control-plane containers request cpu and memory",
        "BestEffort pods are evicted first under pressure and land on overcommitted nodes.",
        node_check=control_plane.cp_resources,
    ),
    Rule(
        "cp-encryption-at-rest",
        M,
        "Secrets are encrypted at rest in the cluster's etcd",
        "etcd volumes and snapshots leave the apiserver's access control behind: unencrypted, they hold every "
        "credential of the tenant in plain text.",
        node_check=control_plane.cp_encryption_at_rest,
    ),
    Rule(
        "cp-audit-log",
        A,
        "kube-apiserver writes an audit log",
        "Without one nobody can tell afterwards who changed or read what; a tenant may accept that for a "
        "throw-away cluster, so it is advisory.",
        node_check=control_plane.cp_audit_log,
    ),
    # ---- what gets installed
    Rule(
        "chart-pinned",
        M,
        "every Helm chart is pinned to an exact version",
        "A range or 'latest' ships unreviewed charts to every cluster on the next deploy; no two deploys are alike.",
        node_check=artifacts.chart_pinned,
    ),
    Rule(
        "helm-repo-https",
        M,
        "Helm repositories are https:// or oci://",
        "A chart fetched over plain HTTP can be swapped in transit; it runs with cluster-admin rights.",
        node_check=artifacts.helm_repo_https,
    ),
    Rule(
        "image-pinned",
        M,
        "no image tag latest and no untagged image, in manifests and Helm values",
        "A restarted pod must run what was reviewed; 'latest' differs from node to node.",
        node_check=artifacts.image_pinned,
    ),
    Rule(
        "addon-namespace",
        M,
        "add-ons and platform objects are not installed into namespace default",
        "default belongs to the tenant's workloads: its RBAC, quotas and cleanups would hit the platform.",
        node_check=artifacts.addon_namespace,
    ),
    # ---- GPU clusters and pools
    Rule(
        "gpu-addons",
        M,
        "GPU clusters carry gpu-operator, node-feature-discovery and node-problem-detector",
        "Without them GPUs are not schedulable or monitored, and hardware faults (Xid, ECC) never drain a node.",
        graph_check=gpu.gpu_addons,
    ),
    Rule(
        "gpu-pool-max-unavailable",
        M,
        "a GPU pool's maxUnavailable is at most 10% of its nodes (at least 1)",
        "Tenants plan capacity around their GPUs; an upgrade taking more than 10% at once breaks that plan and "
        "gang-scheduled jobs.",
        node_check=gpu.gpu_pool_max_unavailable,
    ),
    Rule(
        "gpu-pool-spread",
        A,
        f"GPU pools above {gpu.GPU_SPREAD_MIN_NODES} nodes span at least 2 failure domains",
        "One power or cooling event should not take a whole big pool. Advisory: fabric locality (an NVL72 rack, an "
        "InfiniBand spine) can legitimately pin a pool to one domain.",
        node_check=gpu.gpu_pool_spread,
    ),
    # ---- upgrades: who, when, how far
    Rule(
        "upgrade-window-automatic",
        M,
        "a GPU cluster with approval automatic has a maintenance window",
        "With neither an approval nor a window nothing decides when a GPU cluster's upgrade starts.",
        node_check=upgrades.upgrade_window_automatic,
    ),
    Rule(
        "upgrade-window-gpu",
        A,
        "a GPU cluster with approval required also has a maintenance window",
        "The approval gates what; a window also gates when. Advisory: busy nodes are never taken, and the "
        "approver chose to let the upgrade start on the next deploy.",
        node_check=upgrades.upgrade_window_gpu,
    ),
    Rule(
        "upgrade-approval-required",
        A,
        "a cluster is gated by an approval or a window",
        "Customer clusters upgrade on the customer's terms. Advisory for CPU-only clusters (GPU ones are covered "
        "by upgrade-window-automatic): automatic upgrades at any hour are a valid tenant choice for batch work.",
        node_check=upgrades.upgrade_approval_required,
    ),
    Rule(
        "disruptive-addon-unmarked",
        M,
        "the GPU operator, the network operator and the CNI are marked disruptive: true",
        "Their upgrades restart the agents of every node; only a disruptive add-on waits for the tenant's approval "
        "of its exact version, so an unmarked one reaches nodes running weeks-long jobs on the next deploy.",
        graph_check=rollouts.disruptive_addon_unmarked,
    ),
    Rule(
        "first-wave-small",
        A,
        f"a fleet with waves starts with a wave of at most {rollouts.FIRST_WAVE_MIN} clusters or "
        f"{int(rollouts.FIRST_WAVE_SHARE * 100)}% of the fleet",
        "Waves limit a bad change to the clusters that ran it first, so the first wave is a canary. Advisory: a "
        "small fleet may choose a wider first wave. Judged from the fleet (fleetc check, fleetc preview), not in "
        "the policy pack, which sees one region's resources.",
        graph_check=rollouts.first_wave_small,
        needs_spec=True,
    ),
    Rule(
        "kubelet-skew",
        M,
        "nodes reimaged in this step get a kubelet within skew of the apiserver",
        "Kubernetes supports kubelets at most 3 minors older than the apiserver and never newer.",
        graph_check=upgrades.kubelet_skew,
    ),
    Rule(
        "kubelet-skew-live",
        M,
        "live kubelets stay within skew of the apiserver version this step deploys",
        "A control-plane step that leaves kubelets more than 3 minors behind, or ahead, is unsupported. Needs live "
        "state.",
        graph_check=upgrades.kubelet_skew_live,
        needs_live=True,
    ),
    Rule(
        "cp-one-minor-step",
        M,
        "a control plane moves at most one minor per step, never down",
        "Kubernetes and etcd upgrade one minor at a time; minor downgrades are unsupported. Needs live state.",
        graph_check=upgrades.cp_one_minor_step,
        needs_live=True,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
if len(RULES_BY_ID) != len(RULES):  # pragma: no cover - a programming error caught at import
    raise RuntimeError("duplicate rule ids in fleetc.policy.registry.RULES")
