"""Kubeconfigs, and who may say what in them -> where and how to connect (an :class:`Endpoint`).

There are two trust levels, with one entry point each, and the level is
carried by the parsed :class:`Kubeconfig`, so no caller can read a
cluster's kubeconfig with the operator's semantics by accident:

- :func:`load_operator_kubeconfig`: the operator's own kubeconfig
  (``--kubeconfig PATH``, ``$KUBECONFIG``, ``~/.kube/config``, or inline
  text such as the stack secret ``fleetc:kubeconfig``). Full kubectl
  semantics: exec credential plugins (:mod:`fleetc.live.kubeexec`), ``token``
  and ``tokenFile``, client certificate and key as files or data, CA as a
  file or data, ``insecure-skip-tls-verify``, ``tls-server-name``,
  ``proxy-url`` (http/https), basic auth; relative paths resolve against the
  directory of the file that names them (inline text: the working
  directory); a ``$KUBECONFIG`` list is merged like kubectl merges it (for
  clusters, users and contexts the first file to define a name wins,
  ``current-context`` comes from the first file that sets one, files that do
  not exist are skipped, and no file at all is an error).
- :func:`load_cluster_kubeconfig`: a kubeconfig that came from a cluster
  (the Kamaji / Cluster API Secret ``cp-<c>/<c>-kubeconfig``). It is data,
  never code: it may carry inline credentials only (``token``,
  ``client-certificate-data`` + ``client-key-data``,
  ``certificate-authority-data``, ``insecure-skip-tls-verify``,
  ``tls-server-name``, ``username``/``password``). A kubeconfig holding any
  of ``exec``, ``auth-provider``, ``tokenFile``, ``client-certificate``,
  ``client-key``, ``certificate-authority`` or ``proxy-url`` (anywhere in it,
  used or not) is refused as a whole before anything is acted on, so
  whoever can write that Secret can neither run a command on the operator's
  machine, nor make fleetc read one of its files (and send it to the
  Secret's server), nor route fleetc's traffic. It is only ever given as
  text, so it is never mistaken for a path either.

Impersonation (``as``, ``as-groups``, ...) and ``auth-provider`` are refused
at both levels: ignoring them would read as a different identity than the
kubeconfig says. Parsing goes through the fleet's hardened YAML reader
(:mod:`fleetc.spec.source`: alias and nesting budgets, positions), so every
failure is a :class:`KubeconfigError` that says ``file:line:col: what is
wrong and how to fix it``; callers decide whether that is fatal (the
operator's kubeconfig) or makes one cluster unknown (a Secret's).
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from fleetc.errors import Diagnostic, Pos, one_line
from fleetc.live.kubeexec import API_VERSIONS, DEFAULT_TIMEOUT, INTERACTIVE_MODES, ExecError, ExecPlugin, run_plugin
from fleetc.live.kubetls import TlsError, TlsSettings, ssl_context
from fleetc.spec.source import Document, read_file

INLINE = "<inline kubeconfig>"
MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024  # real ones are kilobytes; a Secret holds at most 1 MiB
MAX_TOKEN_FILE_BYTES = 1024 * 1024

# What a key of a cluster's kubeconfig would make fleetc do: the reason it is refused.
_REFUSED_FROM_CLUSTERS = {
    "users": {
        "exec": "run a command on this machine",
        "auth-provider": "run an auth-provider plugin on this machine",
        "tokenFile": "read a token from a file on this machine",
        "client-certificate": "read a certificate from a file on this machine",
        "client-key": "read a key from a file on this machine",
    },
    "clusters": {
        "certificate-authority": "read a CA certificate from a file on this machine",
        "proxy-url": "send its traffic through a proxy the kubeconfig names",
    },
}
INLINE_CREDENTIALS = (
    "token, client-certificate-data + client-key-data, certificate-authority-data, insecure-skip-tls-verify, "
    "username/password"
)
_IMPERSONATION = ("as", "as-uid", "as-groups", "as-user-extra")


class Trust(Enum):
    OPERATOR = "operator"  # the operator's own kubeconfig: full kubectl semantics
    CLUSTER = "cluster"  # read from a cluster: inline credentials only


class KubeconfigError(ValueError):
    """A kubeconfig that cannot be used: where (``file:line:col``, when there is a place) and the fix."""

    def __init__(self, pos: Pos | None, message: str) -> None:
        self.pos, self.message = pos, message
        super().__init__(one_line(f"{pos}: {message}" if pos else message))

    @property
    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.pos or Pos("<kubeconfig>"), self.message)


@dataclass(frozen=True)
class KubeconfigFiles:
    """The files of a ``$KUBECONFIG`` list, in order, merged when loaded."""

    paths: tuple[Path, ...]

    def __str__(self) -> str:
        return os.pathsep.join(str(path) for path in self.paths)


KubeconfigSource = str | Path | KubeconfigFiles


@dataclass(frozen=True)
class Endpoint:
    """Everything needed to open an httpx client to one API server."""

    name: str  # for messages: "management cluster of us-east-04", "cluster alpha-train"
    server: str
    verify: ssl.SSLContext | bool = True
    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None
    tls_server_name: str | None = None  # the name the server's certificate must carry, when not the URL's host
    proxy: str | None = None

    def client(self, timeout: float, max_connections: int = 8) -> httpx.AsyncClient:
        """An async client for this endpoint; the caller closes it.

        ``trust_env=False``: no proxy variables and no ``~/.netrc`` (whose
        passwords httpx would otherwise send to whatever server a cluster's
        kubeconfig names).
        """
        hooks = {"request": [self._set_server_name]} if self.tls_server_name else {}
        return httpx.AsyncClient(
            base_url=self.server,
            verify=self.verify,
            headers={"Accept": "application/json", "User-Agent": "fleetc", **self.headers},
            auth=self.auth,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            proxy=self.proxy,
            trust_env=False,
            event_hooks=hooks,
        )

    async def _set_server_name(self, request: httpx.Request) -> None:
        request.extensions["sni_hostname"] = self.tls_server_name  # httpcore sends it as SNI and checks it


@dataclass(frozen=True)
class _Entry:
    """One named cluster, user or context: its body, where it was written, and what relative paths mean."""

    name: str
    body: Mapping[str, Any]
    doc: Document
    path: tuple[str | int, ...]  # of ``body`` in ``doc``
    base: Path | None  # directory for relative paths; None: paths are not allowed (a cluster's kubeconfig)

    def pos(self, key: str | None = None) -> Pos:
        return self.doc.pos((*self.path, key) if key is not None else self.path)


@dataclass(frozen=True)
class Kubeconfig:
    """A parsed (and, for several files, merged) kubeconfig; build it with one of the two loaders."""

    display: str  # for messages about the whole of it
    trust: Trust
    clusters: Mapping[str, _Entry]
    users: Mapping[str, _Entry]
    contexts: Mapping[str, _Entry]
    current_context: str | None


# --- where the operator's kubeconfig is ---------------------------------------


def looks_like_text(source: KubeconfigSource) -> bool:
    """A kubeconfig given inline (a Pulumi secret) rather than as a path."""
    return isinstance(source, str) and ("\n" in source or source.lstrip().startswith(("apiVersion", "{")))


def default_kubeconfig_path() -> KubeconfigFiles | Path | None:
    """What kubectl would read: every file of ``$KUBECONFIG`` (merged on load), else ``~/.kube/config``.

    A set ``$KUBECONFIG`` is used even when none of its files exists (then
    loading it is an error that lists them), as kubectl does, rather than
    silently falling back to another cluster's credentials.
    """
    entries: list[Path] = []
    for entry in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        path = Path(entry).expanduser() if entry else None
        if path is not None and path not in entries:
            entries.append(path)
    if entries:
        return KubeconfigFiles(tuple(entries))
    try:
        home = Path("~/.kube/config").expanduser()
    except RuntimeError:  # no home directory
        return None
    return home if home.is_file() else None


def describe(source: KubeconfigSource) -> str:
    """How messages name a kubeconfig source."""
    if isinstance(source, KubeconfigFiles):
        return f"$KUBECONFIG ({source})"
    return INLINE if looks_like_text(source) else str(Path(source).expanduser())


# --- loading --------------------------------------------------------------------


def load_operator_kubeconfig(source: KubeconfigSource) -> Kubeconfig:
    """The operator's own kubeconfig, with full kubectl semantics (see the module docstring)."""
    if isinstance(source, KubeconfigFiles):
        documents: list[tuple[Document, Path | None]] = []
        found = False
        for path in source.paths:
            data = _read(path, missing_ok=True)  # kubectl skips the files of the list that do not exist
            found = found or data is not None
            document = _parse(data, str(path)) if data is not None else None
            if document is not None:
                documents.append((document, _directory_of(path)))
        if not found:
            raise KubeconfigError(
                Pos(describe(source)),
                "none of the files named in $KUBECONFIG exists; fix $KUBECONFIG or pass --kubeconfig PATH",
            )
        return _build(documents, Trust.OPERATOR, describe(source))
    if looks_like_text(source):
        document = _parse(str(source).encode("utf-8"), INLINE)
        return _build([(document, Path.cwd())] if document else [], Trust.OPERATOR, INLINE)
    path = Path(source).expanduser()
    data = _read(path, missing_ok=False)
    assert data is not None
    document = _parse(data, str(path))
    return _build([(document, _directory_of(path))] if document else [], Trust.OPERATOR, str(path))


def load_cluster_kubeconfig(text: str, *, origin: str) -> Kubeconfig:
    """A kubeconfig that came from a cluster (``origin``, e.g. ``Secret cp-a/a-kubeconfig``): inline credentials only.

    Refuses the whole kubeconfig if it holds anything that would make fleetc
    run a command, read a local file or use a proxy, wherever that is in it.
    """
    display = f"{origin} data.value"
    document = _parse(text.encode("utf-8"), display)
    config = _build([(document, None)] if document else [], Trust.CLUSTER, display)
    for section, refused in _REFUSED_FROM_CLUSTERS.items():
        for entry in _all_entries(document, section, None) if document else ():
            for key, does in refused.items():
                if key in entry.body:
                    raise KubeconfigError(
                        entry.pos(key),
                        f"{key} is refused in a kubeconfig read from a cluster: it would make fleetc {does}. "
                        f"A kubeconfig in {origin} may carry inline credentials only ({INLINE_CREDENTIALS}); "
                        f"fix {origin} so that it holds such a kubeconfig (Kamaji and Cluster API write one)",
                    )
    return config


def _directory_of(path: Path) -> Path:
    return Path(os.path.abspath(path)).parent


def _read(path: Path, *, missing_ok: bool) -> bytes | None:
    """The bytes of a kubeconfig file, at most :data:`MAX_KUBECONFIG_BYTES` (a bounded read)."""
    hint = "pass --kubeconfig PATH or set $KUBECONFIG"
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KUBECONFIG_BYTES + 1)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise KubeconfigError(Pos(str(path)), f"cannot read kubeconfig {path}: no such file; {hint}") from None
    except OSError as error:
        raise KubeconfigError(
            Pos(str(path)), f"cannot read kubeconfig {path}: {error.strerror or error}; {hint}"
        ) from None
    if len(data) > MAX_KUBECONFIG_BYTES:
        raise KubeconfigError(
            Pos(str(path)), f"kubeconfig {path} is larger than {MAX_KUBECONFIG_BYTES // 1024 // 1024} MiB; is it one?"
        )
    return data


def _parse(data: bytes, display: str) -> Document | None:
    """One YAML document, or None for an empty kubeconfig."""
    if len(data) > MAX_KUBECONFIG_BYTES:
        raise KubeconfigError(Pos(display), f"larger than {MAX_KUBECONFIG_BYTES // 1024 // 1024} MiB: not a kubeconfig")
    if b"\x00" in data:
        raise KubeconfigError(Pos(display), "binary data, not a kubeconfig (YAML text)")
    if not data.strip():
        return None
    errors: list[Diagnostic] = []
    documents = read_file(Path(display), display, errors, data).documents
    if errors:
        raise KubeconfigError(errors[0].pos, f"{errors[0].message} (not a usable kubeconfig)")
    if len(documents) > 1:
        raise KubeconfigError(
            Pos(display, *documents[1].positions[()]), "a kubeconfig is one YAML document; remove the ---"
        )
    return documents[0] if documents else None


def _build(documents: list[tuple[Document, Path | None]], trust: Trust, display: str) -> Kubeconfig:
    sections: dict[str, dict[str, _Entry]] = {"clusters": {}, "users": {}, "contexts": {}}
    current: str | None = None
    for document, base in documents:
        data = document.data
        if not isinstance(data, dict):
            raise KubeconfigError(
                document.pos(()), "not a kubeconfig: expected a mapping with clusters, users and contexts"
            )
        kind = data.get("kind")
        if kind is not None and kind != "Config":
            shown = f"kind is {kind[:40]!r}" if isinstance(kind, str) else "kind is not a string"
            raise KubeconfigError(document.pos(("kind",)), f"{shown}: a kubeconfig has kind: Config")
        for section, entries in sections.items():
            for entry in _all_entries(document, section, base):
                entries.setdefault(entry.name, entry)  # the first to define a name wins
        named = data.get("current-context")
        if named is not None and not isinstance(named, str):
            raise KubeconfigError(document.pos(("current-context",)), "current-context must be a context's name")
        if current is None and named:
            current = named
    return Kubeconfig(display, trust, sections["clusters"], sections["users"], sections["contexts"], current)


def _all_entries(document: Document, section: str, base: Path | None) -> list[_Entry]:
    """Every entry of ``section`` in ``document``, duplicates included (each is checked)."""
    data = document.data
    items = data.get(section) if isinstance(data, dict) else None
    if items is None:
        return []
    if not isinstance(items, list):
        raise KubeconfigError(document.pos((section,)), f"{section} must be a list of {{name, {section[:-1]}}}")
    body_key = section[:-1]  # clusters -> cluster, users -> user, contexts -> context
    found: list[_Entry] = []
    for index, item in enumerate(items):
        where = document.pos((section, index))
        if not isinstance(item, dict):
            raise KubeconfigError(where, f"{section}[{index}] must be a mapping with name and {body_key}")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise KubeconfigError(where, f"{section}[{index}] needs a name (a non-empty string)")
        body = item.get(body_key)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise KubeconfigError(
                document.pos((section, index, body_key)), f"{section}[{index}].{body_key} must be a mapping"
            )
        found.append(_Entry(name, body, document, (section, index, body_key), base))
    return found


# --- connecting -----------------------------------------------------------------


def endpoint(
    config: Kubeconfig, *, name: str, context: str | None = None, exec_timeout: float = DEFAULT_TIMEOUT
) -> Endpoint:
    """Connection settings of ``context`` (default: the current context).

    For the operator's kubeconfig this may run its exec plugin (once, at
    most ``exec_timeout`` seconds) and read the files it names; for a
    cluster's kubeconfig it never does either.
    """
    chosen = context or config.current_context
    if not chosen:
        raise KubeconfigError(
            Pos(config.display), "no current-context and no context asked for; set one with kubectl config use-context"
        )
    ctx = config.contexts.get(chosen)
    if ctx is None:
        known = ", ".join(sorted(config.contexts)) or "none"
        raise KubeconfigError(Pos(config.display), f"no context named {chosen!r} (it has: {known})")
    fields = _Fields(ctx, f"context {chosen!r}", config.trust)
    cluster_name, user_name = fields.text("cluster"), fields.text("user")
    if not cluster_name:
        raise KubeconfigError(ctx.pos(), f"context {chosen!r} names no cluster; add cluster: NAME")
    cluster = config.clusters.get(cluster_name)
    if cluster is None:
        raise KubeconfigError(
            ctx.pos("cluster"), f"context {chosen!r} names cluster {cluster_name!r}, which is not defined"
        )
    user = config.users.get(user_name) if user_name else None
    if user_name and user is None:
        raise KubeconfigError(ctx.pos("user"), f"context {chosen!r} names user {user_name!r}, which is not defined")
    return _Connection(config, cluster, user).endpoint(name, exec_timeout)


class _Fields:
    """Typed access to one entry's keys, with positions in every message."""

    def __init__(self, entry: _Entry, what: str, trust: Trust) -> None:
        self.entry, self.what, self.trust = entry, what, trust

    def fail(self, key: str, message: str) -> KubeconfigError:
        return KubeconfigError(self.entry.pos(key), f"{self.what}: {key} {message}")

    def text(self, key: str) -> str | None:
        value = self.entry.body.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(key, "must be a string")
        return value

    def flag(self, key: str) -> bool:
        value = self.entry.body.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def data(self, key: str) -> bytes | None:
        value = self.text(key)
        if value is None:
            return None
        try:
            return base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise self.fail(key, "is not base64 (kubeconfig -data fields hold base64 of PEM)") from None

    def path(self, key: str) -> Path | None:
        value = self.text(key)
        if value is None:
            return None
        base = self.entry.base
        if self.trust is not Trust.OPERATOR or base is None:  # refused when parsed; never reached
            raise self.fail(key, "is a local path, which a kubeconfig from a cluster may not name")
        return base / value  # an absolute value stays as it is

    def mapping_list(self, key: str) -> list[Mapping[str, Any]]:
        value = self.entry.body.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(key, "must be a list of mappings")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.entry.body.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(value)


class _Connection:
    """One context's cluster + user turned into an :class:`Endpoint`."""

    def __init__(self, config: Kubeconfig, cluster: _Entry, user: _Entry | None) -> None:
        self.config = config
        self.cluster = _Fields(cluster, f"cluster {cluster.name!r}", config.trust)
        self.user = _Fields(user, f"user {user.name!r}", config.trust) if user else None
        self._guard()

    def _guard(self) -> None:
        """Defence in depth: a cluster's kubeconfig was checked when parsed; check the entries used again."""
        if self.config.trust is Trust.OPERATOR:
            return
        for fields, section in ((self.cluster, "clusters"), (self.user, "users")):
            if fields is not None:
                for key in _REFUSED_FROM_CLUSTERS[section]:
                    if key in fields.entry.body:
                        raise fields.fail(key, "is refused in a kubeconfig read from a cluster")

    def endpoint(self, name: str, exec_timeout: float) -> Endpoint:
        server = self._server()
        headers, auth, cert, key = self._credentials(server, exec_timeout)
        verify: ssl.SSLContext | bool = True
        tls_server_name = self.cluster.text("tls-server-name")
        if server.startswith("https://"):
            user = self.user
            settings = TlsSettings(
                ca_pem=self.cluster.data("certificate-authority-data"),
                ca_file=self._path(self.cluster, "certificate-authority"),
                insecure=self.cluster.flag("insecure-skip-tls-verify"),
                cert_pem=cert if cert is not None else (user.data("client-certificate-data") if user else None),
                cert_file=self._path(user, "client-certificate") if user and cert is None else None,
                key_pem=key if key is not None else (user.data("client-key-data") if user else None),
                key_file=self._path(user, "client-key") if user and key is None else None,
            )
            try:
                verify = ssl_context(settings)
            except TlsError as error:
                raise KubeconfigError(self.cluster.entry.pos(), f"{self.cluster.what}: {error}") from None
        return Endpoint(name, server, verify, headers, auth, tls_server_name, self._proxy())

    def _path(self, fields: _Fields, key: str) -> Path | None:
        """A file path, unless the same field is also given inline (data wins, as in client-go)."""
        if fields.entry.body.get(f"{key}-data"):
            return None
        return fields.path(key)

    def _server(self) -> str:
        server = self.cluster.text("server")
        if server is None:
            raise self.cluster.fail("server", "is missing; add the API server's https:// URL")
        parts = urlsplit(server)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise self.cluster.fail("server", f"{server!r} is not an http(s) URL with a host")
        return server.rstrip("/")

    def _proxy(self) -> str | None:
        proxy = self.cluster.text("proxy-url")
        if proxy is None:
            return None
        if urlsplit(proxy).scheme not in ("http", "https"):
            raise self.cluster.fail("proxy-url", "is not an http:// or https:// proxy (fleetc supports no other kind)")
        return proxy

    def _credentials(
        self, server: str, exec_timeout: float
    ) -> tuple[dict[str, str], httpx.Auth | None, bytes | None, bytes | None]:
        """Headers and auth, plus a client certificate and key from an exec plugin, if it gave one."""
        user = self.user
        if user is None:
            return {}, None, None, None
        for key in _IMPERSONATION:
            if key in user.entry.body:
                raise user.fail(
                    key, "(impersonation) is not supported by fleetc; use a user that is the identity to read as"
                )
        if "auth-provider" in user.entry.body:
            raise user.fail(
                "auth-provider",
                "is not supported (kubectl dropped auth-provider plugins in 1.26); use an exec plugin instead",
            )
        token, token_file = user.text("token"), user.path("tokenFile")
        username, password = user.text("username"), user.text("password")
        plugin = self._exec_plugin(user) if user.entry.body.get("exec") is not None else None
        methods = [
            m
            for m, used in (("token", token or token_file), ("basic auth", username or password), ("exec", plugin))
            if used
        ]
        if len(methods) > 1:
            raise KubeconfigError(
                user.entry.pos(), f"{user.what} sets more than one way to authenticate ({', '.join(methods)}); keep one"
            )
        if token_file is not None:
            return {"Authorization": f"Bearer {self._token_from(user, token_file)}"}, None, None, None
        if token:
            return {"Authorization": f"Bearer {token}"}, None, None, None
        if username or password:
            if not username:
                raise user.fail("password", "is set without a username")
            return {}, httpx.BasicAuth(username, password or ""), None, None
        if plugin is not None:
            try:
                credential = run_plugin(plugin, cluster=self._cluster_info(server), timeout=exec_timeout)
            except ExecError as error:
                raise KubeconfigError(user.entry.pos("exec"), f"{user.what}: {error}") from None
            if credential.token:
                return {"Authorization": f"Bearer {credential.token}"}, None, None, None
            return {}, None, credential.client_certificate, credential.client_key
        return {}, None, None, None  # a client certificate (in the TLS context), or anonymous

    def _token_from(self, user: _Fields, path: Path) -> str:
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_TOKEN_FILE_BYTES + 1)
        except OSError as error:
            raise user.fail("tokenFile", f"{path} cannot be read: {error.strerror or error}") from None
        if len(raw) > MAX_TOKEN_FILE_BYTES:
            raise user.fail("tokenFile", f"{path} is larger than 1 MiB: not a token")
        token = raw.decode("utf-8", "replace").strip()
        if not token:
            raise user.fail("tokenFile", f"{path} is empty")
        return token

    def _exec_plugin(self, user: _Fields) -> ExecPlugin:
        entry = user.entry
        spec = entry.body.get("exec")
        if not isinstance(spec, dict):
            raise user.fail("exec", "must be a mapping with apiVersion and command")
        fields = _Fields(
            _Entry(entry.name, spec, entry.doc, (*entry.path, "exec"), entry.base),
            f"{user.what} exec",
            self.config.trust,
        )
        api_version = fields.text("apiVersion")
        if api_version not in API_VERSIONS:
            raise fields.fail(
                "apiVersion", f"must be one of {', '.join(API_VERSIONS)} (v1alpha1 is gone since Kubernetes 1.24)"
            )
        command = fields.text("command")
        if command is None:
            raise fields.fail("command", "is missing")
        if os.sep in command and not os.path.isabs(command) and entry.base is not None:
            command = str(entry.base / command)  # like kubectl: relative to the kubeconfig's directory
        env: list[tuple[str, str]] = []
        for index, item in enumerate(fields.mapping_list("env")):
            name, value = item.get("name"), item.get("value")
            if not isinstance(name, str) or not name or not isinstance(value, str):
                raise KubeconfigError(
                    fields.entry.pos("env"), f"{fields.what}: env[{index}] needs a name and a string value"
                )
            env.append((name, value))
        mode = fields.text("interactiveMode") or "IfAvailable"
        if mode not in INTERACTIVE_MODES:
            raise fields.fail("interactiveMode", f"must be one of {', '.join(INTERACTIVE_MODES)}")
        return ExecPlugin(
            command=command,
            args=fields.strings("args"),
            env=tuple(env),
            api_version=api_version,
            install_hint=fields.text("installHint"),
            interactive_mode=mode,
            provide_cluster_info=fields.flag("provideClusterInfo"),
        )

    def _cluster_info(self, server: str) -> dict[str, object]:
        """The cluster as ``KUBERNETES_EXEC_INFO`` carries it (for plugins with ``provideClusterInfo``)."""
        info: dict[str, object] = {"server": server}
        for key in ("tls-server-name", "certificate-authority-data", "proxy-url"):
            value = self.cluster.text(key)
            if value:
                info[key] = value
        if self.cluster.flag("insecure-skip-tls-verify"):
            info["insecure-skip-tls-verify"] = True
        return info
