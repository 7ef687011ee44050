"""Assemble a preview: load both sides, compile both on the same basis, diff, plan, check.

The same basis on both sides is what makes the resource diff mean "what this
change does": without ``--live`` both are compiled at their end state; with
``--live`` both are planned from the *same* live snapshot and clock, so the
diff shows what merging changes in the next step (an added approval shows
up as the control-plane Deployments it lets move) and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from fleetc.compile.graph import DesiredGraph
from fleetc.live.facts import LiveState
from fleetc.plan.model import Plan, merge_plans
from fleetc.policy import not_evaluated, run_rules
from fleetc.policy.report import PolicyReport
from fleetc.policy.review import review_change
from fleetc.preview.basis import compile_regions, target_plan
from fleetc.preview.fleet_diff import diff_fleets
from fleetc.preview.model import BASIS_LIVE, BASIS_TARGET, Preview
from fleetc.preview.progress import Progress
from fleetc.preview.resource_diff import diff_graphs
from fleetc.preview.rollout import first_waves, revision_changes
from fleetc.preview.scope import Scope, affected_regions
from fleetc.preview.sources import Side, load_sides, open_repository
from fleetc.repo.approvals import CommittedApprovals, committed_approvals
from fleetc.spec.fleet import ApprovalPolicy, FleetSpec

# (source, region -> cluster names, label prefix) -> live facts; injected so tests need no cluster
LiveReader = Callable[[str, Mapping[str, Sequence[str]], str], LiveState]


def build_preview(
    repo_dir: Path,
    base_rev: str,
    head_rev: str,
    fleet_dir: str = "fleet",
    *,
    live: str | None = None,
    read_live: LiveReader | None = None,
    now: datetime | None = None,
    whole: bool = False,
    progress: Progress | None = None,
) -> Preview:
    """Raises FleetcError only for unusable arguments (a bad revision, an unreadable live source).

    Only the files the change reaches are read (:mod:`fleetc.preview.reach`); ``whole`` reads every
    file of both sides, as ``--live`` must: the planner takes intermediate versions from every pin of
    the fleet. ``progress`` is told how reading and compiling go when the change reaches everything.
    """
    repo = open_repository(repo_dir)
    with repo:
        base, head, reach = load_sides(
            repo, repo_dir, base_rev, head_rev, fleet_dir, whole=whole or live is not None, progress=progress
        )
    basis = BASIS_TARGET if live is None else BASIS_LIVE
    notes = _side_notes(base, "base")
    if head.spec is None:
        return Preview(base, head, basis, notes=tuple(notes))
    scope = affected_regions(base.spec, head.spec)
    if scope.regions is not None:
        notes.append(f"{scope.reason}: {', '.join(sorted(scope.regions)) or 'none'}; other regions are unchanged")
    read = reach.note() if reach is not None else None
    if read is not None:
        notes.append(read)
    shown = progress if scope.regions is None else None
    state: LiveState | None = None
    if live is not None:
        if read_live is None:
            raise ValueError("build_preview: live given without a reader")
        state = read_live(live, _regions(scope, base.spec, head.spec), head.spec.label_prefix)
    head_plan, head_notes = _plan(head, state, now, scope)
    notes += head_notes
    head_graphs = compile_regions(head.spec, head_plan, _in_scope(head.spec, scope), now=now, progress=shown)
    live_plan = head_plan if state is not None else None
    violations = run_rules(head_graphs.values(), head.spec, live_plan, live=state)
    if base.spec is not None:
        violations = [*violations, *review_change(base.spec, head.spec)]
    policy = PolicyReport.of(violations, not_evaluated(state, live_plan))
    if base.spec is None and not base.absent:
        return Preview(base, head, basis, plan=live_plan, now=now, policy=policy, notes=tuple(notes))
    base_graphs: dict[str, DesiredGraph] = {}
    base_plan: Plan | None = None
    existing: frozenset[tuple[str, str, str]] = frozenset()
    if base.spec is not None:
        base_plan, _ = _plan(base, state, now, scope)
        base_graphs = compile_regions(base.spec, base_plan, _in_scope(base.spec, scope), now=now, progress=shown)
        base_live = base_plan if state is not None else None
        existing = frozenset(v.identity for v in run_rules(base_graphs.values(), base.spec, base_live, live=state))
    return Preview(
        base,
        head,
        basis,
        fleet=tuple(diff_fleets(base.spec, head.spec)),
        resources=diff_graphs(base_graphs, head_graphs),
        plan=live_plan,
        now=now,
        policy=policy,
        notes=tuple(notes),
        existing_findings=existing,
        base_plan=base_plan if state is not None else None,
        rollout=(rollout := revision_changes(base.spec, head.spec, live_plan)),
        first_waves=tuple(first_waves(rollout, head.spec).items()),
    )


def _in_scope(spec: FleetSpec, scope: Scope) -> list[str]:
    return [region for region in spec.regions if scope.covers(region)]


def _side_notes(base: Side, name: str) -> list[str]:
    if base.absent:
        return [f"{name} {base.label} has no fleet directory: everything in head is new"]
    if not base.valid:
        return [f"{name} {base.label} is not a valid fleet ({len(base.diagnostics)} errors): no diff is shown"]
    return []


def _regions(scope: Scope, *specs: FleetSpec | None) -> dict[str, list[str]]:
    """Every cluster in scope of either side: both plans must see the same live facts."""
    merged: dict[str, list[str]] = {}
    for spec in specs:
        for region, clusters in (spec.region_clusters() if spec else {}).items():
            if not scope.covers(region):
                continue
            known = merged.setdefault(region, [])
            known.extend(c for c in clusters if c not in known)
    return merged


def _plan(side: Side, state: LiveState | None, now: datetime | None, scope: Scope) -> tuple[Plan, list[str]]:
    assert side.spec is not None
    regions = _in_scope(side.spec, scope)
    if state is None:
        return merge_plans(target_plan(side.spec, region) for region in regions), []
    from fleetc.plan.planner import plan

    if now is None:
        raise ValueError("build_preview: a live plan needs now")
    committed = _approvals(side)
    plans = (plan(side.spec, state, committed.approvals, now, region=r, policy=committed.policy) for r in regions)
    return merge_plans(plans), [f"approvals ({side.rev}): {n}" for n in committed.notes]


def _approvals(side: Side) -> CommittedApprovals:
    """At a commit every approval (and its policy) is committed by construction; in the working tree only
    what is committed counts."""
    assert side.spec is not None
    if side.commit is not None:
        return CommittedApprovals(list(side.spec.approvals), ApprovalPolicy.of(side.spec))
    return committed_approvals(side.spec, "HEAD")
