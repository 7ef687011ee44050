"""What a policy rule is, what it finds, and what a run reports.

A rule is a plain function plus metadata. Rules about one object take one
:class:`Node`, so the CrossGuard pack can apply them to each Pulumi resource
as it is registered; rules about a whole cluster take the region's graph,
so the pack can apply them to the stack. Both worlds share these functions:
the rules live once (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fleetc.compile.graph import DesiredGraph, Node
from fleetc.errors import Pos

if TYPE_CHECKING:
    from fleetc.live.facts import LiveState
    from fleetc.plan.model import Plan
    from fleetc.spec.fleet import FleetSpec


class Severity(StrEnum):
    """``mandatory`` blocks a merge or a ``pulumi up``; ``advisory`` is reported only."""

    MANDATORY = "mandatory"
    ADVISORY = "advisory"


@dataclass(frozen=True)
class Blame:
    """Which part of the spec a finding is about, relative to the node's cluster.

    The runner turns it into ``file:line:col`` when the spec is at hand
    (``fleetc check``/``preview``); without a spec (a Pulumi policy pack) the
    node's own source is blamed. ``pool``/``addon`` select a node pool or an
    effective add-on of the cluster, ``path`` the field below it (YAML names).
    """

    path: tuple[str | int, ...] = ()
    pool: str | None = None
    addon: str | None = None


@dataclass(frozen=True)
class Finding:
    """One problem a rule function found: the message says how to fix it."""

    node: Node
    message: str
    blame: Blame = Blame()


@dataclass(frozen=True)
class Violation:
    """A finding with its rule's id and severity, located in the spec."""

    rule: str
    severity: Severity
    subject: str  # the cluster id (or node id for region-wide objects)
    message: str
    pos: Pos | None
    node_id: str

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes two findings the same finding on two revisions (positions move, this does not)."""
        return (self.rule, self.subject, self.message)

    def sort_key(self) -> tuple[bool, Pos, str, str, str]:
        """Sorted by location; unlocated violations last."""
        return (self.pos is None, self.pos or Pos(""), self.rule, self.subject, self.message)

    @property
    def where(self) -> str:
        return str(self.pos) if self.pos is not None else self.node_id

    def __str__(self) -> str:
        return f"{self.where}: [{self.severity}] {self.rule}: {self.subject}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "location": str(self.pos) if self.pos is not None else None,
            "subject": self.subject,
            "resource": self.node_id,
            "message": self.message,
        }


@dataclass(frozen=True)
class RuleContext:
    """What graph rules may look at beyond the graph.

    ``live`` and ``plan`` are absent when no live state was read (``fleetc
    check`` without ``--live``, a Pulumi policy pack): rules that need them
    declare it and are reported as not evaluated rather than as passing.
    """

    spec: FleetSpec | None = None
    plan: Plan | None = None
    live: LiveState | None = None


NodeCheck = Callable[[Node], Iterable[Finding]]
GraphCheck = Callable[[DesiredGraph, RuleContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A rule: exactly one of ``node_check`` or ``graph_check``.

    ``why`` is the reason an SRE team insists on it and why this severity:
    it is printed by ``fleetc check --rules`` and becomes the CrossGuard
    policy's description, so the reasoning travels with the rule.
    """

    id: str
    severity: Severity
    summary: str
    why: str
    node_check: NodeCheck | None = None
    graph_check: GraphCheck | None = None
    needs_live: bool = False
    tags: tuple[str, ...] = field(default=())
    needs_spec: bool = False  # judges the whole fleet: not in the policy pack (one region's resources)

    def __post_init__(self) -> None:
        if (self.node_check is None) == (self.graph_check is None):
            raise ValueError(f"rule {self.id}: give exactly one of node_check or graph_check")
