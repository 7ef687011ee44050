"""A shell for distroless images: a static busybox copied into an ``emptyDir`` by an init container.

etcd's and kubectl's images carry no shell; fleetc's scripts (etcd member
handling, the encryption key's Job) run with ``/tools/sh`` and the busybox
applets they name, calling the image's own binaries.
"""

from __future__ import annotations

from typing import Any

BUSYBOX_IMAGE = "docker.io/library/busybox:1.36.1"
TOOLS = "/tools"
VOLUME = "tools"


def tools_init(applets: str) -> dict[str, Any]:
    """The init container that copies busybox and links ``applets`` (space-separated) next to it."""
    return {
        "name": VOLUME,
        "image": BUSYBOX_IMAGE,
        "command": [
            "/bin/sh",
            "-c",
            f"cp /bin/busybox {TOOLS}/busybox && for a in {applets}; do ln -sf busybox {TOOLS}/$a; done",
        ],
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
        "volumeMounts": [tools_mount()],
    }


def tools_mount() -> dict[str, Any]:
    return {"name": VOLUME, "mountPath": TOOLS}


def tools_volume() -> dict[str, Any]:
    return {"name": VOLUME, "emptyDir": {}}
