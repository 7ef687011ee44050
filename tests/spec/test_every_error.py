"""SPEC.md section 2: every error, all of them in one run, also inside a cluster that is broken.

A cluster with a wrong type somewhere (``count: "16"``) used to be dropped
whole after its type errors were reported, hiding its dangling references,
budgets and replica counts until the next run. The invariant, on pairs of
independent faults in one cluster: validating with both faults reports
exactly the errors of the first fault alone plus those of the second fault
alone. "Exactly" also means no noise: a broken field must not add an
"unknown tenant" for the tenant that is a number.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetc.errors import FleetcError
from fleetc.spec.loader import load_fleet

MINIMAL = Path(__file__).parent / "valid" / "minimal"
REGION = "regions/r1.yaml"

Fault = Callable[[dict[str, Any]], None]  # edits the cluster "train" in place


def _set(*path: str | int, value: Any) -> Fault:
    def apply(cluster: dict[str, Any]) -> None:
        parent: Any = cluster
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = value

    return apply


# Faults the reference checks find, and the field each one is in.
REFERENCE_FAULTS: dict[str, tuple[tuple[str | int, ...], Fault]] = {
    "dangling tenant": (("tenant",), _set("tenant", value="team-x")),
    "dangling channel": (("channel",), _set("channel", value="stabel")),
    "dangling bundle": (("bundle",), _set("bundle", value="basic")),
    "even etcd": (("controlPlane", "etcd", "replicas"), _set("controlPlane", "etcd", "replicas", value=4)),
    "dangling instance type": (("nodePools", 0, "instanceType"), _set("nodePools", 0, "instanceType", value="gpu9")),
    "dangling failure domain": (
        ("nodePools", 1, "failureDomains"),
        _set("nodePools", 1, "failureDomains", value=["rack-z"]),
    ),
    "budget above count": (("nodePools", 1, "maxUnavailable"), _set("nodePools", 1, "maxUnavailable", value=5)),
    "pin skips a minor": (("versions",), _set("versions", value={"kubernetes": "1.32.0"})),
    "duplicate pool": (("nodePools", 1, "name"), _set("nodePools", 1, "name", value="gpu")),
    "disable unknown add-on": (("addons",), _set("addons", value={"disable": ["nope"]})),
}
# Faults pydantic finds, and the field each one is in.
TYPE_FAULTS: dict[str, tuple[tuple[str | int, ...], Fault]] = {
    "tenant is a number": (("tenant",), _set("tenant", value=7)),
    "channel is a list": (("channel",), _set("channel", value=["stable"])),
    "bundle is a number": (("bundle",), _set("bundle", value=5)),
    "replicas is text": (("controlPlane", "replicas"), _set("controlPlane", "replicas", value="three")),
    "storage is text": (("controlPlane", "etcd", "storageGiB"), _set("controlPlane", "etcd", "storageGiB", value="64")),
    "bad window day": (("upgrade", "window"), _set("upgrade", "window", "days", 0, value="saturday")),
    "window is text": (("upgrade", "window"), _set("upgrade", "window", value="weekends")),
    "paused is yes": (("upgrade", "paused"), _set("upgrade", "paused", value="yes")),
    "count is text": (("nodePools", 0, "count"), _set("nodePools", 0, "count", value="16")),
    "pool is not a mapping": (("nodePools", 1), _set("nodePools", 1, value="system")),
    "taint effect": (("nodePools", 0, "taints"), _set("nodePools", 0, "taints", 0, "effect", value="Never")),
    "labels is a list": (("nodePools", 0, "labels"), _set("nodePools", 0, "labels", value=["a"])),
    "unknown field": (("colour",), _set("colour", value="red")),
    "pins is text": (("versions",), _set("versions", value="1.30.6")),
    "timeout zero": (("upgrade", "nodeTimeoutMinutes"), _set("upgrade", "nodeTimeoutMinutes", value=0)),
    "bad extra add-on": (("addons",), _set("addons", value={"extra": [{"name": "x", "chart": 5}]})),
}
# A type fault in a field a reference check depends on (beyond the field itself).
DEPENDS = {("pin skips a minor", "channel is a list"), ("disable unknown add-on", "bundle is a number")}


def _overlap(a: tuple[str | int, ...], b: tuple[str | int, ...]) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


PAIRS = sorted(
    (ref, typ)
    for ref, (ref_field, _) in REFERENCE_FAULTS.items()
    for typ, (typ_field, _) in TYPE_FAULTS.items()
    if not _overlap(ref_field, typ_field) and (ref, typ) not in DEPENDS
)


def messages(*faults: Fault) -> Counter[str]:
    """The messages of ``fleetc validate`` on the minimal fleet with ``faults`` applied to cluster train.

    Positions are left out: re-dumping the YAML moves lines, and what is
    compared is what is reported, not where.
    """
    with tempfile.TemporaryDirectory(prefix="fleetc-every-") as tmp:
        root = Path(tmp) / "fleet"
        shutil.copytree(MINIMAL, root)
        region = yaml.safe_load((root / REGION).read_text())
        train = region["spec"]["clusters"][0]
        assert train["name"] == "train"
        for fault in faults:
            fault(train)
        (root / REGION).write_text(yaml.safe_dump(region, sort_keys=False))
        try:
            load_fleet(root)
        except FleetcError as error:
            return Counter(d.message for d in error.diagnostics)
        return Counter()


def test_the_pairs_are_many() -> None:
    assert len(PAIRS) > 100


@pytest.mark.parametrize("name", sorted(REFERENCE_FAULTS))
def test_each_reference_fault_alone_is_one_error(name: str) -> None:
    assert sum(messages(REFERENCE_FAULTS[name][1]).values()) == 1


@pytest.mark.parametrize("name", sorted(TYPE_FAULTS))
def test_each_type_fault_alone_is_reported(name: str) -> None:
    assert sum(messages(TYPE_FAULTS[name][1]).values()) >= 1


@pytest.mark.parametrize(("reference_fault", "type_fault"), PAIRS, ids=[f"{r} + {t}" for r, t in PAIRS])
def test_a_type_error_hides_no_other_error_of_its_cluster_and_adds_none(reference_fault: str, type_fault: str) -> None:
    """Every pair of independent faults (all of them: the product is small enough to run whole)."""
    reference, typed = REFERENCE_FAULTS[reference_fault][1], TYPE_FAULTS[type_fault][1]
    assert messages(reference, typed) == messages(reference) + messages(typed)


def test_two_type_errors_and_two_reference_errors_in_one_cluster() -> None:
    faults = [
        REFERENCE_FAULTS["dangling tenant"][1],
        REFERENCE_FAULTS["dangling instance type"][1],
        TYPE_FAULTS["count is text"][1],
        TYPE_FAULTS["bad window day"][1],
    ]
    together = messages(*faults)
    assert together == sum((messages(f) for f in faults), Counter())
    assert sum(together.values()) == 4


def test_a_broken_cluster_name_is_quoted_as_written() -> None:
    found = messages(_set("name", value="Train"), REFERENCE_FAULTS["duplicate pool"][1])
    assert "duplicate node pool 'gpu' in cluster Train; rename one" in found
