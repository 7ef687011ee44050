"""Turning one desired-graph node into one pulumi-kubernetes resource.

This is translation only (DESIGN.md, "What Pulumi manages"): every decision
-- versions, which nodes to patch, what to keep as it is live -- was made by
the compiler and is read here from the node. The mapping per kind:

- PROVIDER ``management``: a ``kubernetes.Provider`` with the stack's
  kubeconfig passed explicitly (never ``$KUBECONFIG`` by accident).
- PROVIDER of a customer cluster: its kubeconfig is read, through the
  management provider, from the admin kubeconfig Secret that its
  TenantControlPlane's status names (key ``admin.conf``, in ``cp-<cluster>``).
  The Secret's id is an Output of the TenantControlPlane, so a preview of a
  brand-new cluster (status unknown) reads nothing and fails nothing, and an
  ``up`` reads it only after Pulumi has waited for the control plane to be
  Ready. Adding a cluster needs no per-cluster stack config, and the
  credential never leaves the management cluster except as a Pulumi secret.
- MANIFEST: the typed resource of its apiVersion/kind, built from the dict;
  custom resources (Kamaji, cert-manager, prometheus-operator) as
  :class:`KubeCustomResource`, whose ``status`` is an Output; keep-live paths
  become ``ignore_changes``.
- HELM_RELEASE: ``helm.v3.Release`` with the release name fixed (no random
  suffix) and the chart version pinned.
- NODE_PATCH: ``core.v1.NodePatch``, retained on delete: deleting a Pulumi
  Patch resource would undo it, i.e. uncordon a node that is being reimaged
  as soon as it drops out of the plan's current step.
- POD_PATCH: ``core.v1.PodPatch`` of ``metadata.annotations`` only (a
  checkpoint request), retained on delete for the same reason.

Pulumi resource names are the node ids: stable, and unique per stack.
"""

from __future__ import annotations

import base64
import importlib.metadata
import re
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.compile.objects import keep_live_paths, kube_object
from fleetc.compile.props import HelmReleaseProps, KubeconfigRef, NodePatchProps, PodPatchProps, ProviderProps
from fleetc.live.kubeconfig import KubeconfigError, load_cluster_kubeconfig

ManifestClass = Callable[..., pulumi.CustomResource]

MANIFEST_CLASSES: dict[tuple[str, str], ManifestClass] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Service"): k8s.core.v1.Service,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "StatefulSet"): k8s.apps.v1.StatefulSet,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("v1", "PersistentVolumeClaim"): k8s.core.v1.PersistentVolumeClaim,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("apps/v1", "DaemonSet"): k8s.apps.v1.DaemonSet,
    ("batch/v1", "Job"): k8s.batch.v1.Job,
    ("batch/v1", "CronJob"): k8s.batch.v1.CronJob,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
}
# Core groups have typed classes above; an object of any other group is an instance of a CRD.
CORE_GROUPS = frozenset({"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1"})
KUBERNETES_PLUGIN_VERSION = importlib.metadata.version("pulumi_kubernetes")


class KubeCustomResource(pulumi.CustomResource):
    """An instance of a CRD, like ``kubernetes.apiextensions.CustomResource``, with its ``status`` as an Output.

    pulumi-kubernetes' class declares only apiVersion, kind, metadata and
    spec, so a program cannot read what the controller reports; the
    customer cluster's provider needs the TenantControlPlane's
    ``status.kubeconfig.admin.secretName``. The type token is the same
    (``kubernetes:<apiVersion>:<kind>``), so the provider treats both alike.
    """

    status: pulumi.Output[Any]

    def __init__(self, name: str, obj: Mapping[str, Any], opts: pulumi.ResourceOptions) -> None:
        props = {**obj, "status": None}
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(version=KUBERNETES_PLUGIN_VERSION))
        super().__init__(f"kubernetes:{obj['apiVersion']}:{obj['kind']}", name, props, opts)


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class Wiring:
    """Resources built so far, by node id: where providers and dependencies are looked up.

    The graph lists dependencies before dependents, so by the time a node is
    built everything it names already exists here.
    """

    def __init__(self, management_kubeconfig: pulumi.Input[str], graph: DesiredGraph) -> None:
        self.management_kubeconfig = management_kubeconfig
        self._children: dict[str, list[Node]] = {}
        for node in graph:  # one pass: graph.children() per group would be quadratic
            if node.parent is not None:
                self._children.setdefault(node.parent, []).append(node)
        self.resources: dict[str, pulumi.Resource] = {}
        self.providers: dict[str, k8s.Provider] = {}
        self.management: k8s.Provider | None = None

    def children(self, parent: str) -> list[Node]:
        """The direct children of a group, in graph order."""
        return self._children.get(parent, [])

    def register(self, node_id: str, resource: pulumi.Resource) -> None:
        self.resources[node_id] = resource

    def options(self, node: Node, parent: pulumi.Resource) -> pulumi.ResourceOptions:
        """Parent, provider and dependsOn from the node; ignore_changes from its keep-live paths."""
        provider = self.providers[node.provider] if node.provider is not None else None
        depends_on = [self.resources[dep] for dep in node.deps]
        ignore = list(keep_live_paths(node)) if node.kind in (Kind.MANIFEST, Kind.HELM_RELEASE) else []
        return pulumi.ResourceOptions(
            parent=parent,
            provider=provider,
            depends_on=depends_on or None,
            ignore_changes=ignore or None,
            retain_on_delete=True if node.kind in (Kind.NODE_PATCH, Kind.POD_PATCH) else None,
        )

    def build(self, node: Node, parent: pulumi.Resource) -> pulumi.Resource:
        """The resource for a leaf node, registered under its id."""
        if node.kind is Kind.PROVIDER:
            resource: pulumi.Resource = self._provider(node, parent)
        elif node.kind is Kind.MANIFEST:
            resource = manifest_resource(node, self.options(node, parent))
        elif node.kind is Kind.HELM_RELEASE:
            resource = helm_release(node, self.options(node, parent))
        elif node.kind is Kind.NODE_PATCH:
            resource = node_patch(node, self.options(node, parent))
        elif node.kind is Kind.POD_PATCH:
            resource = pod_patch(node, self.options(node, parent))
        else:
            raise ValueError(f"{node.id}: a {node.kind} is a group, not a resource")
        self.register(node.id, resource)
        return resource

    def _provider(self, node: Node, parent: pulumi.Resource) -> k8s.Provider:
        secret_ref = node.typed(ProviderProps).kubeconfig_secret
        if secret_ref is None:
            kubeconfig: pulumi.Input[str] = self.management_kubeconfig
        else:
            kubeconfig = self._kubeconfig_from_secret(node, secret_ref, parent)
        provider = k8s.Provider(
            node.id,
            kubeconfig=kubeconfig,
            enable_server_side_apply=True,  # NodePatch needs it; explicit rather than the v4 default
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self.providers[node.id] = provider
        if secret_ref is None:
            self.management = provider
        return provider

    def _kubeconfig_from_secret(self, node: Node, ref: KubeconfigRef, parent: pulumi.Resource) -> pulumi.Output[str]:
        management = self.management
        if management is None:
            raise ValueError(f"{node.id}: the management provider must be built before customer providers")
        namespace, name, key = ref.namespace, ref.name, ref.key
        secret_id: pulumi.Input[str] = f"{namespace}/{name}"
        if ref.status_of is not None:
            control_plane = self.resources[ref.status_of]
            if not isinstance(control_plane, KubeCustomResource):
                raise ValueError(f"{node.id}: {ref.status_of} is not a custom resource with a status")
            secret_id = control_plane.status.apply(lambda status: f"{namespace}/{admin_secret_name(status, name)}")
        secret = k8s.core.v1.Secret.get(
            f"{node.id}/kubeconfig",
            id=secret_id,
            opts=pulumi.ResourceOptions(parent=parent, provider=management),
        )

        def decode(data: Mapping[str, str] | None) -> str:
            value = (data or {}).get(key)
            if not value:
                raise ValueError(f"Secret {namespace}/{name} has no data.{key}: the cluster's kubeconfig is missing")
            text = base64.b64decode(value).decode("utf-8")
            # Credentials that come from a cluster are data, never code: the provider would run an exec
            # plugin or read local files named in it, so only inline credentials are passed on.
            try:
                load_cluster_kubeconfig(text, origin=f"Secret {namespace}/{name}")
            except KubeconfigError as error:
                raise ValueError(str(error)) from None
            return text

        return pulumi.Output.secret(secret.data.apply(decode))


def admin_secret_name(status: Any, default: str) -> str:
    """The Secret ``status.kubeconfig.admin.secretName`` names; ``default`` (Kamaji's own naming) while it names none.

    A status that is not there yet (mocks echo inputs; a controller that has
    not reconciled) is "not ready yet", never an error.
    """
    name = status
    for key in ("kubeconfig", "admin", "secretName"):  # a field of the wrong shape anywhere: none named
        name = name.get(key) if isinstance(name, Mapping) else None
    return name if isinstance(name, str) and name else default


def manifest_resource(node: Node, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    obj = kube_object(node)
    if obj["apiVersion"] not in CORE_GROUPS:
        return KubeCustomResource(node.id, obj, opts)
    api_version, kind = obj.pop("apiVersion"), obj.pop("kind")
    cls = MANIFEST_CLASSES.get((api_version, kind))
    if cls is None:
        raise ValueError(f"{node.id}: no pulumi-kubernetes class for {api_version} {kind}")
    return cls(node.id, opts=opts, **{_snake(key): value for key, value in obj.items()})


def helm_release(node: Node, opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
    release = node.typed(HelmReleaseProps)
    repository = release.repository
    if repository.startswith("oci://"):
        chart, repository_opts = f"{repository.rstrip('/')}/{release.chart}", None
    else:
        chart, repository_opts = release.chart, k8s.helm.v3.RepositoryOptsArgs(repo=repository)
    return k8s.helm.v3.Release(
        node.id,
        name=release.name,  # the Helm release name, without Pulumi's random suffix
        chart=chart,
        version=release.version,
        repository_opts=repository_opts,
        namespace=release.namespace,
        create_namespace=release.create_namespace,
        values=release.helm_values,
        opts=opts,
    )


def node_patch(node: Node, opts: pulumi.ResourceOptions) -> k8s.core.v1.NodePatch:
    patch = node.typed(NodePatchProps)
    taints = [k8s.core.v1.TaintPatchArgs(key=t["key"], value=t.get("value"), effect=t["effect"]) for t in patch.taints]
    return k8s.core.v1.NodePatch(
        node.id,
        metadata=k8s.meta.v1.ObjectMetaPatchArgs(name=patch.name, labels=patch.labels, annotations=patch.annotations),
        # unschedulable None: a field fleetc does not manage in this patch (mark-pending), so it is left out
        spec=k8s.core.v1.NodeSpecPatchArgs(unschedulable=patch.unschedulable, taints=taints),
        opts=opts,
    )


def pod_patch(node: Node, opts: pulumi.ResourceOptions) -> k8s.core.v1.PodPatch:
    """Only ``metadata.annotations`` (server-side apply, field manager fleetc): the pod's spec is never sent."""
    patch = node.typed(PodPatchProps)
    metadata = k8s.meta.v1.ObjectMetaPatchArgs(
        name=patch.name, namespace=patch.namespace, annotations=patch.annotations
    )
    return k8s.core.v1.PodPatch(node.id, metadata=metadata, opts=opts)


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()
