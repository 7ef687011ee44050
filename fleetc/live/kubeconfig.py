"""Kubeconfig -> where and how to connect (an :class:`Endpoint` for httpx).

lightkube parses the kubeconfig (contexts, clusters, users, paths relative
to the file); the connection itself is built here with the standard
library's ssl and httpx, because lightkube's own client adapter is built on
a different HTTP package (httpx2) than the one fleetc uses.

Supported credentials: bearer token, token file, client certificate (file
or inline data), basic auth, and exec plugins (run once per read). Every
failure is a :class:`KubeconfigError` whose message says what to fix; the
callers decide whether that is fatal (the management cluster) or makes one
cluster unknown (a customer kubeconfig read from a Secret).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import ssl
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import certifi
import httpx
import msgspec
import yaml
from lightkube import KubeConfig
from lightkube.core.exceptions import ConfigError

_PARSE_ERRORS = (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError, msgspec.MsgspecError, ConfigError)


class KubeconfigError(ValueError):
    """A kubeconfig that cannot be used; the message names the source and the fix."""


@dataclass(frozen=True)
class Endpoint:
    """Everything needed to open an httpx client to one API server."""

    name: str  # for messages: "management cluster us-east-04", "cluster alpha-train"
    server: str
    verify: ssl.SSLContext | bool = True
    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None

    def client(self, timeout: float, max_connections: int = 8) -> httpx.AsyncClient:
        """An async client for this endpoint; the caller closes it."""
        return httpx.AsyncClient(
            base_url=self.server,
            verify=self.verify,
            headers={"Accept": "application/json", "User-Agent": "fleetc", **self.headers},
            auth=self.auth,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            trust_env=False,
        )


def looks_like_text(source: str | Path) -> bool:
    """A kubeconfig given inline (a Pulumi secret, a Secret's value) rather than as a path."""
    return isinstance(source, str) and ("\n" in source or source.lstrip().startswith(("apiVersion", "{")))


def default_kubeconfig_path() -> Path | None:
    """$KUBECONFIG (its first existing entry), else ~/.kube/config if it exists, like kubectl."""
    for entry in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        if entry and Path(entry).expanduser().is_file():
            return Path(entry).expanduser()
    home = Path("~/.kube/config").expanduser()
    return home if home.is_file() else None


def load_kubeconfig(source: str | Path, *, origin: str) -> KubeConfig:
    """Parse a kubeconfig from a path or inline YAML text."""
    path: Path | None = None
    if looks_like_text(source):
        text = str(source)
    else:
        path = Path(source).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise KubeconfigError(
                f"cannot read kubeconfig {path}: {error.strerror or error}; pass --kubeconfig PATH or set $KUBECONFIG"
            ) from None
        except UnicodeDecodeError:
            raise KubeconfigError(f"kubeconfig {path} is not UTF-8 text") from None
    try:
        document = yaml.safe_load(text)
        if not isinstance(document, dict):
            raise KubeconfigError(f"{origin} is not a kubeconfig: expected a YAML mapping with clusters and contexts")
        return KubeConfig.from_dict(document, fname=path)
    except KubeconfigError:
        raise
    except _PARSE_ERRORS as error:
        raise KubeconfigError(f"{origin} is not a usable kubeconfig: {_describe(error)}") from None


def context_names(config: KubeConfig) -> list[str]:
    return sorted(config.contexts)


def endpoint(config: KubeConfig, *, name: str, context: str | None = None, origin: str) -> Endpoint:
    """Connection settings of ``context`` (default: the current context) of a parsed kubeconfig."""
    try:
        single = config.get(context)
        if single is None:  # pragma: no cover - lightkube raises instead when there is no default
            raise ConfigError("no current context")
        cluster, user = single.cluster, single.user
        server = cluster.server.rstrip("/")
        if not server.startswith(("https://", "http://")):
            raise KubeconfigError(f"{origin}: server {server!r} is not an http(s) URL")
        headers: dict[str, str] = {}
        auth: httpx.Auth | None = None
        if user is not None:
            headers, auth = _credentials(user, single.abs_file, origin)
        verify = _tls(cluster, user, single.abs_file) if server.startswith("https://") else True
        return Endpoint(name=name, server=server, verify=verify, headers=headers, auth=auth)
    except KubeconfigError:
        raise
    except (*_PARSE_ERRORS, OSError, ssl.SSLError, binascii.Error, subprocess.SubprocessError) as error:
        raise KubeconfigError(f"{origin}: {_describe(error)}") from None


def _credentials(user: Any, abs_file: Any, origin: str) -> tuple[dict[str, str], httpx.Auth | None]:
    if user.token:
        return {"Authorization": f"Bearer {user.token}"}, None
    if user.token_file:
        token = Path(abs_file(user.token_file)).read_text(encoding="utf-8").strip()
        return {"Authorization": f"Bearer {token}"}, None
    if user.exec:
        return {"Authorization": f"Bearer {_exec_token(user.exec)}"}, None
    if user.username and user.password:
        return {}, httpx.BasicAuth(user.username, user.password)
    if user.auth_provider:
        raise KubeconfigError(f"{origin}: auth-provider is not supported; use a token, a client certificate or exec")
    return {}, None  # client certificate (in the TLS context) or anonymous


def _exec_token(spec: Any) -> str:
    """Run an exec credential plugin once (client.authentication.k8s.io ExecCredential)."""
    env = dict(os.environ)
    env.update({var.name: var.value for var in spec.env or ()})
    done = subprocess.run([spec.command, *(spec.args or [])], env=env, capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise KubeconfigError(f"exec plugin {spec.command} failed ({done.returncode}): {done.stderr.decode()[:300]}")
    try:
        token = json.loads(done.stdout)["status"]["token"]
    except (ValueError, KeyError, TypeError):
        raise KubeconfigError(f"exec plugin {spec.command} printed no ExecCredential with status.token") from None
    if not isinstance(token, str):
        raise KubeconfigError(f"exec plugin {spec.command} printed a status.token that is not a string")
    return token


def _tls(cluster: Any, user: Any, abs_file: Any) -> ssl.SSLContext:
    if cluster.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif cluster.certificate_auth_data:
        pem = base64.b64decode(cluster.certificate_auth_data).decode("ascii")
        context = ssl.create_default_context(cadata=pem)
    elif cluster.certificate_auth:
        context = ssl.create_default_context(cafile=str(abs_file(cluster.certificate_auth)))
    else:
        context = ssl.create_default_context(cafile=certifi.where())
    if user is not None and (user.client_cert or user.client_cert_data):
        _load_client_cert(context, user, abs_file)
    return context


def _load_client_cert(context: ssl.SSLContext, user: Any, abs_file: Any) -> None:
    """ssl loads key pairs only from files: inline data goes through private temp files, deleted at once."""
    with tempfile.TemporaryDirectory(prefix="fleetc-tls-") as scratch:
        cert = _file_or_data(user.client_cert, user.client_cert_data, abs_file, Path(scratch) / "cert.pem")
        key = _file_or_data(user.client_key, user.client_key_data, abs_file, Path(scratch) / "key.pem")
        context.load_cert_chain(cert, key)


def _file_or_data(path: str | None, data: str | None, abs_file: Any, scratch: Path) -> str:
    if data:
        scratch.write_bytes(base64.b64decode(data))
        scratch.chmod(0o600)
        return str(scratch)
    if path:
        return str(abs_file(path))
    raise KubeconfigError("a client certificate needs both a certificate and a key")


def _describe(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"missing {error}"
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]
