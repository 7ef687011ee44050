"""A customer cluster's kubeconfig comes from a Secret: it is data, never code (over real HTTP).

Each test puts a hostile kubeconfig in the Secret ``cp-alpha/alpha-kubeconfig``
of the fake management cluster and reads the region as ``fleetc plan --live
kube`` does. The cluster must come out unknown with a reason that names the
Secret, and the hostile part must have had no effect: no plugin ran (its
marker file does not exist), no local secret reached any server (the fake
logs every path, query and header), no request went to the cluster at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetc.live.assemble import assemble_region
from fleetc.live.facts import ClusterLive, RegionLive
from fleetc.live.kubeapi import KubeOptions, fetch_region_lists

from .fake_api import BASIC, TOKEN, FakeApi, serve
from .objects import PREFIX, apiserver, etcd, kubeconfig_text, kubeconfig_with, node, pod
from .plugins import V1, write_plugin
from .tls import SERVER_NAME, Pki, make_pki

REGION = "us-east-04"
SECRET = "Secret cp-alpha/alpha-kubeconfig"
FAST = KubeOptions(timeout=2, attempts=2, backoff=0.01, max_backoff=0.02, limit=10)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as fake:
        fake.add_control_plane("alpha", apiserver("alpha"), etcd("alpha"))
        fake.add_cluster("alpha", [node("n0")], [pod("team", "job", "n0")])
        yield fake


def read(api: FakeApi) -> RegionLive:
    management, lists = fetch_region_lists(api.management_kubeconfig(), REGION, ["alpha"], options=FAST)
    return assemble_region(REGION, ["alpha"], management, lists, PREFIX)


def assert_refused(api: FakeApi, alpha: ClusterLive, key: str) -> str:
    """Alpha is unknown because of ``key`` in its Secret, and nothing was sent to alpha's server."""
    assert not alpha.known and alpha.nodes is None
    reason = "\n".join(alpha.problems)
    assert f"cluster alpha: {SECRET} data.value:" in reason, reason  # names the Secret, with line:col
    assert f"{key} is refused in a kubeconfig read from a cluster" in reason, reason
    assert f"fix {SECRET} so that it holds such a kubeconfig" in reason, reason  # says what to fix
    assert [r for r in api.received if r.path.startswith("/clusters/alpha")] == []
    return reason


def alpha_server(api: FakeApi) -> str:
    return f"{api.url}/clusters/alpha"


def test_inline_token_is_used(api: FakeApi) -> None:
    """The baseline the refusals are measured against: the same Secret shape with a token reads fine."""
    assert read(api).cluster("alpha").known


def test_inline_basic_auth_is_used(api: FakeApi) -> None:
    username, password = BASIC
    api.put_cluster_kubeconfig(
        "alpha", kubeconfig_with(alpha_server(api), {"username": username, "password": password})
    )
    assert read(api).cluster("alpha").known


def test_exec_plugin_in_a_secret_never_runs(api: FakeApi, tmp_path: Path) -> None:
    marker = tmp_path / "plugin-ran"
    plugin = write_plugin(tmp_path / "plugin.sh", marker=marker)
    user = {"exec": {"apiVersion": V1, "command": str(plugin), "interactiveMode": "Never"}}
    api.put_cluster_kubeconfig("alpha", kubeconfig_with(alpha_server(api), user))
    alpha = read(api).cluster("alpha")
    assert not marker.exists()
    assert "run a command on this machine" in assert_refused(api, alpha, "exec")


def test_exec_plugin_found_on_path_never_runs(api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare command name (looked up on $PATH) is refused the same way."""
    marker = tmp_path / "plugin-ran"
    write_plugin(tmp_path / "fleetc-test-plugin", marker=marker)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    user = {"exec": {"apiVersion": V1, "command": "fleetc-test-plugin"}}
    api.put_cluster_kubeconfig("alpha", kubeconfig_with(alpha_server(api), user))
    alpha = read(api).cluster("alpha")
    assert not marker.exists()
    assert_refused(api, alpha, "exec")


def test_token_file_in_a_secret_is_never_read(api: FakeApi, tmp_path: Path) -> None:
    secret = f"operator-secret-{uuid.uuid4()}"
    token_file = tmp_path / "token"
    token_file.write_text(secret)
    api.put_cluster_kubeconfig("alpha", kubeconfig_with(alpha_server(api), {"tokenFile": str(token_file)}))
    alpha = read(api).cluster("alpha")
    assert secret not in api.everything_received()
    assert_refused(api, alpha, "tokenFile")


def test_token_file_is_refused_even_next_to_a_valid_token(api: FakeApi, tmp_path: Path) -> None:
    """Refused wherever it is: a Secret cannot smuggle a path in beside working credentials."""
    secret = f"operator-secret-{uuid.uuid4()}"
    (tmp_path / "token").write_text(secret)
    user = {"token": TOKEN, "tokenFile": str(tmp_path / "token")}
    api.put_cluster_kubeconfig("alpha", kubeconfig_with(alpha_server(api), user))
    alpha = read(api).cluster("alpha")
    assert secret not in api.everything_received()
    assert_refused(api, alpha, "tokenFile")


def test_refused_in_an_unused_user_too(api: FakeApi, tmp_path: Path) -> None:
    marker = tmp_path / "plugin-ran"
    document = json.loads(kubeconfig_text(alpha_server(api), TOKEN))
    spare = {"exec": {"apiVersion": V1, "command": str(write_plugin(tmp_path / "p.sh", marker=marker))}}
    document["users"].insert(0, {"name": "spare", "user": spare})
    text = json.dumps(document)
    api.put_cluster_kubeconfig("alpha", text)
    alpha = read(api).cluster("alpha")
    assert not marker.exists()
    assert_refused(api, alpha, "exec")


@pytest.mark.parametrize(
    ("key", "section", "does"),
    [
        ("client-certificate", "user", "read a certificate from a file"),
        ("client-key", "user", "read a key from a file"),
        ("certificate-authority", "cluster", "read a CA certificate from a file"),
    ],
)
def test_local_certificate_paths_in_a_secret_are_refused(
    api: FakeApi, tmp_path: Path, key: str, section: str, does: str
) -> None:
    target = tmp_path / "operator.pem"
    target.write_text(f"-----BEGIN PRIVATE KEY-----\n{uuid.uuid4()}\n-----END PRIVATE KEY-----\n")
    user: dict[str, object] = {"token": TOKEN}
    cluster: dict[str, object] = {}
    (user if section == "user" else cluster)[key] = str(target)
    api.put_cluster_kubeconfig("alpha", kubeconfig_with(alpha_server(api), user, cluster))
    assert does in assert_refused(api, read(api).cluster("alpha"), key)


def test_auth_provider_in_a_secret_is_refused(api: FakeApi) -> None:
    user = {"auth-provider": {"name": "oidc", "config": {"cmd-path": "/bin/sh", "cmd-args": "-c 'touch /tmp/x'"}}}
    api.put_cluster_kubeconfig("alpha", kubeconfig_with(alpha_server(api), user))
    assert_refused(api, read(api).cluster("alpha"), "auth-provider")


def test_proxy_url_in_a_secret_is_never_followed(api: FakeApi) -> None:
    """The proxy named is the fake itself: had it been followed, a request would have arrived in absolute form."""
    api.put_cluster_kubeconfig(
        "alpha", kubeconfig_with("http://alpha.invalid", {"token": TOKEN}, {"proxy-url": api.url})
    )
    alpha = read(api).cluster("alpha")
    assert not any(r.via_proxy for r in api.received)
    assert_refused(api, alpha, "proxy-url")


def test_a_path_in_a_secret_is_not_read_as_a_kubeconfig_file(api: FakeApi, tmp_path: Path) -> None:
    """A Secret holding just a path to a working kubeconfig must not make fleetc open it."""
    working = tmp_path / "kubeconfig"
    working.write_text(kubeconfig_text(alpha_server(api), TOKEN))
    api.put_cluster_kubeconfig("alpha", str(working))
    alpha = read(api).cluster("alpha")
    assert not alpha.known and "not a kubeconfig" in "\n".join(alpha.problems)
    assert [r for r in api.received if r.path.startswith("/clusters/alpha")] == []


def test_line_and_column_point_at_the_refused_key(api: FakeApi, tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://x.invalid\n"
        "users:\n- name: u\n  user:\n    tokenFile: /etc/hostname\n"
        "contexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n"
    )
    api.put_cluster_kubeconfig("alpha", text)
    assert f"{SECRET} data.value:10:5: tokenFile is refused" in assert_refused(
        api, read(api).cluster("alpha"), "tokenFile"
    )


# --- inline TLS credentials are what a Secret should carry, and they work ------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_inline_client_certificate_and_ca_data_work_over_tls(pki: Pki) -> None:
    with serve(FakeApi(), tls=pki.server_context()) as api:
        api.add_control_plane("alpha", apiserver("alpha"), etcd("alpha"))
        api.add_cluster("alpha", [node("n0")], [pod("kube-system", "cilium-n0", "n0", owner="DaemonSet")])
        user = {"client-certificate-data": pki.data(pki.client_cert), "client-key-data": pki.data(pki.client_key)}
        cluster = {"certificate-authority-data": pki.data(pki.ca), "tls-server-name": SERVER_NAME}
        api.put_cluster_kubeconfig("alpha", kubeconfig_with(alpha_server(api), user, cluster))
        mgmt = kubeconfig_with(
            f"{api.url}/mgmt",
            {"token": TOKEN},
            {"certificate-authority-data": pki.data(pki.ca), "tls-server-name": SERVER_NAME},
        )
        management, lists = fetch_region_lists(mgmt, REGION, ["alpha"], options=FAST)
        region = assemble_region(REGION, ["alpha"], management, lists, PREFIX)
        assert region.cluster("alpha").known, region.cluster("alpha").problems
        alpha_requests = [r for r in api.received if r.path.startswith("/clusters/alpha")]
        assert alpha_requests and all(
            "Authorization" not in r.headers for r in alpha_requests
        )  # the certificate did it


def test_a_secret_without_the_ca_fails_closed_on_the_untrusted_certificate(pki: Pki) -> None:
    with serve(FakeApi(), tls=pki.server_context()) as api:
        api.add_control_plane("alpha", apiserver("alpha"), etcd("alpha"))
        api.add_cluster("alpha", [node("n0")], [pod("kube-system", "cilium-n0", "n0", owner="DaemonSet")])
        api.put_cluster_kubeconfig(
            "alpha", kubeconfig_with(alpha_server(api), {"token": TOKEN}, {"tls-server-name": SERVER_NAME})
        )
        mgmt = kubeconfig_with(
            f"{api.url}/mgmt",
            {"token": TOKEN},
            {"certificate-authority-data": pki.data(pki.ca), "tls-server-name": SERVER_NAME},
        )
        management, lists = fetch_region_lists(mgmt, REGION, ["alpha"], options=FAST)
        alpha = assemble_region(REGION, ["alpha"], management, lists, PREFIX).cluster("alpha")
        assert not alpha.known and "CERTIFICATE_VERIFY_FAILED" in "\n".join(alpha.problems)
