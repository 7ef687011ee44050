"""A control plane of the earlier form, compiled exactly as fleetc compiled it before Kamaji.

A cluster whose live control plane is the Deployment ``kube-apiserver`` +
StatefulSet ``etcd`` (read as ``ControlPlaneFacts.earlier_form``) keeps those
objects: replacing them with a TenantControlPlane would bring a new cluster
CA that every kubelet distrusts, so the planner holds its version
(``migration_block``) and this module emits what is already live, so Pulumi
neither deletes nor changes it. docs/control-plane.md, "The earlier form",
says how to migrate such a cluster by hand.

Layout: etcd as a StatefulSet behind a headless Service, kube-apiserver
behind a Service, kube-controller-manager and kube-scheduler, each with a
PodDisruptionBudget; certificates from Secrets ``<component>-pki`` and the
Cluster API kubeconfig Secret ``<cluster>-kubeconfig`` that were issued for
them outside fleetc.
"""

from __future__ import annotations

from typing import Any

from fleetc import conventions
from fleetc.compile import etcd as dedicated_etcd
from fleetc.compile import ids
from fleetc.compile import tenant_control_plane as tcp
from fleetc.compile.cluster_config import cluster_config
from fleetc.compile.context import ClusterContext
from fleetc.compile.control_plane import control_plane_group, namespace_object
from fleetc.compile.graph import Node
from fleetc.compile.objects import k8s_object, keep_live, manifest_node
from fleetc.compile.sizing import Sizing, size
from fleetc.errors import Pos
from fleetc.spec.anchors import where
from fleetc.versions import Version

ZONE_KEY = conventions.ZONE_LABEL
HOSTNAME_KEY = "kubernetes.io/hostname"
SERVICE_CIDR = tcp.SERVICE_CIDR  # the same Service range in both forms
PRIORITY_CLASS = dedicated_etcd.PRIORITY_CLASS
SCHEDULER_AND_CM_REPLICAS = 2
APISERVER_PORT = 6443
ETCD_CLIENT_PORT, ETCD_PEER_PORT, ETCD_METRICS_PORT = 2379, 2380, 2381
UNKNOWN_REASON = tcp.UNKNOWN_REASON


def component_image(component: str, version: Version) -> str:
    return f"registry.k8s.io/{component}:v{version}"


def compile_earlier_control_plane(ctx: ClusterContext) -> list[Node]:
    """The control-plane group and its manifests, in dependency order."""
    group = control_plane_group(ctx)
    group_id = group.id
    mgmt = ids.management_provider(ctx.region_name)
    version, etcd_version = ctx.plan.control_plane_version, ctx.plan.etcd_version
    builder = _Builder(ctx, group_id, mgmt)
    namespace = builder.add(namespace_object(ctx), where(ctx.cluster, "name"), deps=())
    ns_deps = (namespace.id,)
    builder.add(cluster_config(ctx), where(ctx.cluster, "upgrade"), deps=ns_deps)

    etcd_src = where(ctx.cluster, "controlPlane", "etcd")
    etcd_service = builder.add(_etcd_service(ctx), etcd_src, deps=ns_deps)
    etcd = builder.add(_etcd_statefulset(ctx, etcd_version), etcd_src, deps=(*ns_deps, etcd_service.id))
    builder.add(_pdb(ctx, "etcd"), etcd_src, deps=ns_deps)

    api_src = where(ctx.cluster, "controlPlane", "apiServer")
    api_service = builder.add(_apiserver_service(ctx), api_src, deps=ns_deps)
    apiserver = builder.add(_apiserver(ctx, version), api_src, deps=(*ns_deps, etcd.id, api_service.id))
    builder.add(_pdb(ctx, "kube-apiserver"), api_src, deps=ns_deps)

    cp_src = where(ctx.cluster, "controlPlane")
    for component in ("kube-controller-manager", "kube-scheduler"):
        # After every apiserver replica: never newer than an apiserver (version skew policy).
        builder.add(_controller(ctx, component, version), cp_src, deps=(*ns_deps, apiserver.id))
        builder.add(_pdb(ctx, component), cp_src, deps=ns_deps)
    return [group, *builder.nodes]


class _Builder:
    def __init__(self, ctx: ClusterContext, group_id: str, provider: str) -> None:
        self.ctx, self.group_id, self.provider = ctx, group_id, provider
        self.nodes: list[Node] = []

    def add(self, obj: dict[str, Any], source: Pos, deps: tuple[str, ...]) -> Node:
        node = manifest_node(self.group_id, obj, provider=self.provider, cluster=self.ctx.id, deps=deps, source=source)
        self.nodes.append(node)
        return node


# ----------------------------------------------------------------- objects


PART_OF = "hosted-control-plane"


def _labels(ctx: ClusterContext, component: str) -> dict[str, str]:
    return {**_selector(ctx, component), "app.kubernetes.io/part-of": PART_OF}


def _selector(ctx: ClusterContext, component: str) -> dict[str, str]:
    """Immutable (a Deployment's or StatefulSet's selector cannot change): the component only, never a version.

    The namespace already names the cluster, so the component is unique in it.
    """
    return {"app.kubernetes.io/component": component}


def _etcd_service(ctx: ClusterContext) -> dict[str, Any]:
    """Headless: stable per-member DNS names for peers; published before ready so members can find each other."""
    return k8s_object(
        "v1",
        "Service",
        "etcd",
        namespace=ctx.namespace,
        labels=_labels(ctx, "etcd"),
        spec={
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": _selector(ctx, "etcd"),
            "ports": [
                {"name": "client", "port": ETCD_CLIENT_PORT, "targetPort": ETCD_CLIENT_PORT},
                {"name": "peer", "port": ETCD_PEER_PORT, "targetPort": ETCD_PEER_PORT},
                {"name": "metrics", "port": ETCD_METRICS_PORT, "targetPort": ETCD_METRICS_PORT},
            ],
        },
    )


def _etcd_statefulset(ctx: ClusterContext, version: Version | None) -> dict[str, Any]:
    etcd = ctx.cluster.control_plane.etcd
    ns = ctx.namespace
    members = [f"etcd-{i}" for i in range(etcd.replicas)]
    peers = ",".join(f"{m}=https://{m}.etcd.{ns}.svc:{ETCD_PEER_PORT}" for m in members)
    pki = "/etc/etcd/pki"
    args = [
        "--name=$(POD_NAME)",
        "--data-dir=/var/lib/etcd/data",
        f"--listen-client-urls=https://0.0.0.0:{ETCD_CLIENT_PORT}",
        f"--advertise-client-urls=https://$(POD_NAME).etcd.{ns}.svc:{ETCD_CLIENT_PORT}",
        f"--listen-peer-urls=https://0.0.0.0:{ETCD_PEER_PORT}",
        f"--initial-advertise-peer-urls=https://$(POD_NAME).etcd.{ns}.svc:{ETCD_PEER_PORT}",
        f"--listen-metrics-urls=http://0.0.0.0:{ETCD_METRICS_PORT}",
        f"--initial-cluster={peers}",
        "--initial-cluster-state=new",
        f"--initial-cluster-token={ns}",
        "--client-cert-auth=true",
        f"--trusted-ca-file={pki}/ca.crt",
        f"--cert-file={pki}/server.crt",
        f"--key-file={pki}/server.key",
        "--peer-client-cert-auth=true",
        f"--peer-trusted-ca-file={pki}/ca.crt",
        f"--peer-cert-file={pki}/peer.crt",
        f"--peer-key-file={pki}/peer.key",
    ]
    image_version = version or ctx.targets.etcd
    container = {
        "name": "etcd",
        "image": dedicated_etcd.etcd_image(image_version),
        "command": ["etcd"],
        "args": args,
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "ports": [
            {"name": "client", "containerPort": ETCD_CLIENT_PORT},
            {"name": "peer", "containerPort": ETCD_PEER_PORT},
            {"name": "metrics", "containerPort": ETCD_METRICS_PORT},
        ],
        "resources": _size(ctx, "etcd").requests(),
        "readinessProbe": _http_probe("/health?serializable=false", ETCD_METRICS_PORT, "HTTP", period=5, failures=3),
        "livenessProbe": _http_probe("/health?exclude=NOSPACE&serializable=true", ETCD_METRICS_PORT, "HTTP"),
        "volumeMounts": [
            {"name": "data", "mountPath": "/var/lib/etcd"},
            {"name": "pki", "mountPath": pki, "readOnly": True},
        ],
    }
    obj = k8s_object(
        "apps/v1",
        "StatefulSet",
        "etcd",
        namespace=ns,
        labels=_labels(ctx, "etcd"),
        spec={
            "serviceName": "etcd",
            "replicas": etcd.replicas,
            # Members must start together to form a quorum; rolling updates still go one pod at a time.
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": _selector(ctx, "etcd")},
            "template": {
                "metadata": {"labels": _labels(ctx, "etcd")},
                "spec": {
                    "affinity": dedicated_etcd.affinity(ctx),
                    **({"topologySpreadConstraints": spread} if (spread := dedicated_etcd.spread(ctx)) else {}),
                    "priorityClassName": PRIORITY_CLASS,
                    "automountServiceAccountToken": False,
                    "containers": [container],
                    "volumes": [_secret_volume("pki", "etcd-pki")],
                },
            },
            "volumeClaimTemplates": [dedicated_etcd.data_volume(etcd.storage_gib)],
        },
    )
    if version is None:
        keep_live(obj, ["spec"], UNKNOWN_REASON)
    return obj


def _spread(ctx: ClusterContext, component: str) -> dict[str, Any]:
    """Stateless replicas: best-effort spreading over zones and nodes (a rollout surges one extra pod)."""
    selector = {"matchLabels": _selector(ctx, component)}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"labelSelector": selector, "topologyKey": ZONE_KEY}},
                {"weight": 50, "podAffinityTerm": {"labelSelector": selector, "topologyKey": HOSTNAME_KEY}},
            ]
        }
    }


def apiserver_flags(ctx: ClusterContext) -> dict[str, str]:
    """kube-apiserver flags: fleetc's defaults, the cluster's extraArgs over them, then feature gates."""
    api = ctx.cluster.control_plane.api_server
    pki = "/etc/kubernetes/pki"
    flags = {
        "allow-privileged": "true",
        "authorization-mode": "Node,RBAC",
        "client-ca-file": f"{pki}/ca.crt",
        "enable-admission-plugins": "NodeRestriction",
        "etcd-cafile": f"{pki}/etcd-ca.crt",
        "etcd-certfile": f"{pki}/etcd-client.crt",
        "etcd-keyfile": f"{pki}/etcd-client.key",
        "etcd-servers": f"https://etcd.{ctx.namespace}.svc:{ETCD_CLIENT_PORT}",
        "kubelet-client-certificate": f"{pki}/kubelet-client.crt",
        "kubelet-client-key": f"{pki}/kubelet-client.key",
        "secure-port": str(APISERVER_PORT),
        "service-account-issuer": "https://kubernetes.default.svc.cluster.local",
        "service-account-key-file": f"{pki}/sa.pub",
        "service-account-signing-key-file": f"{pki}/sa.key",
        "service-cluster-ip-range": SERVICE_CIDR,
        "tls-cert-file": f"{pki}/apiserver.crt",
        "tls-private-key-file": f"{pki}/apiserver.key",
    }
    flags.update(api.extra_args)
    if api.feature_gates:
        # The structured featureGates field wins over a hand-written extraArgs feature-gates.
        flags["feature-gates"] = ",".join(
            f"{gate}={'true' if on else 'false'}" for gate, on in sorted(api.feature_gates.items())
        )
    return flags


def _args(flags: dict[str, str]) -> list[str]:
    return [f"--{key}={value}" for key, value in sorted(flags.items())]


def _apiserver(ctx: ClusterContext, version: Version | None) -> dict[str, Any]:
    component = "kube-apiserver"
    container = {
        "name": component,
        "image": component_image(component, version or ctx.plan.live_version or ctx.targets.kubernetes),
        "command": [component],
        "args": _args(apiserver_flags(ctx)),
        "ports": [{"name": "https", "containerPort": APISERVER_PORT}],
        "resources": _size(ctx, component).requests(),
        "startupProbe": _http_probe("/livez", APISERVER_PORT, "HTTPS", period=10, failures=24),
        "readinessProbe": _http_probe("/readyz", APISERVER_PORT, "HTTPS", period=5, failures=3),
        "livenessProbe": _http_probe("/livez", APISERVER_PORT, "HTTPS", period=10, failures=8),
        "volumeMounts": [{"name": "pki", "mountPath": "/etc/kubernetes/pki", "readOnly": True}],
    }
    obj = _deployment(ctx, component, ctx.cluster.control_plane.replicas, container, _spread(ctx, component))
    if version is None:
        keep_live(obj, ["spec"], UNKNOWN_REASON)
    return obj


def _apiserver_service(ctx: ClusterContext) -> dict[str, Any]:
    """A LoadBalancer: the customer's nodes reach their apiserver from outside the management cluster."""
    return k8s_object(
        "v1",
        "Service",
        "kube-apiserver",
        namespace=ctx.namespace,
        labels=_labels(ctx, "kube-apiserver"),
        spec={
            "type": "LoadBalancer",
            "selector": _selector(ctx, "kube-apiserver"),
            "ports": [{"name": "https", "port": APISERVER_PORT, "targetPort": APISERVER_PORT}],
        },
    )


def _controller(ctx: ClusterContext, component: str, version: Version | None) -> dict[str, Any]:
    pki = "/etc/kubernetes/pki"
    kubeconfig = f"{pki}/kubeconfig"
    flags = {
        "authentication-kubeconfig": kubeconfig,
        "authorization-kubeconfig": kubeconfig,
        "bind-address": "0.0.0.0",
        "kubeconfig": kubeconfig,
        "leader-elect": "true",  # two replicas, one active: a rollout or a drain never stops reconciling
    }
    port = 10259 if component == "kube-scheduler" else 10257
    if component == "kube-controller-manager":
        flags.update(
            {
                "cluster-name": ctx.cluster.name,
                "cluster-signing-cert-file": f"{pki}/ca.crt",
                "cluster-signing-key-file": f"{pki}/ca.key",
                "controllers": "*,bootstrapsigner,tokencleaner",
                "root-ca-file": f"{pki}/ca.crt",
                "service-account-private-key-file": f"{pki}/sa.key",
                "service-cluster-ip-range": SERVICE_CIDR,
                "use-service-account-credentials": "true",
            }
        )
    container = {
        "name": component,
        "image": component_image(component, version or ctx.plan.live_version or ctx.targets.kubernetes),
        "command": [component],
        "args": _args(flags),
        "ports": [{"name": "https", "containerPort": port}],
        "resources": _size(ctx, component).requests(),
        "readinessProbe": _http_probe("/healthz", port, "HTTPS", period=10, failures=3),
        "livenessProbe": _http_probe("/healthz", port, "HTTPS", period=10, failures=8),
        "volumeMounts": [{"name": "pki", "mountPath": pki, "readOnly": True}],
    }
    obj = _deployment(ctx, component, SCHEDULER_AND_CM_REPLICAS, container, _spread(ctx, component))
    if version is None:
        keep_live(obj, ["spec"], UNKNOWN_REASON)
    return obj


def _deployment(
    ctx: ClusterContext, component: str, replicas: int, container: dict[str, Any], affinity: dict[str, Any]
) -> dict[str, Any]:
    """maxUnavailable 0 / maxSurge 1: a new replica must be ready before an old one goes."""
    return k8s_object(
        "apps/v1",
        "Deployment",
        component,
        namespace=ctx.namespace,
        labels=_labels(ctx, component),
        spec={
            "replicas": replicas,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "selector": {"matchLabels": _selector(ctx, component)},
            "template": {
                "metadata": {"labels": _labels(ctx, component)},
                "spec": {
                    "affinity": affinity,
                    "priorityClassName": PRIORITY_CLASS,
                    "automountServiceAccountToken": False,
                    "containers": [container],
                    "volumes": [_secret_volume("pki", f"{component}-pki")],
                },
            },
        },
    )


def _pdb(ctx: ClusterContext, component: str) -> dict[str, Any]:
    """At most one replica down by voluntary disruption: etcd keeps its quorum, the API keeps serving."""
    return k8s_object(
        "policy/v1",
        "PodDisruptionBudget",
        component,
        namespace=ctx.namespace,
        labels=_labels(ctx, component),
        spec={"maxUnavailable": 1, "selector": {"matchLabels": _selector(ctx, component)}},
    )


def _http_probe(path: str, port: int, scheme: str, period: int = 10, failures: int = 8) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port, "scheme": scheme},
        "periodSeconds": period,
        "timeoutSeconds": 15,
        "failureThreshold": failures,
    }


def _secret_volume(name: str, secret: str) -> dict[str, Any]:
    return {"name": name, "secret": {"secretName": secret}}


def _size(ctx: ClusterContext, component: str) -> Sizing:
    return size(ctx.cluster, component)
