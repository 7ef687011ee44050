"""Exec credential plugins (``users[].user.exec``) of the operator's own kubeconfig.

Only :mod:`fleetc.live.kubeconfig` calls this, and only for a kubeconfig the
operator gave fleetc (``--kubeconfig``, ``$KUBECONFIG``, ``~/.kube/config``,
the stack secret ``fleetc:kubeconfig``): a kubeconfig read from a cluster
never gets here (it is refused when it is parsed).

The protocol is client-go's (``client.authentication.k8s.io`` ``v1`` and
``v1beta1``): the plugin runs with the caller's environment plus the
kubeconfig's ``env``, gets ``KUBERNETES_EXEC_INFO`` (an ExecCredential whose
``spec.interactive`` is false, and the cluster when ``provideClusterInfo``
is set), and prints an ExecCredential whose ``status`` holds a ``token`` or
a ``clientCertificateData`` + ``clientKeyData`` pair. fleetc runs it once per
read, with stdin closed (it never prompts), and waits at most ``timeout``
seconds; a plugin that needs a terminal (``interactiveMode: Always``) is
refused with the advice to log in first.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")
DEFAULT_TIMEOUT = 60.0  # seconds: cloud CLIs that refresh a token take a few seconds, not minutes


class ExecError(ValueError):
    """A plugin that could not give a credential; the message says what to fix."""


@dataclass(frozen=True)
class ExecPlugin:
    command: str  # already resolved against the kubeconfig's directory when it holds a path separator
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    api_version: str = API_VERSIONS[0]
    install_hint: str | None = None
    interactive_mode: str = "IfAvailable"
    provide_cluster_info: bool = False


@dataclass(frozen=True)
class ExecCredential:
    token: str | None = None
    client_certificate: bytes | None = None  # PEM
    client_key: bytes | None = None  # PEM


def run_plugin(
    plugin: ExecPlugin, *, cluster: Mapping[str, object] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> ExecCredential:
    """Run ``plugin`` once and return the credential it printed."""
    name = plugin.command
    if plugin.interactive_mode == "Always":
        raise ExecError(
            f"exec plugin {name} needs an interactive terminal (interactiveMode: Always), and fleetc runs "
            "plugins without one: log in with the plugin in a shell first, or configure it not to prompt"
        )
    spec: dict[str, object] = {"interactive": False}
    if plugin.provide_cluster_info and cluster is not None:
        spec["cluster"] = dict(cluster)
    env = {**os.environ, **dict(plugin.env)}
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": plugin.api_version, "kind": "ExecCredential", "spec": spec})
    try:
        done = subprocess.run(
            [plugin.command, *plugin.args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        hint = f": {plugin.install_hint.strip()}" if plugin.install_hint and plugin.install_hint.strip() else ""
        raise ExecError(f"exec plugin {name} was not found (not on $PATH or no such file){hint}") from None
    except PermissionError:
        raise ExecError(f"exec plugin {name} is not executable; check its permissions") from None
    except subprocess.TimeoutExpired:
        raise ExecError(
            f"exec plugin {name} did not finish within {timeout:g} s (KubeOptions.exec_timeout); "
            "it was stopped: check that it does not wait for input"
        ) from None
    except OSError as error:
        raise ExecError(f"exec plugin {name} could not be started: {error.strerror or error}") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()[:300]
        raise ExecError(f"exec plugin {name} failed with exit code {done.returncode}: {stderr or 'no message'}")
    return _credential(name, plugin.api_version, done.stdout)


def _credential(name: str, api_version: str, stdout: bytes) -> ExecCredential:
    what = f"exec plugin {name} printed"
    try:
        printed = json.loads(stdout)
    except ValueError:
        raise ExecError(f"{what} no JSON ExecCredential on stdout") from None
    if not isinstance(printed, dict) or printed.get("kind") != "ExecCredential":
        raise ExecError(f"{what} something other than an ExecCredential (kind: ExecCredential)")
    if printed.get("apiVersion") != api_version:
        raise ExecError(
            f"{what} apiVersion {printed.get('apiVersion')!r}, but the kubeconfig asks for {api_version!r}; "
            "make the two agree"
        )
    status = printed.get("status")
    if not isinstance(status, dict):
        raise ExecError(f"{what} an ExecCredential without status")
    token, cert, key = status.get("token"), status.get("clientCertificateData"), status.get("clientKeyData")
    if isinstance(token, str) and token:
        return ExecCredential(token=token)
    if isinstance(cert, str) and isinstance(key, str) and cert and key:
        return ExecCredential(client_certificate=cert.encode(), client_key=key.encode())
    raise ExecError(f"{what} an ExecCredential with neither status.token nor clientCertificateData + clientKeyData")
