"""Reading Kubernetes objects the way rules need them, in both worlds.

Props come either from the compiler (Python ints) or from a Pulumi engine
(numbers as floats, camelCase keys - the same shape as Kubernetes JSON).
Everything here tolerates both and treats missing or mistyped fields as
absent, so that a rule reports "not set" instead of crashing on a stray value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from fleetc import conventions
from fleetc.compile.graph import Kind, Node
from fleetc.errors import Pos

SOURCE_ANNOTATION = conventions.SOURCE_ANNOTATION
KEEP_LIVE = "fleetc.dev/keep-live"  # fields the compiler leaves as they are live (compile/objects.py)
ZONE_KEY = conventions.ZONE_LABEL
CONTROL_PLANE_NAMESPACE_PREFIX = conventions.control_plane_namespace("")
CLUSTER_CONFIG_NAME = conventions.CLUSTER_CONFIGMAP
POOL_CONFIG_PREFIX = conventions.pool_configmap("")

# Workload kinds whose pods run control-plane components in cp-<cluster>.
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"})

_POS = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+)$")
_ANCHOR = re.compile(r"^(?P<file>[^#]+)#(?P<anchor>.+)$")


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def sequence(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def number(value: Any) -> float | None:
    """An int or float (engine form); booleans and strings are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def dig(value: Any, *path: str) -> Any:
    for key in path:
        value = mapping(value).get(key)
    return value


def metadata(node: Node) -> Mapping[str, Any]:
    return mapping(node.props.get("metadata"))


def object_name(node: Node) -> str | None:
    name = metadata(node).get("name")
    return name if isinstance(name, str) else None


def namespace(node: Node) -> str | None:
    ns = metadata(node).get("namespace")
    return ns if isinstance(ns, str) else None


def annotations_of(node: Node) -> Mapping[str, Any]:
    return mapping(metadata(node).get("annotations"))


def parse_pos(text: Any) -> Pos | None:
    """The place in ``fleet/`` the ``fleetc.dev/source`` annotation names: ``file#anchor`` (what fleetc
    writes: no line numbers, so an edit elsewhere changes nothing applied) or ``file:line:col`` (older)."""
    if not isinstance(text, str):
        return None
    anchored = _ANCHOR.match(text)
    if anchored:
        return Pos(anchored["file"], 0, 0, anchored["anchor"])
    match = _POS.match(text)
    return Pos(match["file"], int(match["line"]), int(match["col"])) if match else None


def source_of(node: Node) -> Pos | None:
    """The spec location a node comes from: its ``source``, else its annotation."""
    return node.source or (
        parse_pos(annotations_of(node).get(SOURCE_ANNOTATION)) if node.kind is Kind.MANIFEST else None
    )


def kept_live(node: Node, path: str) -> bool:
    """Whether the compiler asked to leave ``path`` (dotted) as it is live.

    Read from the props directive and from the annotation of the same name,
    so it works on IR nodes and on Pulumi resources alike.
    """
    paths: list[str] = [str(p) for p in sequence(node.props.get(KEEP_LIVE))]
    annotation = annotations_of(node).get(KEEP_LIVE)
    if isinstance(annotation, str):
        paths.extend(p.strip() for p in annotation.split(",") if p.strip())
    return any(path == kept or path.startswith(kept + ".") for kept in paths)


def is_manifest(node: Node, kind: str, name: str | None = None) -> bool:
    return node.api_kind == kind and (name is None or object_name(node) == name)


def in_control_plane(node: Node) -> bool:
    """A manifest in a hosted control plane's namespace ``cp-<cluster>``."""
    ns = namespace(node)
    return node.kind is Kind.MANIFEST and ns is not None and ns.startswith(CONTROL_PLANE_NAMESPACE_PREFIX)


def cluster_name_of_namespace(ns: str | None) -> str | None:
    if ns is None or not ns.startswith(CONTROL_PLANE_NAMESPACE_PREFIX):
        return None
    return ns[len(CONTROL_PLANE_NAMESPACE_PREFIX) :] or None


def pod_template(node: Node) -> Mapping[str, Any]:
    """The pod template (metadata + spec) of a workload, or {} for other objects."""
    kind = node.api_kind
    if kind == "Pod":
        return {"metadata": metadata(node), "spec": mapping(node.props.get("spec"))}
    if kind == "CronJob":
        return mapping(dig(node.props, "spec", "jobTemplate", "spec", "template"))
    if kind in WORKLOAD_KINDS:
        return mapping(dig(node.props, "spec", "template"))
    return {}


def containers(node: Node) -> Iterator[Mapping[str, Any]]:
    """Every container of a workload: init, regular and ephemeral."""
    spec = mapping(pod_template(node).get("spec"))
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in sequence(spec.get(key)):
            if isinstance(container, Mapping):
                yield container


def replicas(node: Node) -> float | None:
    return number(dig(node.props, "spec", "replicas"))


def config_data(node: Node) -> Mapping[str, Any]:
    return mapping(node.props.get("data")) if node.api_kind == "ConfigMap" else {}


def is_cluster_config(node: Node) -> bool:
    return is_manifest(node, "ConfigMap", CLUSTER_CONFIG_NAME) and in_control_plane(node)


def pool_config_name(node: Node) -> str | None:
    """The pool a ``nodepool-<pool>`` ConfigMap describes, or None."""
    name = object_name(node)
    if node.api_kind != "ConfigMap" or name is None or not name.startswith(POOL_CONFIG_PREFIX):
        return None
    return name[len(POOL_CONFIG_PREFIX) :] or None


def image_problem(image: Any) -> str | None:
    """Why an image reference is not pinned, or None when it is.

    A digest pins; otherwise the tag (after the last ``/``) must exist and
    must not be ``latest``: a missing tag means ``latest`` to the runtime.
    """
    if not isinstance(image, str) or not image.strip():
        return "has no image"
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag (the runtime pulls :latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return f"image {image!r} uses the tag latest"
    return None


def image_tag(image: Any) -> str | None:
    if not isinstance(image, str) or "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None


_QUANTITY = re.compile(r"^(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
_SUFFIX = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}


def quantity(value: Any) -> float | None:
    """A Kubernetes resource quantity in base units (``64Gi`` -> bytes); None if unreadable."""
    as_number = number(value)
    if as_number is not None:
        return as_number
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if match is None:
        return None
    return float(match["num"]) * _SUFFIX[match["suffix"]]
