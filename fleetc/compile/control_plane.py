"""The hosted control plane of one cluster, as objects for the management cluster (docs/spec.md 6.1).

Everything lives in namespace ``cp-<cluster>``; in dependency order:
cert-manager's Issuer chain and the etcd certificates (``pki``), the
dedicated etcd and its CronJobs (``etcd``), the Kamaji DataStore naming it,
the audit policy and the encryption key's Job, then the TenantControlPlane
(``tenant_control_plane``) and a PodDisruptionBudget over its pods. Pulumi
applies them in that order and waits on each (Certificates Ready, the
StatefulSet rolled out, the TenantControlPlane Ready), so a new cluster
comes up in one run and nothing mounts a Secret that does not exist yet.

Versions come from the plan, never from the target: ``control_plane_version``
and ``etcd_version`` are what the planner allows *now* (one minor per step,
etcd with the control plane, only from a ready control plane). Unknown, the
objects that carry a version keep their spec exactly as it is live.
"""

from __future__ import annotations

from typing import Any

from fleetc.compile import encryption, etcd, ids, pki
from fleetc.compile import tenant_control_plane as tcp
from fleetc.compile.cluster_config import cluster_config
from fleetc.compile.context import ClusterContext
from fleetc.compile.graph import Kind, Node
from fleetc.compile.management import control_plane_deps
from fleetc.compile.objects import k8s_object, manifest_node
from fleetc.compile.props import ControlPlaneProps
from fleetc.spec.anchors import where


def compile_control_plane(ctx: ClusterContext) -> list[Node]:
    """The control-plane group and its objects, dependencies first."""
    cp = ctx.cluster.control_plane
    group = control_plane_group(ctx)
    group_id = group.id
    version, etcd_version = ctx.plan.control_plane_version, ctx.plan.etcd_version
    out: list[Node] = [group]
    mgmt = ids.management_provider(ctx.region_name)

    def add(obj: dict[str, Any], source_path: tuple[str, ...], *deps: Node, after: tuple[str, ...] = ()) -> Node:
        node = manifest_node(
            group_id,
            obj,
            provider=mgmt,
            cluster=ctx.id,
            deps=(*after, *(d.id for d in deps)),
            source=where(ctx.cluster, *source_path),
        )
        out.append(node)
        return node

    # The batteries first (management.py): every object below uses cert-manager's or Kamaji's CRDs and webhooks,
    # and all of them come after the namespace.
    ns = add(namespace_object(ctx), ("name",), after=control_plane_deps(ctx.region_name, ctx.management))
    add(cluster_config(ctx), ("upgrade",), ns)

    etcd_src = ("controlPlane", "etcd")
    self_signed_obj, ca_obj, ca_issuer_obj = pki.issuers(ctx.namespace)
    self_signed = add(self_signed_obj, etcd_src, ns)
    ca_cert = add(ca_obj, etcd_src, ns, self_signed)
    ca_issuer = add(ca_issuer_obj, etcd_src, ns, ca_cert)
    server, peer, client = (add(o, etcd_src, ns, ca_issuer) for o in pki.leaves(ctx.namespace))
    scripts = add(etcd.scripts(ctx), etcd_src, ns)
    service = add(etcd.service(ctx), etcd_src, ns)
    statefulset = add(etcd.statefulset(ctx, etcd_version), etcd_src, ns, service, scripts, server, peer, client)
    add(etcd.pdb(ctx), etcd_src, ns)
    snapshots = add(etcd.snapshots_volume(ctx), etcd_src, ns)
    for job in etcd.cronjobs(ctx, etcd_version):
        add(job, etcd_src, ns, statefulset, scripts, client, snapshots)
    datastore = add(etcd.datastore(ctx), etcd_src, statefulset, ca_cert, client)

    api_src = ("controlPlane", "apiServer")
    before_tcp = [datastore]
    audit = tcp.audit_policy(ctx)
    if audit is not None:
        before_tcp.append(add(audit, api_src, ns))
    if cp.api_server.encryption_at_rest:
        previous = ns
        for obj in encryption.objects(ctx.namespace):
            previous = add(obj, api_src, ns, previous)
        before_tcp.append(previous)  # the Job: Pulumi waits until it has created the key's Secret
    add(tcp.tenant_control_plane(ctx, version), ("controlPlane",), ns, *before_tcp)
    add(tcp.pdb(ctx), ("controlPlane",), ns)
    return out


def control_plane_group(ctx: ClusterContext) -> Node:
    """The HostedControlPlane group node (the same in both forms): the versions the plan allows now."""
    cp = ctx.cluster.control_plane
    version, etcd_version = ctx.plan.control_plane_version, ctx.plan.etcd_version
    return Node(
        id=ids.control_plane(ctx.id),
        kind=Kind.CONTROL_PLANE,
        props=ControlPlaneProps(
            version=str(version) if version else None,
            etcd_version=str(etcd_version) if etcd_version else None,
            target_version=str(ctx.targets.kubernetes),
            phase=str(ctx.plan.phase),
            replicas=cp.replicas,
            etcd_replicas=cp.etcd.replicas,
        ),
        parent=ctx.region_name,
        cluster=ctx.id,
        source=where(ctx.cluster, "controlPlane"),
    )


def tenant_control_plane_id(ctx: ClusterContext) -> str:
    """The node id of the cluster's TenantControlPlane (the customer provider reads its status)."""
    return ids.manifest(ids.control_plane(ctx.id), "TenantControlPlane", ctx.cluster.name)


def namespace_object(ctx: ClusterContext) -> dict[str, Any]:
    return k8s_object(
        "v1",
        "Namespace",
        ctx.namespace,
        labels={"fleetc.dev/cluster": ctx.cluster.name, "fleetc.dev/region": ctx.region_name},
    )
