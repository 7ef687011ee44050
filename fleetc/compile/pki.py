"""TLS for a cluster's dedicated etcd, issued by cert-manager in the management cluster.

A chain per cluster, so one cluster's etcd never trusts another's clients:
a self-signed Issuer signs the cluster's etcd CA (a Certificate with
``isCA``), a CA Issuer made from that Secret signs the leaves -- the
members' server and peer certificates (wildcards over the headless
Service, so scaling adds no Certificate) and the ``root`` client
certificate that Kamaji's DataStore and fleetc's etcd CronJobs use. Kamaji
itself needs the CA's key too: it signs each tenant's own etcd client
certificate with it.

cert-manager writes each Secret with ``tls.crt``, ``tls.key`` and ``ca.crt``.
Pulumi waits until every Certificate is Ready (``pulumi.com/waitFor``)
before the etcd StatefulSet that mounts them is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetc import conventions
from fleetc.compile.objects import k8s_object

CERT_MANAGER_API = "cert-manager.io/v1"
WAIT_FOR = conventions.PULUMI_WAIT_FOR
CERTIFICATE_READY = "condition=Ready"
SELF_SIGNED_ISSUER = "etcd-selfsigned"
CA_ISSUER = "etcd-ca"
ROOT_USER = "root"  # the etcd user Kamaji's DataStore connects as
CA_DURATION, LEAF_DURATION, LEAF_RENEW_BEFORE = "87600h", "8760h", "720h"  # 10 years, 1 year, 30 days


@dataclass(frozen=True)
class TLSSecrets:
    """The Secrets cert-manager writes for one cluster's etcd (in ``cp-<cluster>``)."""

    ca: str = "etcd-ca"
    server: str = "etcd-server-tls"
    peer: str = "etcd-peer-tls"
    client: str = "etcd-root-client-tls"


SECRETS = TLSSecrets()


def issuers(namespace: str) -> list[dict[str, Any]]:
    """The self-signed Issuer, the CA Certificate and the CA Issuer, in the order they must exist."""
    return [
        k8s_object(CERT_MANAGER_API, "Issuer", SELF_SIGNED_ISSUER, namespace=namespace, spec={"selfSigned": {}}),
        _certificate(
            namespace,
            "etcd-ca",
            SECRETS.ca,
            SELF_SIGNED_ISSUER,
            isCA=True,
            commonName=f"etcd-ca.{namespace}",
            duration=CA_DURATION,
        ),
        k8s_object(CERT_MANAGER_API, "Issuer", CA_ISSUER, namespace=namespace, spec={"ca": {"secretName": SECRETS.ca}}),
    ]


def leaves(namespace: str) -> list[dict[str, Any]]:
    """Server, peer and root-client certificates, signed by the cluster's etcd CA."""
    members = [f"*.etcd.{namespace}.svc", f"*.etcd.{namespace}.svc.cluster.local"]
    service = ["etcd", f"etcd.{namespace}", f"etcd.{namespace}.svc", f"etcd.{namespace}.svc.cluster.local"]
    both = ["server auth", "client auth"]
    return [
        _certificate(
            namespace,
            "etcd-server",
            SECRETS.server,
            CA_ISSUER,
            commonName=f"etcd.{namespace}.svc",
            dnsNames=[*members, *service, "localhost"],
            ipAddresses=["127.0.0.1", "::1"],
            usages=both,
        ),
        _certificate(
            namespace,
            "etcd-peer",
            SECRETS.peer,
            CA_ISSUER,
            commonName=f"etcd-peer.{namespace}",
            dnsNames=members,
            usages=both,
        ),
        _certificate(
            namespace, "etcd-root-client", SECRETS.client, CA_ISSUER, commonName=ROOT_USER, usages=["client auth"]
        ),
    ]


def _certificate(namespace: str, name: str, secret: str, issuer: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "secretName": secret,
        "issuerRef": {"name": issuer, "kind": "Issuer", "group": "cert-manager.io"},
        "duration": LEAF_DURATION,
        "renewBefore": LEAF_RENEW_BEFORE,
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        **spec,
    }
    return k8s_object(
        CERT_MANAGER_API, "Certificate", name, namespace=namespace, annotations={WAIT_FOR: CERTIFICATE_READY}, spec=body
    )
