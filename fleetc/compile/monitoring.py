"""What the management cluster's kube-prometheus-stack scrapes and alerts on for each hosted control plane.

Per cluster, in its control-plane namespace ``cp-<cluster>`` (docs/management-cluster.md):

- ServiceMonitor ``etcd``: the dedicated etcd's headless Service ``etcd``, port ``metrics``
  (2381, plain HTTP ``/metrics``: ``--listen-metrics-urls`` serves no TLS and needs no credential).
- ServiceMonitor ``kube-apiserver``: Kamaji's Service ``<cluster>`` (port ``kube-apiserver``). The
  apiserver's ``/metrics`` needs an authenticated and authorised client, and Kamaji creates exactly
  one client certificate in the namespace that the tenant's RBAC authorises:
  ``<cluster>-api-server-kubelet-client-certificate`` (the apiserver's kubelet client, kubeadm's
  ``apiserver-kubelet-client.{crt,key}``, group ``kubeadm:cluster-admins``). The server is verified
  against the tenant CA (Secret ``<cluster>-ca``, key ``ca.crt``) under the name
  ``<cluster>.<namespace>.svc``, a SAN Kamaji always puts on the apiserver certificate. That is the
  credential Kamaji's own monitoring guide uses; what it implies (Prometheus holds a credential
  that is cluster-admin in every tenant) is said in docs/management-cluster.md.
- PodMonitor ``konnectivity-server``: the container of that name in the TenantControlPlane's pods
  (label ``kamaji.clastix.io/name: <cluster>``), container port ``adminport`` (8133, plain HTTP).
  Kamaji runs proxy-server ``v0.<kubernetes minor>.0``; before v0.34.0 its ``/metrics`` is served only
  on the admin port, which binds to 127.0.0.1 unless ``--admin-bind-address`` says otherwise, so
  the TenantControlPlane must carry :data:`KONNECTIVITY_SERVER_EXTRA_ARGS` in
  ``spec.addons.konnectivity.server.extraArgs`` (Kamaji keeps extra args it does not set itself).
  The health port (8134, all interfaces) serves ``/metrics`` only from v0.34.0 on.
- PrometheusRule ``control-plane``: etcd without a leader, slow WAL fsync and backend commit,
  database near its quota (etcd's own ``etcd_server_quota_backend_bytes``, so the rule never
  disagrees with the flag the compiler sets), apiserver 5xx ratio and latency, and the
  TenantControlPlane not Ready from Kamaji's own gauge ``kamaji_tenant_control_plane_status``
  (labels ``tcp_namespace``, ``tcp_name``, ``status``, ``ready``; exported by the Kamaji
  controller, which :mod:`fleetc.compile.management` scrapes when it installs Kamaji).

Every expression is scoped to this cluster's namespace, so N clusters' rules never fire N copies of
one alert. Monitors and the rule carry ``conventions.PROMETHEUS_SELECTOR_LABELS``. Every Secret
referenced is created by Kamaji from the TenantControlPlane ``<cluster>`` (:data:`KAMAJI_SECRETS`).
Facts about Kamaji are from its source at tag 26.8.2-edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fleetc import conventions
from fleetc.compile.objects import k8s_object

if TYPE_CHECKING:  # context.py imports management.py, which imports this module
    from fleetc.compile.context import ClusterContext

MONITORING_API = conventions.PROMETHEUS_OPERATOR_API

KAMAJI_SERVICE_COMPONENT = "service"
APISERVER_PORT_NAME = conventions.APISERVER  # the first port of Kamaji's Service ``<cluster>``
KONNECTIVITY_SERVER = "konnectivity-server"  # the container's name
KONNECTIVITY_METRICS_PORT_NAME = "adminport"  # container port 8133
KONNECTIVITY_SERVER_EXTRA_ARGS: tuple[str, ...] = ("--admin-bind-address=0.0.0.0",)

# Secrets Kamaji creates in the namespace (``<cluster>-<resource>``, internal/utilities AddTenantPrefix) and keys.
APISERVER_CLIENT_SECRET_SUFFIX = "api-server-kubelet-client-certificate"
APISERVER_CLIENT_CERT_KEY = "apiserver-kubelet-client.crt"
APISERVER_CLIENT_KEY_KEY = "apiserver-kubelet-client.key"
CA_SECRET_SUFFIX = "ca"
CA_CERT_KEY = "ca.crt"
KAMAJI_SECRETS = (APISERVER_CLIENT_SECRET_SUFFIX, CA_SECRET_SUFFIX)

# The dedicated etcd (compiled by fleetc.compile.control_plane): Service ``etcd``, port ``metrics``.
ETCD = conventions.ETCD
ETCD_METRICS_PORT_NAME = "metrics"

SCRAPE_INTERVAL = "30s"
RULE_NAME = "control-plane"

# Alert thresholds (the etcd and kubernetes mixins' values, where they have one).
WAL_FSYNC_P99_SECONDS = 0.5
BACKEND_COMMIT_P99_SECONDS = 0.25
QUOTA_WARNING_RATIO = 0.8
QUOTA_CRITICAL_RATIO = 0.95
APISERVER_5XX_RATIO = 0.05
APISERVER_P99_SECONDS = 1
TCP_NOT_READY_FOR = "15m"

# Metric names the rules use, spelled once (the tests check every name in an expression is one of these).
METRICS = frozenset(
    {
        "etcd_server_has_leader",
        "etcd_disk_wal_fsync_duration_seconds_bucket",
        "etcd_disk_backend_commit_duration_seconds_bucket",
        "etcd_mvcc_db_total_size_in_bytes",
        "etcd_server_quota_backend_bytes",
        "apiserver_request_total",
        "apiserver_request_duration_seconds_bucket",
        "kamaji_tenant_control_plane_status",
    }
)


def kamaji_secret(cluster_name: str, suffix: str) -> str:
    """The name of a Secret Kamaji creates for the TenantControlPlane ``cluster_name``."""
    return f"{cluster_name}-{suffix}"


def apiserver_selector(cluster_name: str) -> dict[str, str]:
    """Kamaji's Service ``<cluster>`` (the apiserver's, konnectivity's port is on it too)."""
    return {conventions.KAMAJI_NAME_LABEL: cluster_name, conventions.KAMAJI_COMPONENT_LABEL: KAMAJI_SERVICE_COMPONENT}


def control_plane_pod_selector(cluster_name: str) -> dict[str, str]:
    """The TenantControlPlane's pods (apiserver, controller-manager, scheduler, konnectivity-server)."""
    return {conventions.KAMAJI_NAME_LABEL: cluster_name}


def etcd_selector() -> dict[str, str]:
    """The etcd Service and pods of one namespace (the namespace already names the cluster)."""
    return {conventions.COMPONENT_LABEL: ETCD}


def control_plane_monitors(ctx: ClusterContext) -> list[dict[str, Any]]:
    """ServiceMonitors, PodMonitor and PrometheusRule of one hosted control plane, in ``ctx.namespace``."""
    return [_etcd_monitor(ctx), _apiserver_monitor(ctx), _konnectivity_monitor(ctx), _rules(ctx)]


def _monitor(ctx: ClusterContext, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return k8s_object(
        MONITORING_API, kind, name, namespace=ctx.namespace, labels=conventions.PROMETHEUS_SELECTOR_LABELS, spec=spec
    )


def _etcd_monitor(ctx: ClusterContext) -> dict[str, Any]:
    return _monitor(
        ctx,
        "ServiceMonitor",
        ETCD,
        {
            "selector": {"matchLabels": etcd_selector()},
            "namespaceSelector": {"matchNames": [ctx.namespace]},
            "endpoints": [
                {"port": ETCD_METRICS_PORT_NAME, "scheme": "http", "path": "/metrics", "interval": SCRAPE_INTERVAL}
            ],
        },
    )


def _apiserver_monitor(ctx: ClusterContext) -> dict[str, Any]:
    name = ctx.cluster.name
    client = kamaji_secret(name, APISERVER_CLIENT_SECRET_SUFFIX)
    return _monitor(
        ctx,
        "ServiceMonitor",
        APISERVER_PORT_NAME,
        {
            "selector": {"matchLabels": apiserver_selector(name)},
            "namespaceSelector": {"matchNames": [ctx.namespace]},
            "endpoints": [
                {
                    "port": APISERVER_PORT_NAME,
                    "scheme": "https",
                    "path": "/metrics",
                    "interval": SCRAPE_INTERVAL,
                    "tlsConfig": {
                        "ca": {"secret": {"name": kamaji_secret(name, CA_SECRET_SUFFIX), "key": CA_CERT_KEY}},
                        "cert": {"secret": {"name": client, "key": APISERVER_CLIENT_CERT_KEY}},
                        "keySecret": {"name": client, "key": APISERVER_CLIENT_KEY_KEY},
                        "serverName": f"{name}.{ctx.namespace}.svc",
                    },
                }
            ],
        },
    )


def _konnectivity_monitor(ctx: ClusterContext) -> dict[str, Any]:
    return _monitor(
        ctx,
        "PodMonitor",
        KONNECTIVITY_SERVER,
        {
            "selector": {"matchLabels": control_plane_pod_selector(ctx.cluster.name)},
            "namespaceSelector": {"matchNames": [ctx.namespace]},
            "podMetricsEndpoints": [
                {
                    "port": KONNECTIVITY_METRICS_PORT_NAME,
                    "scheme": "http",
                    "path": "/metrics",
                    "interval": SCRAPE_INTERVAL,
                }
            ],
        },
    )


def _matchers(labels: Mapping[str, str], *extra: str) -> str:
    """A PromQL series selector: ``labels`` as equality matchers, then ``extra`` matchers as written."""
    return "{" + ",".join([*(f'{key}="{value}"' for key, value in labels.items()), *extra]) + "}"


def _rules(ctx: ClusterContext) -> dict[str, Any]:
    """One PrometheusRule per cluster; every series is selected by this cluster's namespace (see module doc)."""
    etcd = _matchers({"namespace": ctx.namespace, "job": ETCD})
    api_labels = {"namespace": ctx.namespace, "job": ctx.cluster.name}  # a ServiceMonitor's job: the Service's name
    apiserver = _matchers(api_labels)
    api_5xx = _matchers(api_labels, 'code=~"5.."')
    # Long-running requests (watches, exec, logs, port-forwards) would dominate any latency quantile.
    api_latency = _matchers(api_labels, 'verb!~"WATCH|CONNECT"', 'subresource!~"log|exec|portforward|attach|proxy"')
    # Sleeping is a TenantControlPlane scaled to zero on purpose, not a fault.
    tcp_labels = {"tcp_namespace": ctx.namespace, "tcp_name": ctx.cluster.name, "ready": "false"}
    tcp = _matchers(tcp_labels, 'status!="Sleeping"')
    labels = {"fleetc_cluster": ctx.id}

    def rule(alert: str, expr: str, for_: str, severity: str, summary: str) -> dict[str, Any]:
        return {
            "alert": alert,
            "expr": expr,
            "for": for_,
            "labels": {**labels, "severity": severity},
            "annotations": {"summary": f"{ctx.id}: {summary}"},
        }

    def p99(metric: str, selector: str, by: str) -> str:
        return f"histogram_quantile(0.99, sum by ({by}) (rate({metric}{selector}[5m])))"

    def quota(ratio: float) -> str:
        return f"etcd_mvcc_db_total_size_in_bytes{etcd} / etcd_server_quota_backend_bytes{etcd} > {ratio}"

    groups = [
        {
            "name": "etcd",
            "rules": [
                rule(
                    "EtcdNoLeader",
                    f"etcd_server_has_leader{etcd} == 0",
                    "1m",
                    "critical",
                    "an etcd member sees no leader",
                ),
                rule(
                    "EtcdSlowWALFsync",
                    f"{p99('etcd_disk_wal_fsync_duration_seconds_bucket', etcd, 'pod, le')} > {WAL_FSYNC_P99_SECONDS}",
                    "10m",
                    "warning",
                    f"etcd WAL fsync p99 above {WAL_FSYNC_P99_SECONDS}s: the disk is too slow for etcd",
                ),
                rule(
                    "EtcdSlowBackendCommit",
                    f"{p99('etcd_disk_backend_commit_duration_seconds_bucket', etcd, 'pod, le')}"
                    f" > {BACKEND_COMMIT_P99_SECONDS}",
                    "10m",
                    "warning",
                    f"etcd backend commit p99 above {BACKEND_COMMIT_P99_SECONDS}s",
                ),
                rule(
                    "EtcdDatabaseNearQuota",
                    quota(QUOTA_WARNING_RATIO),
                    "10m",
                    "warning",
                    f"etcd database above {QUOTA_WARNING_RATIO:.0%} of its quota: defragment or raise the quota",
                ),
                rule(
                    "EtcdDatabaseQuotaCritical",
                    quota(QUOTA_CRITICAL_RATIO),
                    "5m",
                    "critical",
                    f"etcd database above {QUOTA_CRITICAL_RATIO:.0%} of its quota: at 100% etcd refuses writes",
                ),
            ],
        },
        {
            "name": "kube-apiserver",
            "rules": [
                rule(
                    "KubeAPIServer5xxRatioHigh",
                    f"sum(rate(apiserver_request_total{api_5xx}[5m]))"
                    f" / sum(rate(apiserver_request_total{apiserver}[5m])) > {APISERVER_5XX_RATIO}",
                    "10m",
                    "critical",
                    f"more than {APISERVER_5XX_RATIO:.0%} of apiserver requests fail with 5xx",
                ),
                rule(
                    "KubeAPIServerLatencyHigh",
                    f"{p99('apiserver_request_duration_seconds_bucket', api_latency, 'verb, le')}"
                    f" > {APISERVER_P99_SECONDS}",
                    "10m",
                    "warning",
                    f"apiserver p99 request latency above {APISERVER_P99_SECONDS}s (long-running requests excluded)",
                ),
            ],
        },
        {
            "name": "kamaji",
            "rules": [
                rule(
                    "TenantControlPlaneNotReady",
                    f"kamaji_tenant_control_plane_status{tcp} == 1",
                    TCP_NOT_READY_FOR,
                    "critical",
                    f"TenantControlPlane not Ready for {TCP_NOT_READY_FOR} (Kamaji's status label says why)",
                ),
            ],
        },
    ]
    return _monitor(ctx, "PrometheusRule", RULE_NAME, {"groups": groups})
