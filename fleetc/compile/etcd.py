"""A cluster's dedicated etcd in ``cp-<cluster>``, registered with Kamaji as a DataStore.

One etcd per customer cluster (docs/spec.md 6.1): a GPU cluster's Pods,
Events and Leases never share a database, a quota or a defrag pause with
another tenant's. The StatefulSet keeps the qualities the earlier form had
(members spread across failure domains, a PodDisruptionBudget that never
lets a drain take quorum, persistent volumes sized by the spec), and adds
what running it for years needs:

- member handling that survives a scale-up, a scale-down and a lost volume
  (``fleetc.compile.etcd_scripts``), instead of a hard-coded
  ``--initial-cluster-state=new``;
- a backend quota sized to the volume (:func:`quota_bytes`), not etcd's 2 GiB
  default on a 64-128 GiB disk;
- CronJobs that prune removed members, defragment, and take snapshots.

The version is the plan's (``ClusterPlan.etcd_version``: one minor per step,
with the control plane); unknown, the StatefulSet's spec is kept as it is live.
"""

from __future__ import annotations

from typing import Any

from fleetc import conventions
from fleetc.compile import pki
from fleetc.compile.context import ClusterContext
from fleetc.compile.etcd_scripts import SCRIPTS
from fleetc.compile.objects import k8s_object, keep_live
from fleetc.compile.shell_tools import TOOLS, tools_init, tools_mount, tools_volume
from fleetc.compile.sizing import size
from fleetc.versions import Version

ETCD = conventions.ETCD
CLIENT_PORT, PEER_PORT, METRICS_PORT = 2379, 2380, 2381
GIB = 2**30
QUOTA_MAX = 8 * GIB  # etcd's documented upper recommendation
SNAPSHOTS_KEPT = 3
PRIORITY_CLASS = "system-cluster-critical"
SCRIPTS_DIR, DATA = "/scripts", "/var/lib/etcd"
APPLETS = "sh awk tr cat ls tail rm mv date mktemp"  # what etcd_scripts use
SCRIPTS_CONFIGMAP, SNAPSHOTS_PVC = "etcd-scripts", "etcd-snapshots"
UNKNOWN_REASON = "the live etcd version could not be read (see `fleetc plan`): its spec is left exactly as it is live"
# Defrag at a quiet hour; members pruned soon after a scale-down; snapshots four times a day.
SCHEDULES = {"etcd-members": "*/10 * * * *", "etcd-defrag": "30 3 * * *", "etcd-snapshot": "0 */6 * * *"}


def etcd_image(version: Version) -> str:
    return f"registry.k8s.io/etcd:{version}-0"


def quota_bytes(storage_gib: int) -> int:
    """A quarter of the volume, at most 8 GiB: room for a defrag's copy and the WAL beside the database."""
    return min(QUOTA_MAX, storage_gib * GIB // 4)


def selector() -> dict[str, str]:
    """Immutable (a StatefulSet's selector cannot change): the component only; the namespace names the cluster."""
    return {conventions.COMPONENT_LABEL: ETCD}


def labels() -> dict[str, str]:
    return {**selector(), conventions.PART_OF_LABEL: "hosted-control-plane"}


def members(ctx: ClusterContext) -> list[str]:
    return [f"{ETCD}-{i}" for i in range(ctx.cluster.control_plane.etcd.replicas)]


def client_endpoints(ctx: ClusterContext) -> list[str]:
    """``host:port`` of every member's client URL (what Kamaji's DataStore lists)."""
    return [f"{m}.{ETCD}.{ctx.namespace}.svc:{CLIENT_PORT}" for m in members(ctx)]


def service(ctx: ClusterContext) -> dict[str, Any]:
    """Headless: stable per-member DNS names; published before ready so members can find each other."""
    return k8s_object(
        "v1",
        "Service",
        ETCD,
        namespace=ctx.namespace,
        labels=labels(),
        spec={
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": selector(),
            "ports": [
                {"name": "client", "port": CLIENT_PORT, "targetPort": CLIENT_PORT},
                {"name": "peer", "port": PEER_PORT, "targetPort": PEER_PORT},
                {"name": "metrics", "port": METRICS_PORT, "targetPort": METRICS_PORT},
            ],
        },
    )


def scripts(ctx: ClusterContext) -> dict[str, Any]:
    return k8s_object(
        "v1", "ConfigMap", SCRIPTS_CONFIGMAP, namespace=ctx.namespace, labels=labels(), data=dict(SCRIPTS)
    )


def statefulset(ctx: ClusterContext, version: Version | None) -> dict[str, Any]:
    etcd = ctx.cluster.control_plane.etcd
    ns = ctx.namespace
    peers = ",".join(f"{m}=https://{m}.{ETCD}.{ns}.svc:{PEER_PORT}" for m in members(ctx))
    server, peer = "/etc/etcd/pki/server", "/etc/etcd/pki/peer"
    args = [
        f"--listen-client-urls=https://0.0.0.0:{CLIENT_PORT}",
        f"--advertise-client-urls=https://$(POD_NAME).{ETCD}.{ns}.svc:{CLIENT_PORT}",
        f"--listen-peer-urls=https://0.0.0.0:{PEER_PORT}",
        f"--initial-advertise-peer-urls=https://$(POD_NAME).{ETCD}.{ns}.svc:{PEER_PORT}",
        f"--listen-metrics-urls=http://0.0.0.0:{METRICS_PORT}",
        f"--initial-cluster-token={ns}",
        f"--quota-backend-bytes={quota_bytes(etcd.storage_gib)}",
        "--experimental-initial-corrupt-check=true",
        "--experimental-watch-progress-notify-interval=5s",
        "--client-cert-auth=true",
        f"--trusted-ca-file={server}/ca.crt",
        f"--cert-file={server}/tls.crt",
        f"--key-file={server}/tls.key",
        "--peer-client-cert-auth=true",
        f"--peer-trusted-ca-file={peer}/ca.crt",
        f"--peer-cert-file={peer}/tls.crt",
        f"--peer-key-file={peer}/tls.key",
    ]
    image = etcd_image(version or ctx.targets.etcd)
    container = {
        "name": ETCD,
        "image": image,
        "command": [f"{TOOLS}/sh", f"{SCRIPTS_DIR}/member.sh"],
        "args": args,
        "env": [
            _field_env("POD_NAME", "metadata.name"),
            _field_env("POD_NAMESPACE", "metadata.namespace"),
            {"name": "INITIAL_CLUSTER", "value": peers},
            {"name": "ETCD_ENDPOINTS", "value": _client_urls(ctx)},
            {"name": "PATH", "value": f"/usr/local/bin:{TOOLS}"},
        ],
        "ports": [
            {"name": "client", "containerPort": CLIENT_PORT},
            {"name": "peer", "containerPort": PEER_PORT},
            {"name": "metrics", "containerPort": METRICS_PORT},
        ],
        "resources": size(ctx.cluster, ETCD).requests(),
        "readinessProbe": _probe("/health?serializable=false", period=5, failures=3),
        "livenessProbe": _probe("/health?exclude=NOSPACE&serializable=true", period=10, failures=8),
        "volumeMounts": [
            {"name": "data", "mountPath": DATA},
            *_tls_mounts(server=True),
            *_tool_mounts(),
        ],
    }
    obj = k8s_object(
        "apps/v1",
        "StatefulSet",
        ETCD,
        namespace=ns,
        labels=labels(),
        spec={
            "serviceName": ETCD,
            "replicas": etcd.replicas,
            # Members must start together to form a quorum; rolling updates still go one pod at a time.
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": selector()},
            "template": {
                "metadata": {"labels": labels()},
                "spec": {
                    "affinity": affinity(ctx),
                    **({"topologySpreadConstraints": spread_} if (spread_ := spread(ctx)) else {}),
                    "priorityClassName": PRIORITY_CLASS,
                    "automountServiceAccountToken": False,
                    "initContainers": [tools_init(APPLETS)],
                    "containers": [container],
                    "volumes": [*_tls_volumes(server=True), *_tool_volumes()],
                },
            },
            "volumeClaimTemplates": [data_volume(etcd.storage_gib)],
        },
    )
    if version is None:
        keep_live(obj, ["spec"], UNKNOWN_REASON)
    return obj


def data_volume(storage_gib: int) -> dict[str, Any]:
    """The volume claim template of a member's data (the earlier form used the same one)."""
    size = f"{storage_gib}Gi"
    return {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
    }


def pdb(ctx: ClusterContext) -> dict[str, Any]:
    """At most one member down by voluntary disruption: a drain never takes quorum."""
    return k8s_object(
        "policy/v1",
        "PodDisruptionBudget",
        ETCD,
        namespace=ctx.namespace,
        labels=labels(),
        spec={"maxUnavailable": 1, "selector": {"matchLabels": selector()}},
    )


def snapshots_volume(ctx: ClusterContext) -> dict[str, Any]:
    """Room for :data:`SNAPSHOTS_KEPT` snapshots of a full database (3 x a quarter of a member's volume)."""
    return k8s_object(
        "v1",
        "PersistentVolumeClaim",
        SNAPSHOTS_PVC,
        namespace=ctx.namespace,
        labels=labels(),
        spec={
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{ctx.cluster.control_plane.etcd.storage_gib}Gi"}},
        },
    )


def cronjobs(ctx: ClusterContext, version: Version | None) -> list[dict[str, Any]]:
    """Members pruned after a scale-down, defragmentation, snapshots: one CronJob each."""
    image = etcd_image(version or ctx.targets.etcd)
    env = [
        {"name": "ETCD_ENDPOINTS", "value": _client_urls(ctx)},
        {"name": "REPLICAS", "value": str(ctx.cluster.control_plane.etcd.replicas)},
        {"name": "KEEP", "value": str(SNAPSHOTS_KEPT)},
        {"name": "PATH", "value": f"/usr/local/bin:{TOOLS}"},
    ]
    jobs = []
    for name, script in (
        ("etcd-members", "members.sh"),
        ("etcd-defrag", "defrag.sh"),
        ("etcd-snapshot", "snapshot.sh"),
    ):
        mounts, volumes = [*_tls_mounts(server=False), *_tool_mounts()], [*_tls_volumes(server=False), *_tool_volumes()]
        if name == "etcd-snapshot":
            mounts.append({"name": "snapshots", "mountPath": "/snapshots"})
            volumes.append({"name": "snapshots", "persistentVolumeClaim": {"claimName": SNAPSHOTS_PVC}})
        container = {
            "name": name,
            "image": image,
            "command": [f"{TOOLS}/sh", f"{SCRIPTS_DIR}/{script}"],
            "env": env,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
            "volumeMounts": mounts,
        }
        pod = {
            "restartPolicy": "OnFailure",
            "automountServiceAccountToken": False,
            "initContainers": [tools_init(APPLETS)],
            "containers": [container],
            "volumes": volumes,
        }
        jobs.append(
            k8s_object(
                "batch/v1",
                "CronJob",
                name,
                namespace=ctx.namespace,
                labels={**labels(), conventions.COMPONENT_LABEL: name},
                spec={
                    "schedule": SCHEDULES[name],
                    "timeZone": "Etc/UTC",
                    "concurrencyPolicy": "Forbid",
                    "successfulJobsHistoryLimit": 1,
                    "failedJobsHistoryLimit": 3,
                    "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": pod}}},
                },
            )
        )
    if version is None:
        for job in jobs:
            keep_live(job, ["spec"], UNKNOWN_REASON)
    return jobs


def datastore(ctx: ClusterContext) -> dict[str, Any]:
    """Kamaji's handle on this etcd: endpoints, the CA (Kamaji signs tenants' client certs) and root's cert."""
    ns = ctx.namespace

    def ref(secret: str, key: str) -> dict[str, Any]:
        return {"secretReference": {"name": secret, "namespace": ns, "keyPath": key}}

    return k8s_object(
        conventions.KAMAJI_API_VERSION,
        "DataStore",
        conventions.datastore_name(ctx.cluster.name),
        labels={conventions.CLUSTER_LABEL: ctx.cluster.name, conventions.REGION_LABEL: ctx.region_name},
        spec={
            "driver": "etcd",
            "endpoints": client_endpoints(ctx),
            "tlsConfig": {
                "certificateAuthority": {
                    "certificate": ref(pki.SECRETS.ca, "tls.crt"),
                    "privateKey": ref(pki.SECRETS.ca, "tls.key"),
                },
                "clientCertificate": {
                    "certificate": ref(pki.SECRETS.client, "tls.crt"),
                    "privateKey": ref(pki.SECRETS.client, "tls.key"),
                },
            },
        },
    )


# ----------------------------------------------------------------- helpers


def _client_urls(ctx: ClusterContext) -> str:
    return ",".join(f"https://{endpoint}" for endpoint in client_endpoints(ctx))


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _probe(path: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": METRICS_PORT, "scheme": "HTTP"},
        "periodSeconds": period,
        "timeoutSeconds": 15,
        "failureThreshold": failures,
    }


def _tool_mounts() -> list[dict[str, Any]]:
    return [
        tools_mount(),
        {"name": "scripts", "mountPath": SCRIPTS_DIR, "readOnly": True},
    ]


def _tool_volumes() -> list[dict[str, Any]]:
    return [
        tools_volume(),
        {"name": "scripts", "configMap": {"name": SCRIPTS_CONFIGMAP, "defaultMode": 0o555}},
    ]


def _tls_mounts(server: bool) -> list[dict[str, Any]]:
    names = ("server", "peer", "client") if server else ("client",)
    return [{"name": f"tls-{n}", "mountPath": f"/etc/etcd/pki/{n}", "readOnly": True} for n in names]


def _tls_volumes(server: bool) -> list[dict[str, Any]]:
    secrets = {"server": pki.SECRETS.server, "peer": pki.SECRETS.peer, "client": pki.SECRETS.client}
    names = ("server", "peer", "client") if server else ("client",)
    return [{"name": f"tls-{n}", "secret": {"secretName": secrets[n]}} for n in names]


def affinity(ctx: ClusterContext) -> dict[str, Any]:
    """Members spread across the region's failure domains, never two on one node.

    The zone anti-affinity is *required* when the region has at least as many
    failure domains as etcd members (one member per domain is possible, and
    losing a rack then costs at most one member). With fewer domains a
    required rule could never be met and members would stay Pending, so it is
    *preferred* there, and :func:`spread` adds the hard guarantee that can be
    met: a zone topology spread of skew 1, so no domain ever holds a majority
    (5 members on 3 racks: 2/2/1). The hostname rule is always required.
    """
    match = {"matchLabels": selector()}
    zone_term = {"labelSelector": match, "topologyKey": conventions.ZONE_LABEL}
    host_term = {"labelSelector": match, "topologyKey": conventions.HOSTNAME_LABEL}
    if _one_member_per_domain(ctx):
        return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [zone_term, host_term]}}
    return {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [host_term],
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": zone_term}],
        }
    }


def spread(ctx: ClusterContext) -> list[dict[str, Any]]:
    """The hard zone spread used when anti-affinity can only be preferred (see :func:`affinity`)."""
    if _one_member_per_domain(ctx):
        return []
    return [
        {
            "maxSkew": 1,
            "topologyKey": conventions.ZONE_LABEL,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": selector()},
        }
    ]


def _one_member_per_domain(ctx: ClusterContext) -> bool:
    return len(ctx.region.spec.failure_domains) >= ctx.cluster.control_plane.etcd.replicas
