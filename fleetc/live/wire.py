"""The kubectl ``List`` wire format, decoded to only the fields fleetc reads.

Snapshots and API pages carry whole objects (a pod is several KB of spec and
``managedFields``) but the facts need a handful of fields. Decoding with a
msgspec schema of those fields skips the rest inside the C decoder: a
100,000-pod list costs a fraction of the time and memory of ``json.loads``
(numbers in docs/performance.md). The result is still plain kubectl-shaped
dicts, so :mod:`fleetc.live.parse` works the same on projected and full
objects, and an export of projected objects is a valid snapshot.

Leaves are typed ``Any`` on purpose: a wrong type inside an object is for
:mod:`fleetc.live.parse` to report precisely. Only a wrong *shape* (an item
that is not an object) fails the typed decode; then the bytes are decoded
again without a schema so the parser can say which item is broken.

Keep ``_Item`` in step with what ``parse.py`` reads; ``tests/live`` checks
that facts from projected and full objects are identical.
"""

from __future__ import annotations

from typing import Any, TypedDict

import msgspec

from fleetc.memory import gc_paused

KubeObject = dict[str, Any]
KubeList = dict[str, Any]  # {"apiVersion": "v1", "kind": "List", "items": [...]}


class _OwnerRef(TypedDict, total=False):
    kind: Any


class _Meta(TypedDict, total=False):
    name: Any
    namespace: Any
    generation: Any
    labels: Any
    annotations: Any
    ownerReferences: list[_OwnerRef]


class _Container(TypedDict, total=False):
    name: Any
    image: Any


class _PodSpec(TypedDict, total=False):
    containers: list[_Container]


class _Template(TypedDict, total=False):
    spec: _PodSpec


class _Spec(TypedDict, total=False):
    nodeName: Any  # Pod
    unschedulable: Any  # Node
    taints: Any  # Node (the upgrade-pending taint's effect)
    replicas: Any  # Deployment, StatefulSet
    template: _Template  # Deployment, StatefulSet


class _Condition(TypedDict, total=False):
    type: Any
    status: Any


class _NodeInfo(TypedDict, total=False):
    kubeletVersion: Any


class _Status(TypedDict, total=False):
    phase: Any  # Pod
    conditions: list[_Condition]  # Node (Ready)
    nodeInfo: _NodeInfo  # Node
    observedGeneration: Any
    replicas: Any
    updatedReplicas: Any
    readyReplicas: Any
    availableReplicas: Any
    currentRevision: Any  # StatefulSet
    updateRevision: Any  # StatefulSet
    kubernetesResources: Any  # TenantControlPlane: version, status, deployment
    kubeconfig: Any  # TenantControlPlane: admin kubeconfig Secret


class _Item(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _Meta
    spec: _Spec
    status: _Status
    data: Any  # ConfigMap fleetc-cluster: what fleetc recorded (docs/spec.md 6.4)


# "continue" is a Python keyword: the functional form declares it.
_ListMeta = TypedDict("_ListMeta", {"resourceVersion": Any, "continue": Any}, total=False)


class _List(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _ListMeta
    items: list[_Item]


_PROJECTED = msgspec.json.Decoder(_List)
_PROJECTED_ITEM = msgspec.json.Decoder(_Item)
_ANY = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder()


class ListError(ValueError):
    """The bytes are not the List (or object) expected: truncated, not JSON, or another shape."""


def decode_list(data: bytes, *, what: str) -> KubeList:
    """Decode a kubectl/API List to projected dicts; raise :class:`ListError` with a readable reason.

    ``what`` names the source in the message ("us-east-04/management.json",
    "GET /api/v1/pods"). Items keep their position, so item problems can say
    "item 17".
    """
    try:
        with gc_paused():
            decoded: object = _PROJECTED.decode(data)
    except msgspec.ValidationError:
        # Right JSON, wrong shape somewhere: decode without a schema and let
        # the checks below or the parser name the broken part.
        try:
            decoded = _ANY.decode(data)
        except msgspec.DecodeError as error:  # pragma: no cover - validation passed JSON syntax
            raise ListError(f"{what} is not valid JSON: {error}") from None
    except msgspec.DecodeError as error:
        raise ListError(f"{what} is not valid JSON ({error}); re-export it or fix the file") from None
    return check_list(decoded, what=what)


def decode_object(data: bytes, *, what: str, project: bool = True) -> KubeObject:
    """Decode one object (a GET); projected unless ``project`` is False (e.g. a Secret's data)."""
    try:
        decoded: object = (_PROJECTED_ITEM if project else _ANY).decode(data)
    except msgspec.ValidationError:
        decoded = None
    except msgspec.DecodeError as error:
        raise ListError(f"{what} is not valid JSON ({error})") from None
    if not isinstance(decoded, dict):
        raise ListError(f"{what} is not a Kubernetes object")
    return decoded


def check_list(decoded: object, *, what: str) -> KubeList:
    """Accept a ``List``/``<Kind>List`` object with an ``items`` array; raise ListError otherwise."""
    if not isinstance(decoded, dict):
        raise ListError(f"{what} is not a kubectl List: the top level is {_json_type(decoded)}, not an object")
    kind = decoded.get("kind")
    if not isinstance(kind, str) or not kind.endswith("List"):
        raise ListError(f"{what} is not a kubectl List (kind is {kind!r}); write what `kubectl get ... -o json` prints")
    if "items" not in decoded or decoded["items"] is None:
        # kubectl and the API always print "items": [] for an empty List; a List
        # without items says nothing, and must not read as "no nodes, no pods".
        raise ListError(f'{what} is not a kubectl List: it has no items array (an empty List has "items": [])')
    items = decoded["items"]
    if not isinstance(items, list):
        raise ListError(f"{what} is not a kubectl List: items is {_json_type(items)}, not an array")
    return decoded


def encode(value: object) -> bytes:
    """JSON bytes of a List or object (compact, UTF-8)."""
    return _ENCODER.encode(value)


def new_list(items: list[KubeObject]) -> KubeList:
    """A List exactly as ``kubectl get a,b -o json`` prints it."""
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def _json_type(value: object) -> str:
    """A JSON value's type with its article, for messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
