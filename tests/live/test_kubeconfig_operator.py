"""The operator's own kubeconfig keeps kubectl's semantics (over real HTTP where it connects).

Exec plugins, token files, certificate files, paths relative to the file
that names them, ``$KUBECONFIG`` lists merged like kubectl, and clear
``file:line:col`` messages for kubeconfigs that cannot work.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fleetc.errors import FleetcError
from fleetc.live.assemble import assemble_region
from fleetc.live.facts import RegionLive
from fleetc.live.kubeapi import KubeOptions, fetch_region_lists, management_endpoint
from fleetc.live.kubeconfig import (
    KubeconfigError,
    KubeconfigFiles,
    default_kubeconfig_path,
    endpoint,
    load_operator_kubeconfig,
)
from fleetc.live.read import read_live

from .fake_api import TOKEN, FakeApi, serve
from .objects import PREFIX, apiserver, etcd, kubeconfig_text, kubeconfig_with, node, pod
from .plugins import V1, credential, write_plugin
from .tls import SERVER_NAME, Pki, make_pki

REGION = "us-east-04"
CLUSTERS = ("alpha",)
FAST = KubeOptions(timeout=2, attempts=2, backoff=0.01, max_backoff=0.02, limit=10)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as fake:
        fake.add_control_plane("alpha", apiserver("alpha"), etcd("alpha"))
        fake.add_cluster("alpha", [node("n0")], [pod("team", "job", "n0")])
        yield fake


def read(kubeconfig: str | Path | KubeconfigFiles, options: KubeOptions = FAST) -> RegionLive:
    management, lists = fetch_region_lists(kubeconfig, REGION, CLUSTERS, options=options)
    return assemble_region(REGION, CLUSTERS, management, lists, PREFIX)


def assert_read(region: RegionLive) -> None:
    assert not region.problems, region.problems
    assert region.cluster("alpha").known, region.cluster("alpha").problems


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- exec plugins ------------------------------------------------------------------


def test_exec_plugin_gives_the_token(api: FakeApi, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    plugin = write_plugin(tmp_path / "plugin.sh", marker=marker)
    user = {"exec": {"apiVersion": V1, "command": str(plugin), "interactiveMode": "Never"}}
    assert_read(read(kubeconfig_with(f"{api.url}/mgmt", user)))
    assert marker.exists()
    info = json.loads(marker.with_name("ran.info").read_text())  # KUBERNETES_EXEC_INFO, as client-go sets it
    assert info == {"apiVersion": V1, "kind": "ExecCredential", "spec": {"interactive": False}}


def test_exec_plugin_gets_args_env_and_cluster_info_and_resolves_relative_to_the_kubeconfig(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command with a slash is relative to the kubeconfig's directory (not the working one), like kubectl."""
    config_dir = tmp_path / "conf"
    marker = tmp_path / "ran"
    body = 'test "$1" = "--region" && test "$2" = "east" || exit 3\ntest "$PLUGIN_SETTING" = "on" || exit 4'
    beta = "client.authentication.k8s.io/v1beta1"
    user = {
        "exec": {
            "apiVersion": beta,
            "command": "./bin/plugin.sh",
            "args": ["--region", "east"],
            "env": [{"name": "PLUGIN_SETTING", "value": "on"}],
            "provideClusterInfo": True,
        }
    }
    write_plugin(config_dir / "bin" / "plugin.sh", marker=marker, body=body, output=credential(api_version=beta))
    config = write(config_dir / "kubeconfig", kubeconfig_with(f"{api.url}/mgmt", user))
    monkeypatch.chdir(tmp_path)  # elsewhere: ./bin/plugin.sh does not exist here
    assert_read(read(config))
    info = json.loads(marker.with_name("ran.info").read_text())
    assert info["apiVersion"] == beta and info["spec"]["cluster"] == {"server": f"{api.url}/mgmt"}


def test_missing_exec_command_says_how_to_install_it(tmp_path: Path) -> None:
    user = {"exec": {"apiVersion": V1, "command": "fleetc-no-such-plugin", "installHint": "brew install thing"}}
    config = write(tmp_path / "kubeconfig", kubeconfig_with("https://kube.example", user))
    with pytest.raises(FleetcError) as raised:
        read(config)
    message = str(raised.value)
    assert f"{config}:" in message and "exec plugin fleetc-no-such-plugin was not found" in message
    assert "brew install thing" in message


def test_exec_plugin_that_hangs_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    plugin = write_plugin(tmp_path / "slow.sh", marker=tmp_path / "ran", body="sleep 30")
    config = kubeconfig_with("https://kube.example", {"exec": {"apiVersion": V1, "command": str(plugin)}})
    with pytest.raises(KubeconfigError, match=r"did not finish within 0\.3 s \(KubeOptions\.exec_timeout\)"):
        endpoint(load_operator_kubeconfig(config), name="m", exec_timeout=0.3)


@pytest.mark.parametrize(
    ("output", "body", "expected"),
    [
        (credential(api_version="client.authentication.k8s.io/v1beta1"), "", "make the two agree"),
        ("not json", "", "no JSON ExecCredential"),
        (json.dumps({"apiVersion": V1, "kind": "ExecCredential", "status": {}}), "", "neither status.token"),
        ("", "echo 'login expired' >&2; exit 5", "failed with exit code 5: login expired"),
    ],
)
def test_exec_plugin_failures_are_clear(tmp_path: Path, output: str, body: str, expected: str) -> None:
    plugin = write_plugin(tmp_path / "p.sh", marker=tmp_path / "ran", output=output, body=body)
    config = kubeconfig_with("https://kube.example", {"exec": {"apiVersion": V1, "command": str(plugin)}})
    with pytest.raises(KubeconfigError, match=expected):
        endpoint(load_operator_kubeconfig(config), name="m")


def test_interactive_only_plugin_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    plugin = write_plugin(tmp_path / "p.sh", marker=marker)
    user = {"exec": {"apiVersion": V1, "command": str(plugin), "interactiveMode": "Always"}}
    with pytest.raises(KubeconfigError, match="needs an interactive terminal"):
        endpoint(load_operator_kubeconfig(kubeconfig_with("https://kube.example", user)), name="m")
    assert not marker.exists()


# --- files ---------------------------------------------------------------------------


def test_token_file_relative_to_the_kubeconfig(api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "conf" / "tokens" / "mgmt", f"{TOKEN}\n")
    config = write(tmp_path / "conf" / "kubeconfig", kubeconfig_with(f"{api.url}/mgmt", {"tokenFile": "tokens/mgmt"}))
    monkeypatch.chdir(tmp_path)
    assert_read(read(config))
    assert api.received[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_unreadable_token_file_names_it(tmp_path: Path) -> None:
    config = write(tmp_path / "kubeconfig", kubeconfig_with("https://kube.example", {"tokenFile": "absent"}))
    with pytest.raises(KubeconfigError, match=rf"{tmp_path}/kubeconfig:\d+:\d+: user 'u': tokenFile .*absent"):
        endpoint(load_operator_kubeconfig(config), name="m")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_certificate_files_relative_to_the_kubeconfig_over_tls(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    """CA file, client certificate and key files next to the kubeconfig; the server's name via tls-server-name."""
    with serve(FakeApi(), tls=pki.server_context()) as api:
        api.add_control_plane("alpha", apiserver("alpha"), etcd("alpha"))
        api.add_cluster("alpha", [node("n0")], [pod("kube-system", "cilium-n0", "n0", owner="DaemonSet")])
        api.put_cluster_kubeconfig(
            "alpha",
            kubeconfig_with(
                f"{api.url}/clusters/alpha",
                {"token": TOKEN},
                {"certificate-authority-data": pki.data(pki.ca), "tls-server-name": SERVER_NAME},
            ),
        )
        user = {"client-certificate": "client.crt", "client-key": "client.key"}
        cluster = {"certificate-authority": "ca.crt", "tls-server-name": SERVER_NAME}
        config = write(pki.directory / "kubeconfig", kubeconfig_with(f"{api.url}/mgmt", user, cluster))
        monkeypatch.chdir("/")
        assert_read(read(config))
        management = [r for r in api.received if r.path.startswith("/mgmt")]
        assert management and all("Authorization" not in r.headers for r in management)  # the certificate did it


def test_without_tls_server_name_the_certificate_does_not_match(pki: Pki) -> None:
    with serve(FakeApi(), tls=pki.server_context()) as api:
        cluster = {"certificate-authority-data": pki.data(pki.ca)}
        region = read(kubeconfig_with(f"{api.url}/mgmt", {"token": TOKEN}, cluster))
        assert "certificate is not valid for '127.0.0.1'" in region.problems[0]


def test_an_encrypted_client_key_is_refused_not_prompted_for(pki: Pki) -> None:
    user = {"client-certificate": str(pki.client_cert), "client-key": str(pki.encrypted_client_key)}
    with pytest.raises(KubeconfigError, match="the client key is encrypted; fleetc cannot ask for its passphrase"):
        endpoint(load_operator_kubeconfig(kubeconfig_with("https://k.example", user)), name="m")


def test_insecure_skip_tls_verify_with_a_ca_is_an_error(tmp_path: Path) -> None:
    cluster = {"insecure-skip-tls-verify": True, "certificate-authority-data": "AAAA"}
    with pytest.raises(KubeconfigError, match="insecure-skip-tls-verify is set together with a certificate authority"):
        endpoint(load_operator_kubeconfig(kubeconfig_with("https://k.example", {}, cluster)), name="m")


def test_proxy_url_is_followed(api: FakeApi) -> None:
    """The fake is the proxy; the server's host does not resolve, so only the proxy could have answered."""
    assert_read(read(kubeconfig_with("http://mgmt.invalid/mgmt", {"token": TOKEN}, {"proxy-url": api.url})))
    assert all(r.via_proxy for r in api.received if r.path.startswith("/mgmt"))


# --- $KUBECONFIG ------------------------------------------------------------------------


def test_kubeconfig_list_is_merged_first_file_wins(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Context and cluster from the first file, the user from the second, current-context from the second.

    The second file also defines the same context, cluster and user names
    with settings that could not work: had it won anywhere, the read fails.
    """
    first = {
        "clusters": [{"name": "mgmt", "cluster": {"server": f"{api.url}/mgmt"}}],
        "users": [{"name": "ops", "user": {"tokenFile": "token"}}],  # relative to the FIRST file's directory
        "contexts": [{"name": REGION, "context": {"cluster": "mgmt", "user": "ops"}}],
    }
    second = {
        "clusters": [{"name": "mgmt", "cluster": {"server": "http://127.0.0.1:9/wrong"}}],
        "users": [{"name": "ops", "user": {"token": "wrong"}}, {"name": "spare", "user": {"token": TOKEN}}],
        "contexts": [
            {"name": REGION, "context": {"cluster": "mgmt", "user": "spare"}},
            {"name": "other", "context": {"cluster": "mgmt", "user": "spare"}},
        ],
        "current-context": "other",
    }
    write(tmp_path / "a" / "token", TOKEN)
    a = write(tmp_path / "a" / "config", yaml.safe_dump(first))
    b = write(tmp_path / "b" / "config", yaml.safe_dump(second))
    monkeypatch.setenv("KUBECONFIG", f"{a}:{tmp_path / 'missing'}:{b}")
    found = default_kubeconfig_path()
    assert found == KubeconfigFiles((a, tmp_path / "missing", b))
    merged = load_operator_kubeconfig(found)
    assert sorted(merged.contexts) == ["other", REGION] and sorted(merged.users) == ["ops", "spare"]
    assert merged.current_context == "other"  # the first file sets none
    assert merged.contexts[REGION].doc.file == str(a) and merged.clusters["mgmt"].doc.file == str(a)
    assert_read(read(found))  # the region's context: a's cluster, a's user (token file next to a)
    other = endpoint(merged, name="m")  # the current context: a's cluster (first wins), b's user
    assert other.server == f"{api.url}/mgmt" and other.headers["Authorization"] == f"Bearer {TOKEN}"


def test_kubeconfig_list_reaches_read_live(api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``fleetc plan --live kube`` with no --kubeconfig: $KUBECONFIG's files, merged."""
    users = write(tmp_path / "users", yaml.safe_dump({"users": [{"name": "u", "user": {"token": TOKEN}}]}))
    rest = json.loads(kubeconfig_text(f"{api.url}/mgmt", "unused"))
    del rest["users"]
    monkeypatch.setenv("KUBECONFIG", f"{write(tmp_path / 'rest', json.dumps(rest))}:{users}")
    live = read_live("kube", {REGION: list(CLUSTERS)}, PREFIX, options=FAST)
    assert live.region(REGION).cluster("alpha").known


def test_kubeconfig_list_with_no_existing_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'x'}:{tmp_path / 'y'}")
    with pytest.raises(FleetcError, match=r"none of the files named in \$KUBECONFIG exists"):
        read_live("kube", {REGION: list(CLUSTERS)}, PREFIX, options=FAST)


def test_without_kubeconfig_variable_the_home_config_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_kubeconfig_path() is None
    home = write(tmp_path / ".kube" / "config", kubeconfig_text("https://k.example", TOKEN))
    assert default_kubeconfig_path() == home


# --- kubeconfigs that cannot work: file:line:col and the fix ------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clusters: [\n", r":2:1: YAML syntax error"),
        ("- just\n- a list\n", r":1:1: not a kubeconfig: expected a mapping"),
        ("kind: Secret\n", r":1:1: kind is 'Secret': a kubeconfig has kind: Config"),
        ("clusters: {a: b}\n", r":1:1: clusters must be a list"),
        ("users:\n- user: {token: x}\n", r":2:3: users\[0\] needs a name"),
        ("current-context: a\ncontexts: []\n", r"no context named 'a' \(it has: none\)"),
        (
            "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: nobody}\n"
            "clusters:\n- name: c\n  cluster: {server: 'https://k'}\n",
            r":4:25: context 'a' names user 'nobody', which is not defined",
        ),
        (
            "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
            "clusters:\n- name: c\n  cluster: {server: 'https://k'}\nusers:\n- name: u\n  user:\n    token: 12\n",
            r":11:5: user 'u': token must be a string",
        ),
        (
            "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
            "clusters:\n- name: c\n  cluster: {server: 'k.example:443'}\n",
            r":7:13: cluster 'c': server 'k.example:443' is not an http\(s\) URL",
        ),
        ("a: 1\n---\nb: 2\n", r":3:1: a kubeconfig is one YAML document"),
        ("\x00\x01", "binary data, not a kubeconfig"),
    ],
)
def test_bad_kubeconfig_files_give_clear_messages(tmp_path: Path, text: str, expected: str) -> None:
    config = write(tmp_path / "kubeconfig", text)
    with pytest.raises(FleetcError) as raised:
        read(config)
    message = str(raised.value)
    assert message.startswith(str(config)), message
    assert re.search(expected, message), message
    assert "Traceback" not in message


def test_missing_kubeconfig_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(FleetcError, match=r"cannot read kubeconfig .*absent: no such file; pass --kubeconfig PATH"):
        read(tmp_path / "absent")


def test_impersonation_and_auth_provider_are_refused_not_ignored() -> None:
    for user, expected in (
        ({"token": TOKEN, "as": "someone"}, "impersonation"),
        ({"auth-provider": {"name": "gcp"}}, "use an exec plugin instead"),
        ({"token": TOKEN, "username": "a", "password": "b"}, "more than one way to authenticate"),
    ):
        with pytest.raises(KubeconfigError, match=expected):
            management_endpoint(kubeconfig_with("https://k.example", user), REGION)
