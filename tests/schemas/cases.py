"""Known-good minimal objects of every kind the harness checks, with the three ways each is broken in the tests.

Each :class:`Case` names, as dotted paths (list indices as numbers), an
object node to add an unknown field to, a field to give a value of the
wrong type, and a required field to delete. The objects are written here by
hand from the schemas, the way fleetc's compiler would write them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

UNKNOWN_FIELD = "bogusField"


@dataclass(frozen=True)
class Case:
    name: str
    good: dict[str, Any]
    unknown_under: str  # the object node that gets UNKNOWN_FIELD
    wrong_type: tuple[str, Any]  # field, a value of another type
    required: str  # a required field, deleted
    patch: bool = False
    needs_crds: bool = True


def _parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")] if path else []


def json_path(path: str) -> str:
    """``spec.ports.0.port`` as the harness prints it: ``$.spec.ports[0].port``."""
    out = "$"
    for part in _parts(path):
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _node(obj: Any, parts: list[str | int]) -> Any:
    for part in parts:
        obj = obj[part]
    return obj


def with_value(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``obj`` with ``path`` set to ``value``."""
    out = copy.deepcopy(obj)
    *parents, last = _parts(path)
    _node(out, parents)[last] = value
    return out


def without(obj: dict[str, Any], path: str) -> dict[str, Any]:
    """A deep copy of ``obj`` without ``path`` (which must exist: a test that deletes nothing proves nothing)."""
    out = copy.deepcopy(obj)
    *parents, last = _parts(path)
    del _node(out, parents)[last]
    return out


def _meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/managed-by": "fleetc"}}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _pod(**spec: Any) -> dict[str, Any]:
    """A pod template (fresh each call: a deep copy keeps shared dicts shared, and a test would edit both)."""
    return {
        "metadata": {"labels": {"app.kubernetes.io/component": "web"}},
        "spec": {"containers": [{"name": "web", "image": "registry.k8s.io/pause:3.10"}], **spec},
    }


def _selector() -> dict[str, Any]:
    return {"matchLabels": {"app.kubernetes.io/component": "web"}}


def _secret_key(name: str, key: str) -> dict[str, Any]:
    return {"secretReference": {"name": name, "namespace": "kamaji-system", "keyPath": key}}


CRD_CASES = [
    Case(
        "TenantControlPlane",
        {
            "apiVersion": "kamaji.clastix.io/v1alpha1",
            "kind": "TenantControlPlane",
            "metadata": _meta("alpha-train", "cp-alpha-train"),
            "spec": {
                "dataStore": "etcd-us-east-04",
                "controlPlane": {
                    "deployment": {
                        "replicas": 3,
                        "resources": {"apiServer": {"requests": {"cpu": "1", "memory": "2Gi"}}},
                        "extraArgs": {"apiServer": ["--enable-admission-plugins=NodeRestriction"]},
                    },
                    "service": {"serviceType": "LoadBalancer"},
                },
                "kubernetes": {"version": "v1.30.6", "kubelet": {"cgroupfs": "systemd"}},
                "networkProfile": {"port": 6443, "certSANs": ["alpha-train.example.net"]},
                "addons": {"coreDNS": {}, "konnectivity": {"server": {"port": 8132}}},
            },
        },
        unknown_under="spec.controlPlane.deployment",
        wrong_type=("spec.controlPlane.deployment.replicas", "three"),
        required="spec.kubernetes.version",
    ),
    Case(
        "DataStore",
        {
            "apiVersion": "kamaji.clastix.io/v1alpha1",
            "kind": "DataStore",
            "metadata": _meta("etcd-us-east-04"),
            "spec": {
                "driver": "etcd",
                "endpoints": ["etcd-0.etcd.kamaji-system.svc:2379"],
                "tlsConfig": {
                    "certificateAuthority": {
                        "certificate": _secret_key("etcd-ca", "ca.crt"),
                        "privateKey": _secret_key("etcd-ca", "ca.key"),
                    },
                    "clientCertificate": {
                        "certificate": _secret_key("etcd-root-client", "tls.crt"),
                        "privateKey": _secret_key("etcd-root-client", "tls.key"),
                    },
                },
            },
        },
        unknown_under="spec.tlsConfig",
        wrong_type=("spec.endpoints", "etcd-0.etcd.kamaji-system.svc:2379"),
        required="spec.tlsConfig.certificateAuthority.certificate.secretReference.keyPath",
    ),
    Case(
        "Certificate",
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": _meta("kube-apiserver", "cp-alpha-train"),
            "spec": {
                "secretName": "kube-apiserver-tls",
                "issuerRef": {"name": "cluster-ca", "kind": "Issuer"},
                "dnsNames": ["kube-apiserver.cp-alpha-train.svc"],
                "duration": "2160h",
                "privateKey": {"algorithm": "ECDSA", "size": 256},
            },
        },
        unknown_under="spec.issuerRef",
        wrong_type=("spec.dnsNames", "kube-apiserver.cp-alpha-train.svc"),
        required="spec.secretName",
    ),
    Case(
        "Issuer",
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Issuer",
            "metadata": _meta("cluster-ca", "cp-alpha-train"),
            "spec": {"ca": {"secretName": "cluster-ca-key-pair"}},
        },
        unknown_under="spec.ca",
        wrong_type=("spec.ca.secretName", 5),
        required="spec.ca.secretName",
    ),
    Case(
        "ClusterIssuer",
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": _meta("letsencrypt"),
            "spec": {
                "acme": {
                    "server": "https://acme-v02.api.letsencrypt.org/directory",
                    "privateKeySecretRef": {"name": "letsencrypt-account"},
                    "solvers": [{"http01": {"ingress": {"ingressClassName": "nginx"}}}],
                }
            },
        },
        unknown_under="spec.acme.solvers.0.http01.ingress",
        wrong_type=("spec.acme.solvers", {"http01": {}}),
        required="spec.acme.privateKeySecretRef",
    ),
    Case(
        "HelmRelease",
        {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": _meta("cilium", "cp-alpha-train"),
            "spec": {
                "interval": "10m",
                "releaseName": "cilium",
                "targetNamespace": "kube-system",
                "storageNamespace": "kube-system",
                "kubeConfig": {"secretRef": {"name": "alpha-train-kubeconfig", "key": "value"}},
                "install": {"createNamespace": True},
                "chart": {
                    "spec": {
                        "chart": "cilium",
                        "version": "1.16.3",
                        "sourceRef": {"kind": "HelmRepository", "name": "cilium"},
                    }
                },
                "values": {"kubeProxyReplacement": True, "ipam": {"mode": "kubernetes"}},
            },
        },
        unknown_under="spec.install",
        wrong_type=("spec.chart.spec.version", 1.16),
        required="spec.chart.spec.sourceRef.name",
    ),
    Case(
        "HelmRepository",
        {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "HelmRepository",
            "metadata": _meta("cilium", "cp-alpha-train"),
            "spec": {"interval": "1h", "url": "https://helm.cilium.io"},
        },
        unknown_under="spec",
        wrong_type=("spec.interval", 3600),
        required="spec.url",
    ),
    Case(
        "OCIRepository",
        {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "OCIRepository",
            "metadata": _meta("gpu-operator", "cp-alpha-train"),
            "spec": {"interval": "1h", "url": "oci://ghcr.io/example/charts/gpu-operator", "ref": {"tag": "v24.9.0"}},
        },
        unknown_under="spec.ref",
        wrong_type=("spec.ref.tag", 24),
        required="spec.interval",
    ),
    Case(
        "Kustomization",
        {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": _meta("alpha-train", "flux-system"),
            "spec": {
                "interval": "10m",
                "path": "./us-east-04/alpha-train/management",
                "prune": True,
                "sourceRef": {"kind": "GitRepository", "name": "fleet"},
            },
        },
        unknown_under="spec.sourceRef",
        wrong_type=("spec.prune", "yes"),
        required="spec.sourceRef",
    ),
    Case(
        "ServiceMonitor",
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": _meta("etcd", "cp-alpha-train"),
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/component": "etcd"}},
                "endpoints": [{"port": "metrics", "interval": "30s", "targetPort": 2381}],
            },
        },
        unknown_under="spec.endpoints.0",
        wrong_type=("spec.endpoints.0.targetPort", [2381]),
        required="spec.selector",
    ),
    Case(
        "PodMonitor",
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PodMonitor",
            "metadata": _meta("kube-apiserver", "cp-alpha-train"),
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/component": "kube-apiserver"}},
                "podMetricsEndpoints": [{"port": "https", "scheme": "https"}],
            },
        },
        unknown_under="spec.podMetricsEndpoints.0",
        wrong_type=("spec.podMetricsEndpoints", {"port": "https"}),
        required="spec.selector",
    ),
    Case(
        "PrometheusRule",
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": _meta("hosted-control-plane", "cp-alpha-train"),
            "spec": {
                "groups": [
                    {
                        "name": "etcd",
                        "rules": [
                            {
                                "alert": "EtcdNoLeader",
                                "expr": "etcd_server_has_leader == 0",
                                "for": "1m",
                                "labels": {"severity": "critical"},
                            }
                        ],
                    }
                ]
            },
        },
        unknown_under="spec.groups.0.rules.0",
        wrong_type=("spec.groups.0.rules.0.for", 60),
        required="spec.groups.0.name",
    ),
]

CORE_CASES = [
    Case(
        "Namespace",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta("cp-alpha-train")},
        unknown_under="metadata",
        wrong_type=("metadata.labels", ["fleetc"]),
        required="metadata.name",
        needs_crds=False,
    ),
    Case(
        "ConfigMap",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("fleetc-cluster", "cp-alpha-train"),
            "data": {"tenant": "alpha"},
        },
        unknown_under="",
        wrong_type=("data.tenant", 1),
        required="metadata.name",
        needs_crds=False,
    ),
    Case(
        "Secret",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta("etcd-pki", "cp-alpha-train"),
            "type": "Opaque",
            "data": {"ca.crt": "Y2E="},
        },
        unknown_under="",
        wrong_type=("type", 1),
        required="metadata.name",
        needs_crds=False,
    ),
    Case(
        "Service",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta("etcd", "cp-alpha-train"),
            "spec": {
                "clusterIP": "None",
                "selector": {"app": "etcd"},
                "ports": [{"name": "client", "port": 2379, "targetPort": 2379}],
            },
        },
        unknown_under="spec.ports.0",
        wrong_type=("spec.ports.0.port", "2379"),
        required="spec.ports.0.port",
        needs_crds=False,
    ),
    Case(
        "Deployment",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta("web", "cp-alpha-train"),
            "spec": {
                "replicas": 2,
                "selector": _selector(),
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}},
                "template": _pod(),
            },
        },
        unknown_under="spec.template.spec.containers.0",
        wrong_type=("spec.replicas", "2"),
        required="spec.selector",
        needs_crds=False,
    ),
    Case(
        "StatefulSet",
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": _meta("etcd", "cp-alpha-train"),
            "spec": {"serviceName": "etcd", "replicas": 3, "selector": _selector(), "template": _pod()},
        },
        unknown_under="spec",
        wrong_type=("spec.serviceName", ["etcd"]),
        required="spec.template",
        needs_crds=False,
    ),
    Case(
        "DaemonSet",
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": _meta("agent", "kube-system"),
            "spec": {"selector": _selector(), "template": _pod()},
        },
        unknown_under="spec.template.metadata",
        wrong_type=("spec.template.spec.containers", {"name": "web"}),
        required="spec.template.spec.containers.0.name",
        needs_crds=False,
    ),
    Case(
        "CronJob",
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": _meta("etcd-defrag", "cp-alpha-train"),
            "spec": {
                "schedule": "0 3 * * *",
                "jobTemplate": {"spec": {"template": _pod(restartPolicy="OnFailure")}},
            },
        },
        unknown_under="spec.jobTemplate.spec",
        wrong_type=("spec.suspend", "no"),
        required="spec.schedule",
        needs_crds=False,
    ),
    Case(
        "Job",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta("migrate", "cp-alpha-train"),
            "spec": {"backoffLimit": 2, "template": _pod(restartPolicy="Never")},
        },
        unknown_under="spec.template.spec",
        wrong_type=("spec.backoffLimit", "two"),
        required="spec.template",
        needs_crds=False,
    ),
    Case(
        "PodDisruptionBudget",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta("etcd", "cp-alpha-train"),
            "spec": {
                "maxUnavailable": 1,
                "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["etcd"]}]},
            },
        },
        unknown_under="spec.selector",
        wrong_type=("spec.selector.matchExpressions.0.values", "etcd"),
        required="spec.selector.matchExpressions.0.operator",
        needs_crds=False,
    ),
    Case(
        "ServiceAccount",
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta("fleetc", "cp-alpha-train"),
            "automountServiceAccountToken": False,
        },
        unknown_under="",
        wrong_type=("automountServiceAccountToken", "false"),
        required="metadata.name",
        needs_crds=False,
    ),
    Case(
        "Role",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta("read-pki", "cp-alpha-train"),
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
        },
        unknown_under="rules.0",
        wrong_type=("rules.0.verbs", "get"),
        required="rules.0.verbs",
        needs_crds=False,
    ),
    Case(
        "RoleBinding",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta("read-pki", "cp-alpha-train"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-pki"},
            "subjects": [{"kind": "ServiceAccount", "name": "fleetc", "namespace": "cp-alpha-train"}],
        },
        unknown_under="roleRef",
        wrong_type=("subjects", {"kind": "ServiceAccount"}),
        required="roleRef",
        needs_crds=False,
    ),
    Case(
        "ClusterRole",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta("fleetc-read-nodes"),
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}],
        },
        unknown_under="",
        wrong_type=("rules.0.resources", "nodes"),
        required="rules.0.verbs",
        needs_crds=False,
    ),
    Case(
        "ClusterRoleBinding",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta("fleetc-read-nodes"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "fleetc-read-nodes"},
            "subjects": [{"kind": "ServiceAccount", "name": "fleetc", "namespace": "fleetc-system"}],
        },
        unknown_under="subjects.0",
        wrong_type=("roleRef.name", 7),
        required="roleRef.kind",
        needs_crds=False,
    ),
    Case(
        "Node (patch)",
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": "gpu-h100-017",
                "labels": {"fleet.gpu-cloud.io/pool": "h100"},
                "annotations": {"kustomize.toolkit.fluxcd.io/prune": "disabled"},
            },
            "spec": {
                "taints": [{"key": "fleet.gpu-cloud.io/upgrade", "value": "pending", "effect": "NoSchedule"}],
                "unschedulable": True,
            },
        },
        unknown_under="spec.taints.0",
        wrong_type=("spec.unschedulable", "true"),
        required="spec.taints.0.effect",  # list items keep their required fields in patch mode
        patch=True,
        needs_crds=False,
    ),
]

ALL_CASES = CRD_CASES + CORE_CASES
