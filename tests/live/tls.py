"""A throwaway PKI for the TLS tests, made with the openssl command line (skipped where there is none).

One CA signs a server certificate for ``kube.test`` only (so a client that
connects to 127.0.0.1 must be told the name: ``tls-server-name``) and a
client certificate with the common name the fake API authenticates.
"""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from .fake_api import CLIENT_CN

SERVER_NAME = "kube.test"


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    encrypted_client_key: Path  # the same key under a passphrase

    def server_context(self) -> ssl.SSLContext:
        """Server side: its certificate, and client certificates from the CA accepted (not required)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        context.load_verify_locations(cafile=self.ca)
        context.verify_mode = ssl.CERT_OPTIONAL
        return context

    @staticmethod
    def data(path: Path) -> str:
        """A file as a kubeconfig ``-data`` field holds it (base64 of the PEM)."""
        return base64.b64encode(path.read_bytes()).decode()


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(directory: Path) -> Pki:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    directory.mkdir(parents=True, exist_ok=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=fleetc-test-ca",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         cwd=directory)  # fmt: skip
    for name, subject, extensions in (
        ("server", f"/CN={SERVER_NAME}", f"subjectAltName=DNS:{SERVER_NAME}\nextendedKeyUsage=serverAuth\n"),
        ("client", f"/CN={CLIENT_CN}", "extendedKeyUsage=clientAuth\n"),
    ):
        (directory / f"{name}.ext").write_text(extensions)
        _run("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=directory)
        _run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=directory)  # fmt: skip
    _run(
        "pkey", "-in", "client.key", "-aes256", "-passout", "pass:secret", "-out", "client-encrypted.key", cwd=directory
    )
    return Pki(
        directory,
        directory / "ca.crt",
        directory / "server.crt",
        directory / "server.key",
        directory / "client.crt",
        directory / "client.key",
        directory / "client-encrypted.key",
    )
