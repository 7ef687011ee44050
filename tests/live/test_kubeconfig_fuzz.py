"""Random kubeconfigs from a cluster: never a subprocess, never a file opened, only KubeconfigError.

Documents are generated with any of the credential and TLS fields, of any
type, with file fields that point into a sentinel directory, and run through
``load_cluster_kubeconfig`` then ``endpoint`` (what the reader does with a
Secret). Three independent witnesses say nothing was executed or read:

- an audit hook (:func:`sys.addaudithook`) records, for the thread under
  test, every ``open`` of a file from Python and every process start
  (``subprocess.Popen``, ``os.exec``, ``os.posix_spawn``, ``os.system``,
  ``os.fork``...); there must be none;
- the exec plugin the documents name touches a marker file; it must not exist;
- the certificate, key, CA and token paths are FIFOs with a writer thread
  blocked on each: opening one for reading, from Python or from OpenSSL's C
  code (which no audit hook sees), wakes its writer, which counts it; every
  count must stay 0. A FIFO is the honest detector here: atime is unreliable.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fleetc.live.kubeconfig import Endpoint, KubeconfigError, endpoint, load_cluster_kubeconfig

from .fake_api import TOKEN
from .plugins import V1, write_plugin

EXAMPLES = int(os.environ.get("FLEETC_FUZZ_EXAMPLES", "250"))
ORIGIN = "Secret cp-x/x-kubeconfig"
PROCESS_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty")
FILE_EVENTS = ("open", "os.listdir", "os.scandir")


# --- witnesses ------------------------------------------------------------------------


@dataclass
class _Recording:
    thread: int | None = None
    events: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)


_RECORDING = _Recording()
_HOOKED = False


_MODULE_ROOTS = tuple(str(Path(entry).resolve()) for entry in sys.path if entry)


def _is_import(event: str, args: tuple[Any, ...]) -> bool:
    """Python reading one of its own modules (a lazy import), not a file a kubeconfig could name."""
    path = str(args[0]) if event == "open" and args and isinstance(args[0], str | Path) else ""
    return path.endswith((".py", ".pyc", ".so")) and path.startswith(_MODULE_ROOTS)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    mine = _RECORDING.thread == threading.get_ident()
    if mine and event.startswith(PROCESS_EVENTS + FILE_EVENTS) and not _is_import(event, args):
        _RECORDING.events.append((event, args))


@contextmanager
def recorded() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Audit events of this thread inside the block (the hook stays installed: audit hooks cannot be removed)."""
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_hook)
        _HOOKED = True
    _RECORDING.events = []
    _RECORDING.thread = threading.get_ident()
    try:
        yield _RECORDING.events
    finally:
        _RECORDING.thread = None


class FifoWatch:
    """A FIFO whose writer thread counts opens for reading (one reader may count more than once: only 0 matters)."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path, self.opened, self.stopping = path, 0, False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            fd = os.open(self.path, os.O_WRONLY)  # blocks until a reader opens the FIFO
            if self.stopping:
                os.close(fd)
                return
            self.opened += 1
            os.write(fd, b"not a pem\n")
            os.close(fd)
            time.sleep(0.01)  # a reader still holding it open would otherwise let this loop spin

    def stop(self) -> None:
        self.stopping = True
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # releases the blocked writer
        self.thread.join(5)
        os.close(fd)


@dataclass
class Sentinels:
    directory: Path
    marker: Path
    plugin: Path
    fifos: dict[str, FifoWatch]


@pytest.fixture
def sentinels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sentinels]:
    marker = tmp_path / "plugin-ran"
    plugin = write_plugin(tmp_path / "plugin.sh", marker=marker)
    fifos = {name: FifoWatch(tmp_path / name) for name in ("ca.pem", "cert.pem", "key.pem", "token")}
    monkeypatch.chdir(tmp_path)  # relative paths in the documents name the sentinels too
    try:
        yield Sentinels(tmp_path, marker, plugin, fifos)
    finally:
        for fifo in fifos.values():
            fifo.stop()


# --- documents ------------------------------------------------------------------------

SENTINEL_NAMES = ("ca.pem", "cert.pem", "key.pem", "token", "plugin.sh", "./plugin.sh")
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=2**40),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "~", "/etc/passwd", "/proc/self/environ", "C:\\x", "-", TOKEN]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
NAMES = st.sampled_from(["a", "b"])


def paths(directory: Path) -> st.SearchStrategy[str]:
    return st.sampled_from([*SENTINEL_NAMES, *(str(directory / name) for name in SENTINEL_NAMES)])


def field_values(s: Sentinels) -> dict[str, st.SearchStrategy[Any]]:
    """Every credential, TLS and network field a kubeconfig can hold, with plausible values (sentinel paths)."""
    file = paths(s.directory)
    plugin = st.fixed_dictionaries(
        {
            "command": st.sampled_from([str(s.plugin), "plugin.sh", "./plugin.sh", "sh", "true"]),
            "apiVersion": st.sampled_from([V1, "client.authentication.k8s.io/v1beta1", "x"]),
        },
        optional={
            "args": st.lists(st.text(max_size=5), max_size=2),
            "env": st.lists(st.fixed_dictionaries({"name": st.text(max_size=4), "value": st.text(max_size=4)})),
            "interactiveMode": st.sampled_from(["Never", "IfAvailable", "Always"]),
            "provideClusterInfo": st.booleans(),
        },
    )
    b64 = st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()) | st.text(max_size=16)
    return {
        "token": st.just(TOKEN),
        "tokenFile": file,
        "client-certificate": file,
        "client-certificate-data": b64,
        "client-key": file,
        "client-key-data": b64,
        "username": st.text(max_size=6),
        "password": st.text(max_size=6),
        "exec": plugin,
        "auth-provider": st.fixed_dictionaries({"name": st.just("oidc")}),
        "as": st.text(max_size=4),
        "server": st.sampled_from(["https://127.0.0.1:9/x", "http://127.0.0.1:9", "ftp://x", "https://"]),
        "certificate-authority": file,
        "certificate-authority-data": b64,
        "insecure-skip-tls-verify": st.booleans(),
        "tls-server-name": st.text(max_size=8),
        "proxy-url": st.sampled_from(["http://127.0.0.1:9", "socks5://127.0.0.1:9"]),
    }


USER_KEYS = ("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key", "client-key-data",
             "username", "password", "exec", "auth-provider", "as")  # fmt: skip
CLUSTER_KEYS = ("certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify",
                "tls-server-name", "proxy-url")  # fmt: skip


def documents(s: Sentinels, *, junk_anywhere: bool) -> st.SearchStrategy[str]:
    """Kubeconfig texts whose credential and TLS fields are plausible or of any type.

    Without ``junk_anywhere`` the rest is sound: one cluster with a usable
    server, one user, one context naming both, so that what a field would
    make fleetc do is what runs (otherwise an unrelated error would stop
    almost every document first). With it, any part may be of any type, and
    there may be several entries, or no YAML at all.
    """
    values = field_values(s)

    def body(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
        """One or a few of ``keys`` (few, so that one refused key does not always hide what another does)."""
        chosen = st.lists(st.sampled_from(keys), min_size=1, max_size=1) | st.lists(
            st.sampled_from(keys), max_size=3, unique=True
        )
        return chosen.flatmap(lambda picked: st.fixed_dictionaries({key: values[key] | VALUES for key in picked}))

    server = st.sampled_from(["http://127.0.0.1:9", "https://127.0.0.1:9/x"])
    cluster = st.tuples(server, body(CLUSTER_KEYS)).map(lambda pair: {"server": pair[0], **pair[1]})
    if not junk_anywhere:
        return st.tuples(cluster, body(USER_KEYS), st.booleans()).map(
            lambda parts: _dump(
                {
                    "clusters": [{"name": "a", "cluster": parts[0]}],
                    "users": [{"name": "a", "user": parts[1]}],
                    "contexts": [{"name": "a", "context": {"cluster": "a", "user": "a"}}],
                    "current-context": "a",
                },
                as_json=parts[2],
            )
        )

    def junk_or(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return good | VALUES

    def entries(key: str, inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        entry = st.fixed_dictionaries({"name": junk_or(NAMES), key: junk_or(inner)})
        return junk_or(st.lists(junk_or(entry), min_size=1, max_size=3))

    context = st.fixed_dictionaries({"cluster": junk_or(NAMES)}, optional={"user": junk_or(NAMES)})
    document = st.fixed_dictionaries(
        {
            "clusters": entries("cluster", cluster | body(CLUSTER_KEYS)),
            "users": entries("user", body(USER_KEYS)),
            "contexts": entries("context", context),
        },
        optional={"apiVersion": st.just("v1"), "kind": junk_or(st.just("Config")), "current-context": junk_or(NAMES)},
    )
    dumped = st.tuples(document, st.booleans()).map(lambda pair: _dump(pair[0], as_json=pair[1]))
    return dumped | st.text(max_size=200) | paths(s.directory)


def _dump(document: dict[str, Any], *, as_json: bool) -> str:
    return json.dumps(document, ensure_ascii=False) if as_json else yaml.safe_dump(document, allow_unicode=True)


VALID = json.dumps(
    {
        "clusters": [{"name": "a", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "a", "user": {"token": TOKEN}}],
        "contexts": [{"name": "a", "context": {"cluster": "a", "user": "a"}}],
        "current-context": "a",
    }
)


@pytest.mark.parametrize("junk_anywhere", [False, True], ids=["sound-structure", "junk-anywhere"])
def test_random_cluster_kubeconfigs_never_run_or_read_anything(sentinels: Sentinels, junk_anywhere: bool) -> None:
    outcomes = {"endpoint": 0, "refused": 0, "error": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(text=documents(sentinels, junk_anywhere=junk_anywhere), context=st.none() | NAMES)
    @example(text=VALID, context=None)
    @example(text=VALID.replace(f'"token": "{TOKEN}"', f'"tokenFile": "{sentinels.directory}/token"'), context=None)
    @example(text=VALID.replace(f'"token": "{TOKEN}"', '"client-certificate": "cert.pem"'), context=None)
    @example(
        text=VALID.replace(f'"token": "{TOKEN}"', f'"exec": {{"apiVersion": "{V1}", "command": "plugin.sh"}}'),
        context=None,
    )
    def check(text: str, context: str | None) -> None:
        with recorded() as events:
            try:
                result = endpoint(load_cluster_kubeconfig(text, origin=ORIGIN), name="cluster x", context=context)
            except KubeconfigError as error:
                outcomes["refused" if "is refused in a kubeconfig read from a cluster" in str(error) else "error"] += 1
            else:
                assert isinstance(result, Endpoint)
                outcomes["endpoint"] += 1
        assert events == [], events
        assert not sentinels.marker.exists()
        assert {name: fifo.opened for name, fifo in sentinels.fifos.items() if fifo.opened} == {}

    check()
    if not junk_anywhere and EXAMPLES >= 100:  # every kind of outcome was exercised, beyond the explicit examples
        assert min(outcomes.values()) >= 10, outcomes


def test_the_witnesses_can_see_what_they_watch(sentinels: Sentinels) -> None:
    """Without this, an empty record would prove nothing: each witness fires on what it is meant to catch."""
    with recorded() as events:
        with open(sentinels.directory / "token", "rb") as fifo:  # a Python-level open of a FIFO
            fifo.read()
        os.system(str(sentinels.plugin))
    assert any(event == "open" for event, _ in events) and any(event == "os.system" for event, _ in events)
    assert sentinels.marker.exists()
    assert sentinels.fifos["token"].opened >= 1
    with pytest.raises(ssl.SSLError):  # OpenSSL opening a FIFO in C, which no audit hook sees
        ssl.create_default_context(cafile=str(sentinels.directory / "ca.pem"))
    assert sentinels.fifos["ca.pem"].opened >= 1
