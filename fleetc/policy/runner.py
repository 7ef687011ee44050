"""Run rules over desired graphs and locate each finding in the spec.

Rules see only graphs (plus optional live facts), so they run the same on
the compiler's output and on a Pulumi stack's resources; the runner adds
what only a spec can give: the ``file:line:col`` of the exact field to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from fleetc.compile.graph import DesiredGraph
from fleetc.errors import Pos
from fleetc.policy import k8s
from fleetc.policy.model import Finding, Rule, RuleContext, Violation
from fleetc.policy.registry import RULES
from fleetc.spec.anchors import where

if TYPE_CHECKING:
    from pydantic import BaseModel

    from fleetc.live.facts import LiveState
    from fleetc.plan.model import Plan
    from fleetc.spec.fleet import FleetSpec

GENERATED = "<generated>"


def run_rules(
    graphs: DesiredGraph | Iterable[DesiredGraph],
    spec: FleetSpec | None = None,
    plan: Plan | None = None,
    *,
    live: LiveState | None = None,
    rules: Iterable[Rule] = RULES,
) -> list[Violation]:
    """Every violation of ``rules`` in ``graphs``, sorted by location.

    Rules that need live state are skipped when neither ``live`` nor ``plan``
    is given (see :func:`not_evaluated`): they cannot pass or fail honestly.
    """
    chosen = list(graphs) if not isinstance(graphs, DesiredGraph) else [graphs]
    ctx = RuleContext(spec=spec, plan=plan, live=live)
    found: set[Violation] = set()
    for rule in rules:
        if (rule.needs_live and live is None and plan is None) or (rule.needs_spec and spec is None):
            continue
        for graph in chosen:
            for finding in findings(rule, graph, ctx):
                found.add(to_violation(rule, finding, spec))
    return sorted(found, key=Violation.sort_key)


def not_evaluated(live: LiveState | None, plan: Plan | None, rules: Iterable[Rule] = RULES) -> list[Rule]:
    """Rules a run without live state could not judge, to be said so in reports."""
    return [rule for rule in rules if rule.needs_live and live is None and plan is None]


def findings(rule: Rule, graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    if rule.graph_check is not None:
        yield from rule.graph_check(graph, ctx)
    elif rule.node_check is not None:
        for node in graph:
            yield from rule.node_check(node)


def to_violation(rule: Rule, finding: Finding, spec: FleetSpec | None) -> Violation:
    node = finding.node
    return Violation(
        rule=rule.id,
        severity=rule.severity,
        subject=node.cluster or node.id,
        message=finding.message,
        pos=locate(finding, spec),
        node_id=node.id,
    )


def locate(finding: Finding, spec: FleetSpec | None) -> Pos | None:
    """The most precise position known: the blamed spec field, else the node's source."""
    node = finding.node
    if spec is not None and node.cluster is not None:
        model = _blamed_model(finding, spec, node.cluster)
        if model is not None:
            pos = where(model, *finding.blame.path)
            if pos.file != GENERATED:
                return pos
    return k8s.source_of(node)


def _blamed_model(finding: Finding, spec: FleetSpec, cluster_id: str) -> BaseModel | None:
    cluster = spec.cluster(cluster_id)
    if cluster is None:
        return None
    blame = finding.blame
    if blame.pool is not None:
        return next((p for p in cluster.node_pools if p.name == blame.pool), None)
    if blame.addon is not None:
        return next((a for a in spec.addons(cluster) if a.name == blame.addon), None)
    return cluster
