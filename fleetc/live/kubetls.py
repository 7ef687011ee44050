"""The TLS side of a kubeconfig: which servers to trust and which client certificate to show.

Built with the standard library's :mod:`ssl` for httpx. The rules follow
client-go: a CA given in the kubeconfig replaces the default roots (it is
not added to them); ``insecure-skip-tls-verify`` together with a CA is an
error, because one of the two is a mistake; inline ``-data`` wins over a
file path; a client certificate needs both its certificate and its key.

Keys never touch the disk when they come inline: :mod:`ssl` loads key pairs
only from paths, so on Linux the PEM goes into an anonymous in-memory file
(``memfd_create``) read through ``/proc/self/fd``; elsewhere into a private
temporary directory that is removed at once. An encrypted key is refused
rather than prompted for (OpenSSL would otherwise ask on the terminal).
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import certifi


class TlsError(ValueError):
    """TLS settings that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class TlsSettings:
    """What a kubeconfig says about TLS, once its paths are resolved (operator kubeconfigs only have paths)."""

    ca_pem: bytes | None = None
    ca_file: Path | None = None
    insecure: bool = False
    cert_pem: bytes | None = None
    cert_file: Path | None = None
    key_pem: bytes | None = None
    key_file: Path | None = None


def ssl_context(settings: TlsSettings) -> ssl.SSLContext:
    """An SSL context for an ``https://`` API server."""
    has_ca = settings.ca_pem is not None or settings.ca_file is not None
    if settings.insecure and has_ca:
        raise TlsError(
            "insecure-skip-tls-verify is set together with a certificate authority; remove one of the two "
            "(kubectl refuses this too)"
        )
    try:
        if settings.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif settings.ca_pem is not None:
            context = ssl.create_default_context(cadata=_pem_text(settings.ca_pem, "certificate-authority-data"))
        elif settings.ca_file is not None:
            context = ssl.create_default_context(cafile=str(settings.ca_file))
        else:
            context = ssl.create_default_context(cafile=certifi.where())
    except (ssl.SSLError, ValueError) as error:
        raise TlsError(f"the certificate authority is not usable PEM: {_reason(error)}") from None
    except OSError as error:
        raise TlsError(f"cannot read certificate-authority {settings.ca_file}: {error.strerror or error}") from None
    _load_client_certificate(context, settings)
    return context


def _load_client_certificate(context: ssl.SSLContext, settings: TlsSettings) -> None:
    has_cert = settings.cert_pem is not None or settings.cert_file is not None
    has_key = settings.key_pem is not None or settings.key_file is not None
    if not has_cert and not has_key:
        return
    if has_cert != has_key:
        missing = "client-key(-data)" if has_cert else "client-certificate(-data)"
        raise TlsError(f"a client certificate needs both a certificate and a key; {missing} is missing")
    try:
        with (
            _as_path(settings.cert_pem, settings.cert_file) as cert,
            _as_path(settings.key_pem, settings.key_file) as key,
        ):
            context.load_cert_chain(cert, key, password=_refuse_passphrase)
    except _Encrypted:
        raise TlsError(
            "the client key is encrypted; fleetc cannot ask for its passphrase: use an unencrypted key"
        ) from None
    except ssl.SSLError as error:
        raise TlsError(f"the client certificate and key are not a usable PEM pair: {_reason(error)}") from None
    except OSError as error:
        raise TlsError(f"cannot read the client certificate or key: {error.strerror or error}") from None


class _Encrypted(Exception):
    pass


def _refuse_passphrase() -> bytes:
    raise _Encrypted()


@contextlib.contextmanager
def _as_path(pem: bytes | None, path: Path | None) -> Iterator[str]:
    """A path :mod:`ssl` can load: the file itself, or the inline PEM in memory (data wins, as in client-go)."""
    if pem is None:
        assert path is not None
        yield str(path)
        return
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        fd = os.memfd_create("fleetc-tls", os.MFD_CLOEXEC)
        try:
            _write_all(fd, pem)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="fleetc-tls-") as scratch:  # pragma: no cover - not Linux
        target = Path(scratch) / "pem"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, pem)
        finally:
            os.close(fd)
        yield str(target)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _pem_text(pem: bytes, what: str) -> str:
    try:
        return pem.decode("ascii")
    except UnicodeDecodeError:
        raise TlsError(f"{what} is not PEM text") from None


def _reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLError) and error.reason:
        return str(error.reason).lower().replace("_", " ")
    return str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
