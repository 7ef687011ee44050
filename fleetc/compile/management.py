"""The management cluster's own batteries: cert-manager and Kamaji, installed by the region's stack.

Every hosted control plane needs both in the region's management cluster (docs/spec.md 6.1):
Kamaji turns TenantControlPlanes into running control planes, cert-manager issues the
dedicated etcds' certificates and Kamaji's own webhook certificate. Unless the stack says they
are managed elsewhere (:class:`ManagementOptions`), the region's graph installs them as Helm
releases on the management provider, right after it: cert-manager first, Kamaji after it (its
chart creates cert-manager Issuers and Certificates).

Pinned versions and why (docs/management-cluster.md):

- cert-manager ``v1.16.2`` from ``https://charts.jetstack.io``: the release whose CRDs the schema
  tests validate against (tests/schemas/SOURCES.md), with the CRDs installed by the chart.
- Kamaji: the open-source project publishes no versioned chart since July 2024 (its newest,
  ``1.0.0``, runs Kamaji v1.0.0, whose kubeadm stops at Kubernetes 1.30). Its Helm repository
  ``https://clastix.github.io/charts`` carries one chart, ``0.0.0+latest``, rebuilt from the main
  branch; the release is pinned where it can be: the controller image is the edge release
  ``26.8.2-edge`` (the CRDs fleetc compiles against), pulled ``IfNotPresent``. The chart's bundled
  etcd and default DataStore are off: every cluster gets its own etcd and DataStore.

``monitoring`` says the management cluster runs kube-prometheus-stack (the prometheus-operator
CRDs exist): then every control plane gets its monitors (:mod:`fleetc.compile.monitoring`), and
Kamaji's controller, when fleetc installs it, a ServiceMonitor for the gauge the
TenantControlPlane-not-Ready alert reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetc import conventions
from fleetc.compile import ids
from fleetc.compile.graph import Kind, Node
from fleetc.compile.objects import SOURCE_ANNOTATION, k8s_object
from fleetc.compile.props import HelmReleaseProps
from fleetc.errors import Pos

CERT_MANAGER = "cert-manager"
CERT_MANAGER_NAMESPACE = "cert-manager"
CERT_MANAGER_REPOSITORY = "https://charts.jetstack.io"
CERT_MANAGER_VERSION = "v1.16.2"

KAMAJI = "kamaji"
KAMAJI_NAMESPACE = "kamaji-system"
KAMAJI_REPOSITORY = "https://clastix.github.io/charts"
KAMAJI_CHART_VERSION = "0.0.0+latest"
KAMAJI_IMAGE_TAG = "26.8.2-edge"
KAMAJI_METRICS_PORT = "metrics"  # the chart's Service ``kamaji-metrics-service``


@dataclass(frozen=True)
class ManagementOptions:
    """What the region's stack installs into its management cluster (stack config ``fleetc:management``).

    ``kamaji``/``cert_manager`` False: installed and upgraded by someone else, fleetc only uses it.
    ``monitoring`` False: the management cluster has no prometheus-operator CRDs, so no monitors.
    """

    kamaji: bool = True
    cert_manager: bool = True
    monitoring: bool = True


# The config's spelling (camelCase, like every structured Pulumi config) -> the field.
CONFIG_KEYS: Mapping[str, str] = {"kamaji": "kamaji", "certManager": "cert_manager", "monitoring": "monitoring"}


def management_options(value: object, *, where: str = "fleetc:management") -> ManagementOptions:
    """Options from a parsed config value (None: the defaults); ValueError saying what is wrong and how to fix it.

    Unknown keys are errors, not ignored: ``certmanager: false`` (a typo) must not install cert-manager
    over one that is managed elsewhere.
    """
    if value is None:
        return ManagementOptions()
    expected = ", ".join(f"{key}: true|false" for key in CONFIG_KEYS)
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object {{{expected}}}, not {type(value).__name__} {value!r}")
    unknown = sorted(str(key) for key in value if key not in CONFIG_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(CONFIG_KEYS)}")
    chosen: dict[str, bool] = {}
    for key, item in value.items():
        if not isinstance(item, bool):
            raise ValueError(f"{where}.{key} must be true or false, not {item!r}")
        chosen[CONFIG_KEYS[key]] = item
    return ManagementOptions(**chosen)


def battery(region: str, name: str) -> str:
    """The id of a management-cluster battery: ``<region>/batteries/<name>``."""
    return f"{ids.batteries(region)}/{name}"


def control_plane_deps(region: str, options: ManagementOptions) -> tuple[str, ...]:
    """Battery ids a hosted control plane's objects must wait for (Kamaji's webhooks, cert-manager's CRDs)."""
    return tuple(
        battery(region, name)
        for name, installed in ((CERT_MANAGER, options.cert_manager), (KAMAJI, options.kamaji))
        if installed
    )


def compile_management(region: str, options: ManagementOptions, source: Pos | None = None) -> list[Node]:
    """The battery nodes of ``region``'s management cluster, in dependency order (parent: the region node)."""
    nodes: list[Node] = []
    if options.cert_manager:
        nodes.append(
            _release(
                region,
                HelmReleaseProps(
                    name=CERT_MANAGER,
                    namespace=CERT_MANAGER_NAMESPACE,
                    chart=CERT_MANAGER,
                    repository=CERT_MANAGER_REPOSITORY,
                    version=CERT_MANAGER_VERSION,
                    helm_values={"crds": {"enabled": True}},
                ),
                deps=(),
                source=source,
            )
        )
    if options.kamaji:
        kamaji = _release(
            region,
            HelmReleaseProps(
                name=KAMAJI,
                namespace=KAMAJI_NAMESPACE,
                chart=KAMAJI,
                repository=KAMAJI_REPOSITORY,
                version=KAMAJI_CHART_VERSION,
                helm_values=_kamaji_values(),
            ),
            deps=(battery(region, CERT_MANAGER),) if options.cert_manager else (),
            source=source,
        )
        nodes.append(kamaji)
        if options.monitoring:
            nodes.append(_kamaji_monitor(region, kamaji, source))
    return nodes


def _release(region: str, props: HelmReleaseProps, deps: tuple[str, ...], source: Pos | None) -> Node:
    return Node(
        id=battery(region, props.name),
        kind=Kind.HELM_RELEASE,
        props=props,
        parent=region,
        deps=deps,
        provider=ids.management_provider(region),
        source=source,
    )


def _kamaji_values() -> dict[str, Any]:
    return {
        "image": {"tag": KAMAJI_IMAGE_TAG, "pullPolicy": "IfNotPresent"},
        # Every TenantControlPlane names its own DataStore (a dedicated etcd): no shared etcd, no default.
        "kamaji-etcd": {"deploy": False},
        "defaultDatastoreName": "",
        "telemetry": {"disabled": True},
    }


def _kamaji_monitor(region: str, kamaji: Node, source: Pos | None) -> Node:
    """Kamaji's controller metrics (``kamaji_tenant_control_plane_status``), labelled for kube-prometheus-stack.

    The chart's own ServiceMonitor (``serviceMonitor.enabled``) carries only the chart's labels, which
    kube-prometheus-stack's default selector does not pick up, so fleetc writes this one instead.
    """
    obj = k8s_object(
        conventions.PROMETHEUS_OPERATOR_API,
        "ServiceMonitor",
        KAMAJI,
        namespace=KAMAJI_NAMESPACE,
        labels=conventions.PROMETHEUS_SELECTOR_LABELS,
        spec={
            # The chart's metrics Service: selector labels of its release, component "metrics" (templates/_helpers.tpl).
            "selector": {
                "matchLabels": {"app.kubernetes.io/instance": KAMAJI, "app.kubernetes.io/component": "metrics"}
            },
            "namespaceSelector": {"matchNames": [KAMAJI_NAMESPACE]},
            "endpoints": [{"port": KAMAJI_METRICS_PORT, "scheme": "http", "path": "/metrics", "interval": "30s"}],
        },
    )
    if source is not None:
        obj["metadata"].setdefault("annotations", {})[SOURCE_ANNOTATION] = source.stable
    return Node(
        id=ids.manifest(ids.batteries(region), "ServiceMonitor", KAMAJI),
        kind=Kind.MANIFEST,
        props=obj,
        parent=region,
        deps=(kamaji.id,),
        provider=ids.management_provider(region),
        source=source,
    )
