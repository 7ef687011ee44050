"""A cluster's control plane as a Kamaji TenantControlPlane (docs/spec.md 6.1).

Kamaji owns what a hand-built control plane kept getting wrong: the PKI and
kubeconfigs, bootstrap tokens and the node-join RBAC, konnectivity (so the
apiserver reaches webhooks and aggregated APIs inside the tenant's network),
front-proxy flags and ``--advertise-address``. fleetc decides the rest from
the fleet and the plan:

- ``spec.kubernetes.version`` is ``v<the version the plan allows now>``,
  never the target (Kamaji's webhook also refuses a jump of two minors);
- replicas, resources by cluster size, anti-affinity and a zone spread over
  the site's failure domains, the cluster's feature gates and extra args;
- the network profile: the published endpoint (``controlPlane.endpoint``),
  fleetc's Service and Pod CIDRs and DNS address (the bundle's CoreDNS is at
  10.96.0.10), node CIDR allocation for Cilium's ``kubernetes`` IPAM;
- Kamaji's CoreDNS and kube-proxy only where the cluster's add-ons do not
  bring their own (the bundle's Cilium replaces kube-proxy);
- audit logging and encryption at rest of Secrets (docs/control-plane.md).

Pulumi waits until the TenantControlPlane is Ready (``pulumi.com/waitFor``)
before anything uses its API, so a new cluster comes up in one ``pulumi up``.
"""

from __future__ import annotations

from typing import Any

from fleetc import conventions
from fleetc.compile import encryption
from fleetc.compile.context import ClusterContext
from fleetc.compile.monitoring import KONNECTIVITY_SERVER_EXTRA_ARGS
from fleetc.compile.objects import canonical_yaml, k8s_object, keep_live
from fleetc.compile.sizing import size
from fleetc.versions import Version

SERVICE_CIDR = "10.96.0.0/12"  # matches the bundle's CoreDNS clusterIP 10.96.0.10
DNS_SERVICE_IP = "10.96.0.10"
POD_CIDR = "10.128.0.0/10"  # a /24 per node: room for 16,384 nodes, clear of the Service CIDR
NODE_CIDR_MASK = 24
KONNECTIVITY_PORT = 8132
TIMEOUT_SECONDS = "1800"  # a first boot pulls images and issues certificates: allow half an hour
AUDIT_CONFIGMAP, AUDIT_DIR = "audit-policy", "/etc/kubernetes/audit"
# Where the control-plane settings of the revision (docs/spec.md 6.2) live in a TenantControlPlane; a gate or
# a wave that holds them keeps these as they are live, while the version may still move.
SETTINGS_PATHS = ("spec.controlPlane", "spec.networkProfile", "spec.addons")
HELD_REASON = "a gate or an earlier wave holds this cluster's control-plane settings (see `fleetc plan`)"
UNKNOWN_REASON = "the live control plane could not be read (see `fleetc plan`): its spec is left exactly as it is live"
# Kamaji's default admission plugins (its CRD's default list) plus NodeRestriction: a kubelet may only
# change its own Node and the Pods bound to it, so one compromised GPU node cannot relabel the others.
ADMISSION_PLUGINS = (
    "CertificateApproval",
    "CertificateSigning",
    "CertificateSubjectRestriction",
    "DefaultIngressClass",
    "DefaultStorageClass",
    "DefaultTolerationSeconds",
    "LimitRanger",
    "MutatingAdmissionWebhook",
    "NamespaceLifecycle",
    "NodeRestriction",
    "PersistentVolumeClaimResize",
    "Priority",
    "ResourceQuota",
    "RuntimeClass",
    "ServiceAccount",
    "StorageObjectInUseProtection",
    "TaintNodesByCondition",
    "ValidatingAdmissionWebhook",
)
# What fleetc audits when neither the fleet nor the cluster says otherwise: who touched what, without
# the bodies of Secrets or the flood of reads, Events, Leases and health checks of a 4,000-node cluster.
DEFAULT_AUDIT_POLICY: dict[str, Any] = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/metrics", "/version"]},
        {
            "level": "None",
            "resources": [
                {"group": "", "resources": ["events"]},
                {"group": "coordination.k8s.io", "resources": ["leases"]},
            ],
        },
        {"level": "None", "verbs": ["get", "list", "watch"]},
        {
            "level": "Metadata",
            "resources": [
                {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
                {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
            ],
        },
        {"level": "Request", "resources": [{"group": "rbac.authorization.k8s.io"}]},
        {"level": "Metadata"},
    ],
}


def pod_selector(ctx: ClusterContext) -> dict[str, str]:
    """The label Kamaji puts on the TenantControlPlane's pods (apiserver, controller-manager, scheduler)."""
    return {conventions.KAMAJI_NAME_LABEL: ctx.cluster.name}


def tenant_control_plane(ctx: ClusterContext, version: Version | None) -> dict[str, Any]:
    cp = ctx.cluster.control_plane
    annotations = {
        conventions.PULUMI_WAIT_FOR: f"jsonpath={{.{conventions.KAMAJI_READY_PATH}}}={conventions.KAMAJI_READY}",
        conventions.PULUMI_TIMEOUT_SECONDS: TIMEOUT_SECONDS,
    }
    deployment: dict[str, Any] = {
        "replicas": cp.replicas,
        "resources": {
            "apiServer": size(ctx.cluster, conventions.APISERVER).requests(),
            "controllerManager": size(ctx.cluster, "kube-controller-manager").requests(),
            "scheduler": size(ctx.cluster, "kube-scheduler").requests(),
        },
        "affinity": _affinity(ctx),
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": conventions.ZONE_LABEL,
                "whenUnsatisfiable": "ScheduleAnyway",  # a rollout surges a full set of replicas at once
                "labelSelector": {"matchLabels": pod_selector(ctx)},
            }
        ],
        "extraArgs": {"apiServer": apiserver_args(ctx), "controllerManager": controller_manager_args()},
    }
    volumes, mounts = _volumes(ctx)
    if volumes:
        deployment["additionalVolumes"] = volumes
        deployment["additionalVolumeMounts"] = {"apiServer": mounts}
    spec: dict[str, Any] = {
        "dataStore": conventions.datastore_name(ctx.cluster.name),
        "controlPlane": {"deployment": deployment, "service": {"serviceType": "LoadBalancer"}},
        "kubernetes": {
            "version": f"v{version or ctx.plan.live_version or ctx.targets.kubernetes}",
            "kubelet": {"preferredAddressTypes": ["InternalIP", "ExternalIP", "Hostname"]},
            "admissionControllers": list(ADMISSION_PLUGINS),
        },
        "networkProfile": _network(ctx),
        "addons": _addons(ctx),
    }
    obj = k8s_object(
        conventions.KAMAJI_API_VERSION,
        conventions.TENANT_CONTROL_PLANE,
        ctx.cluster.name,
        namespace=ctx.namespace,
        labels={conventions.CLUSTER_LABEL: ctx.cluster.name, conventions.REGION_LABEL: ctx.region_name},
        annotations=annotations,
        spec=spec,
    )
    if version is None:
        keep_live(obj, ["spec"], UNKNOWN_REASON)
    elif not ctx.config_may_change:
        keep_live(obj, list(SETTINGS_PATHS), HELD_REASON)
    return obj


def apiserver_args(ctx: ClusterContext) -> list[str]:
    """Whole flags for Kamaji's ``extraArgs.apiServer``: fleetc's, then the cluster's extraArgs, then feature gates.

    Kamaji sets the PKI, etcd, service-account and front-proxy flags itself;
    these come after its own and win where they overlap.
    """
    api = ctx.cluster.control_plane.api_server
    flags: dict[str, str] = {}
    if api.audit:
        flags.update(
            {
                "audit-policy-file": f"{AUDIT_DIR}/policy.yaml",
                "audit-log-path": "-",  # the container's stdout: collected with the pod's logs
                "audit-log-format": "json",
            }
        )
    if api.encryption_at_rest:
        flags["encryption-provider-config"] = f"{encryption.MOUNT}/{encryption.KEY}"
        flags["encryption-provider-config-automatic-reload"] = "true"
    flags.update(api.extra_args)
    if api.feature_gates:
        # The structured featureGates field wins over a hand-written extraArgs feature-gates.
        flags["feature-gates"] = ",".join(
            f"{g}={'true' if on else 'false'}" for g, on in sorted(api.feature_gates.items())
        )
    return [f"--{key}={value}" for key, value in sorted(flags.items())]


def controller_manager_args() -> list[str]:
    """Node Pod CIDRs from the controller-manager: Cilium's ``kubernetes`` IPAM reads them from each Node."""
    return ["--allocate-node-cidrs=true", f"--cluster-cidr={POD_CIDR}", f"--node-cidr-mask-size={NODE_CIDR_MASK}"]


def audit_policy(ctx: ClusterContext) -> dict[str, Any] | None:
    """The audit policy ConfigMap (the cluster's, else the fleet's, else fleetc's default); None with audit off."""
    api = ctx.cluster.control_plane.api_server
    if not api.audit:
        return None
    policy = api.audit_policy or ctx.spec.fleet.spec.audit_policy or DEFAULT_AUDIT_POLICY
    data = {"policy.yaml": canonical_yaml(policy)}
    obj = k8s_object("v1", "ConfigMap", AUDIT_CONFIGMAP, namespace=ctx.namespace, data=data)
    if not ctx.config_may_change:
        keep_live(obj, ["data"], HELD_REASON)
    return obj


def pdb(ctx: ClusterContext) -> dict[str, Any]:
    """At most one control-plane pod down by voluntary disruption (a management-node drain)."""
    return k8s_object(
        "policy/v1",
        "PodDisruptionBudget",
        f"{ctx.cluster.name}-control-plane",
        namespace=ctx.namespace,
        spec={"maxUnavailable": 1, "selector": {"matchLabels": pod_selector(ctx)}},
    )


def _volumes(ctx: ClusterContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    api = ctx.cluster.control_plane.api_server
    volumes, mounts = [], []
    if api.audit:
        volumes.append({"name": "audit-policy", "configMap": {"name": AUDIT_CONFIGMAP}})
        mounts.append({"name": "audit-policy", "mountPath": AUDIT_DIR, "readOnly": True})
    if api.encryption_at_rest:
        volumes.append({"name": "encryption-config", "secret": {"secretName": encryption.SECRET}})
        mounts.append({"name": "encryption-config", "mountPath": encryption.MOUNT, "readOnly": True})
    return volumes, mounts


def _network(ctx: ClusterContext) -> dict[str, Any]:
    network: dict[str, Any] = {
        "serviceCidrs": [SERVICE_CIDR],
        "podCidrs": [POD_CIDR],
        "dnsServiceIPs": [DNS_SERVICE_IP],
    }
    endpoint = ctx.cluster.control_plane.endpoint
    if endpoint is not None:
        network["address"] = endpoint.address
        network["port"] = endpoint.port
        if endpoint.dns_name:
            network["certSANs"] = [endpoint.dns_name]
    return network


def _addons(ctx: ClusterContext) -> dict[str, Any]:
    """Konnectivity always; CoreDNS and kube-proxy unless the cluster's add-ons bring their own.

    The konnectivity agents run as a DaemonSet that tolerates every taint: a
    DaemonSet pod never makes a node busy (docs/spec.md section 3), where a
    Deployment's agent would pin its node against every reimage.
    """
    names = {addon.name: addon for addon in ctx.spec.addons(ctx.cluster)}
    addons: dict[str, Any] = {
        "konnectivity": {
            # its /metrics on the admin port, reachable by the management cluster's Prometheus (monitoring.py)
            "server": {"port": KONNECTIVITY_PORT, "extraArgs": list(KONNECTIVITY_SERVER_EXTRA_ARGS)},
            "agent": {"mode": "DaemonSet", "tolerations": [{"operator": "Exists"}]},
        }
    }
    if "coredns" not in names:
        addons["coreDNS"] = {}
    cilium = names.get("cilium")
    if cilium is None or cilium.values.get("kubeProxyReplacement") not in (True, "true", "strict"):
        addons["kubeProxy"] = {}
    return addons


def _affinity(ctx: ClusterContext) -> dict[str, Any]:
    """Stateless replicas: best-effort spreading over zones and nodes (a rollout surges new pods)."""
    match = {"matchLabels": pod_selector(ctx)}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"labelSelector": match, "topologyKey": conventions.ZONE_LABEL}},
                {"weight": 50, "podAffinityTerm": {"labelSelector": match, "topologyKey": conventions.HOSTNAME_LABEL}},
            ]
        }
    }
