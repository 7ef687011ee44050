"""Small exec credential plugins (shell scripts) for the kubeconfig tests."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from .fake_api import TOKEN

V1 = "client.authentication.k8s.io/v1"


def credential(token: str = TOKEN, api_version: str = V1) -> str:
    return json.dumps({"apiVersion": api_version, "kind": "ExecCredential", "status": {"token": token}})


def write_plugin(path: Path, *, marker: Path, output: str | None = None, body: str = "") -> Path:
    """An executable script that touches ``marker``, records its environment's exec info, and prints ``output``.

    ``$KUBERNETES_EXEC_INFO`` goes to ``<marker>.info``; ``body`` is extra shell run before printing.
    """
    printed = credential() if output is None else output
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        f"touch {shlex.quote(str(marker))}\n"
        f'printf "%s" "$KUBERNETES_EXEC_INFO" > {shlex.quote(str(marker))}.info\n'
        f"{body}\n"
        f"printf '%s' {shlex.quote(printed)}\n"
    )
    path.chmod(0o755)
    return path
