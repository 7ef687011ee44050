"""Add-ons and node patches as objects a GitOps tool applies.

Add-ons become Flux ``HelmRelease`` (helm.toolkit.fluxcd.io/v2) + ``HelmRepository``
(source.toolkit.fluxcd.io/v1) objects in the management cluster's ``cp-<cluster>``
namespace, installing into the customer cluster through ``spec.kubeConfig``
with the admin kubeconfig Secret Kamaji writes for the cluster's
TenantControlPlane (``<cluster>-admin-kubeconfig``; key ``admin.svc``, whose
server is the apiserver's Service inside the management cluster, where Flux
runs; Pulumi reads ``admin.conf``, the published endpoint). That keeps one GitOps controller
per site, next to the hosted control planes, instead of one per customer
cluster, and is Flux's documented way to drive remote clusters. (Argo CD has
no remote-Helm object of its own; an Argo CD user points an Application per
cluster at the Helm charts instead, and still syncs the rest of this output.)

The management cluster's own batteries (cert-manager, Kamaji: HELM_RELEASE nodes
on the management provider) install into the cluster Flux runs in: no
``kubeConfig``, and their objects live in Flux's namespace ``flux-system``, which
exists wherever Flux does (their target namespaces do not exist yet). A release's
HELM_RELEASE dependencies become ``dependsOn`` (Kamaji after cert-manager).

Node patches are partial ``Node`` objects for server-side apply (Flux always
applies server-side; Argo CD needs ``ServerSideApply=true``, set here): only
the fields fleetc manages, and pruning disabled, so that removing the file in
the next render never deletes a Node.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fleetc import conventions
from fleetc.compile.graph import Node
from fleetc.compile.objects import MANAGED_BY, MANAGED_BY_LABEL, SOURCE_ANNOTATION
from fleetc.compile.props import (
    MANAGEMENT_CLUSTER,
    HelmReleaseProps,
    KubeconfigRef,
    NodePatchProps,
    PodPatchProps,
    ProviderProps,
)

HELM_RELEASE_API = "helm.toolkit.fluxcd.io/v2"
HELM_REPOSITORY_API = "source.toolkit.fluxcd.io/v1"
NODE_ANNOTATIONS = {
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
    "argocd.argoproj.io/sync-options": "Prune=false,ServerSideApply=true",
}
FLUX_NAMESPACE = "flux-system"
# A held release's inputs (HelmReleaseProps.keep_live) as fields of the HelmRelease document.
HELD_FIELDS = {"version": "spec.chart.spec.version", "values": "spec.values"}
RELEASE_INTERVAL = "10m"
REPOSITORY_INTERVAL = "1h"


def flux_namespace(provider: Node) -> str:
    """Where the Flux objects of a release on ``provider`` live: the cluster's control-plane namespace, or Flux's."""
    secret = provider.typed(ProviderProps).kubeconfig_secret
    return FLUX_NAMESPACE if secret is None else secret.namespace


def helm_objects(node: Node, provider: Node, deps: Sequence[Node] = ()) -> list[dict[str, Any]]:
    """HelmRepository + HelmRelease of one HELM_RELEASE node (``deps``: HELM_RELEASE nodes on the same provider)."""
    release = node.typed(HelmReleaseProps)
    props = provider.typed(ProviderProps)
    secret = props.kubeconfig_secret
    if secret is None and props.cluster != MANAGEMENT_CLUSTER:
        raise ValueError(f"{node.id}: its provider {provider.id} names no kubeconfig Secret")
    namespace = flux_namespace(provider)
    metadata = {
        "name": release.name,
        "namespace": namespace,
        "labels": {MANAGED_BY_LABEL: MANAGED_BY},
        "annotations": {SOURCE_ANNOTATION: node.source.stable if node.source else ""},
    }
    repo_spec: dict[str, Any] = {"interval": REPOSITORY_INTERVAL, "url": release.repository}
    if release.repository.startswith("oci://"):
        repo_spec["type"] = "oci"
    release_spec: dict[str, Any] = {
        "interval": RELEASE_INTERVAL,
        "releaseName": release.name,
        "targetNamespace": release.namespace,
        # Helm's release records live on the customer cluster, next to the release, as with `helm install`.
        "storageNamespace": release.namespace,
        # Without one (the management cluster's batteries) Flux installs into the cluster it runs in.
        **({"kubeConfig": {"secretRef": {"name": secret.name, "key": _flux_key(secret)}}} if secret else {}),
        "install": {"createNamespace": release.create_namespace},
        "chart": {
            "spec": {
                "chart": release.chart,
                "version": release.version,
                "sourceRef": {"kind": "HelmRepository", "name": release.name},
            }
        },
        "values": release.helm_values,
    }
    if deps:
        release_spec["dependsOn"] = [{"name": dep.typed(HelmReleaseProps).name, "namespace": namespace} for dep in deps]
    return [
        {"apiVersion": HELM_REPOSITORY_API, "kind": "HelmRepository", "metadata": dict(metadata), "spec": repo_spec},
        {"apiVersion": HELM_RELEASE_API, "kind": "HelmRelease", "metadata": dict(metadata), "spec": release_spec},
    ]


def _flux_key(secret: KubeconfigRef) -> str:
    """Flux runs in the management cluster: Kamaji's ``admin.svc`` kubeconfig dials the apiserver's Service there."""
    return conventions.KAMAJI_ADMIN_SVC_KEY if secret.status_of is not None else secret.key


def pod_object(node: Node) -> dict[str, Any]:
    """The partial Pod of a POD_PATCH (a checkpoint request): its annotations only, prune disabled."""
    patch = node.typed(PodPatchProps)
    annotations = {k: v for k, v in patch.annotations.items() if not k.startswith("pulumi.com/")}
    annotations.update(NODE_ANNOTATIONS)
    metadata = {"name": patch.name, "namespace": patch.namespace, "annotations": annotations}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata}


def held_fields(node: Node) -> tuple[str, ...]:
    """The HelmRelease fields a held release keeps as rendered before (dotted paths of its document)."""
    return tuple(HELD_FIELDS[key] for key in node.typed(HelmReleaseProps).keep_live if key in HELD_FIELDS)


def node_object(node: Node) -> dict[str, Any]:
    """The partial Node of a NODE_PATCH: Pulumi-only annotations dropped, prune disabled."""
    patch = node.typed(NodePatchProps)
    annotations = {k: v for k, v in patch.annotations.items() if not k.startswith("pulumi.com/")}
    annotations.update(NODE_ANNOTATIONS)
    metadata: dict[str, Any] = {"name": patch.name, "annotations": annotations}
    if patch.labels:
        metadata["labels"] = dict(patch.labels)
    spec: dict[str, Any] = {"taints": list(patch.taints)}
    if patch.unschedulable is not None:
        spec["unschedulable"] = patch.unschedulable
    return {"apiVersion": "v1", "kind": "Node", "metadata": metadata, "spec": spec}
