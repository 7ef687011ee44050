"""Typed properties of the desired graph's nodes, one class per kind.

The compiler builds these; the Pulumi components and ``fleetc render`` read
their attributes, so a field can be followed from the fleet spec to the
resource it becomes. A MANIFEST's properties stay the Kubernetes object
itself (a plain dict: that is what it is).

Each class is also a read-only mapping in the engine's camelCase form
(``props["createNamespace"]``), because the policy rules judge IR nodes and
Pulumi resources (whose inputs arrive as camelCase dicts) with the same
functions: the mapping view is that shared shape, the attributes are the
typed one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, TypeVar

from pydantic.alias_generators import to_camel

from fleetc.conventions import KEEP_LIVE_ANNOTATION

T = TypeVar("T", bound="Props")


class Props(Mapping[str, Any]):
    """Base: attributes for code, a camelCase mapping view for rules (see module doc)."""

    def __getitem__(self, key: str) -> Any:
        name = _names(type(self)).get(key)
        if name is None:
            raise KeyError(key)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(_names(type(self)))

    def __len__(self) -> int:
        return len(_names(type(self)))


@cache
def _names(cls: type[Props]) -> dict[str, str]:
    """camelCase key -> attribute name, for one class."""
    return {f.metadata.get("key", to_camel(f.name)): f.name for f in fields(cls)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class KubeconfigRef(Props):
    """Where a customer cluster's kubeconfig is read from in the management cluster."""

    namespace: str
    name: str  # with ``status_of``: the name Kamaji gives the Secret, used only where the status has none
    key: str
    status_of: str | None = None  # node id of the TenantControlPlane whose status names the Secret


MANAGEMENT_CLUSTER = "management"  # ProviderProps.cluster of the management cluster's provider


@dataclass(frozen=True)
class ProviderProps(Props):
    """A Kubernetes API: the management cluster (``cluster == MANAGEMENT_CLUSTER``) or a customer cluster."""

    cluster: str
    region: str
    kubeconfig_secret: KubeconfigRef | None = None


@dataclass(frozen=True)
class HelmReleaseProps(Props):
    """One add-on as a Helm release with a pinned chart version."""

    name: str
    namespace: str
    chart: str
    repository: str
    version: str
    helm_values: dict[str, Any] = field(metadata={"key": "values"})  # ``values`` is the mapping's own method
    create_namespace: bool = True
    # Inputs to keep as they are live (``version``, ``values``): a gate holds this add-on (docs/spec.md 6.2).
    keep_live: tuple[str, ...] = field(default=(), metadata={"key": KEEP_LIVE_ANNOTATION})


@dataclass(frozen=True)
class NodePatchProps(Props):
    """The node fields fleetc manages, for one node of this step (server-side apply; see node_pools.py)."""

    name: str
    action: str
    labels: dict[str, str]
    annotations: dict[str, str]
    unschedulable: bool | None  # None: a field this patch does not manage
    taints: list[dict[str, str]]


@dataclass(frozen=True)
class PodPatchProps(Props):
    """Annotations on one pod (a checkpoint request): server-side apply of only these keys, one-shot."""

    name: str
    namespace: str
    node: str  # the node the pod runs on (for people; the patch names the pod)
    annotations: dict[str, str]


@dataclass(frozen=True)
class RegionProps(Props):
    region: str
    failure_domains: list[str]
    clusters: list[str]


@dataclass(frozen=True)
class ControlPlaneProps(Props):
    version: str | None  # what the plan allows now; None: unknown, left as it is live
    etcd_version: str | None
    target_version: str
    phase: str
    replicas: int
    etcd_replicas: int


@dataclass(frozen=True)
class AddonBundleProps(Props):
    bundle: str | None
    addons: list[str]


@dataclass(frozen=True)
class NodePoolProps(Props):
    instance_type: str
    count: int
    image: str | None  # None while the pool's image is held (kept as it is live)
    max_unavailable: int
    touched: int  # nodes this step patches


def typed(props: Mapping[str, Any], cls: type[T]) -> T:
    """``props`` as ``cls``; TypeError when a node of another kind is passed."""
    if not isinstance(props, cls):
        raise TypeError(f"expected {cls.__name__}, got {type(props).__name__}")
    return props
