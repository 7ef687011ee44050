"""Every change is a gated rollout (docs/spec.md 6.2): add-ons, settings, per gate; waves (6.3), per rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from fleetc.live.facts import AppliedRecord, PeerFacts
from fleetc.plan.model import Action, Phase, Plan, Reason
from fleetc.plan.planner import plan
from fleetc.versions import Version
from plan.builders import NOW
from plan.rollouts import (
    GPU_OPERATOR,
    METRICS,
    NEW_GPU,
    OLD_GPU,
    addon_approval,
    fleet,
    member,
    record,
    settled,
    state,
)

CID = "r1/c1"
WAVES = [
    {"name": "canary", "clusters": ["r1/canary-*"], "soak": "24h"},
    {"name": "rest", "clusters": ["*"]},
]


def behind(spec_regions: dict[str, list[dict[str, object]]] | None = None, **kw: object) -> tuple[object, Plan]:
    """A one-cluster fleet whose gpu-operator is applied at the old version: the bump is the only change."""
    spec = fleet(spec_regions or {"r1": [member("c1", **kw)]})  # type: ignore[arg-type]
    rec = record(spec, CID, {GPU_OPERATOR: OLD_GPU})
    return spec, plan(spec, state(settled(CID, rec)), [], NOW)


def addon_steps(result: Plan, cid: str = CID) -> list[tuple[str, str]]:
    return [pair for s in result.steps if s.cluster == cid and s.action is Action.UPDATE_ADDONS for pair in s.addons]


def reasons(result: Plan, cid: str = CID) -> set[Reason]:
    return {b.reason for b in result.blocked if b.cluster == cid}


# ------------------------------------------------------------------ the revision and its record


def test_an_addon_bump_is_an_update_addons_step_naming_the_addon_and_version() -> None:
    _, result = behind()
    [step] = [s for s in result.steps if s.action is Action.UPDATE_ADDONS]
    assert step.target == f"{GPU_OPERATOR}={NEW_GPU}" and step.addons == ((GPU_OPERATOR, NEW_GPU),)
    assert step.to_json()["addons"] == {GPU_OPERATOR: NEW_GPU}
    assert result.clusters[CID].phase is Phase.CONFIG
    revision = result.clusters[CID].revision
    assert revision is not None and revision.addons is not None
    assert {a.name: (a.version, a.held) for a in revision.addons} == {
        GPU_OPERATOR: (NEW_GPU, False),
        METRICS: ("3.12.2", False),
    }


def test_nothing_to_change_is_up_to_date_and_emits_no_step() -> None:
    spec = fleet({"r1": [member("c1")]})
    result = plan(spec, state(settled(CID, record(spec, CID))), [], NOW)
    assert result.steps == () and result.blocked == ()
    assert result.clusters[CID].phase is Phase.UP_TO_DATE


def test_a_values_change_at_the_same_version_is_a_change_too() -> None:
    spec = fleet({"r1": [member("c1")]})
    rec = record(spec, CID)
    assert rec.addon_values is not None
    rec = replace(rec, addon_values={**rec.addon_values, METRICS: "0000"})
    assert addon_steps(plan(spec, state(settled(CID, rec)), [], NOW)) == [(METRICS, "3.12.2")]


def test_an_absent_record_makes_every_addon_and_the_settings_a_change() -> None:
    spec = fleet({"r1": [member("c1", approval="required")]})
    result = plan(spec, state(settled(CID, AppliedRecord())), [], NOW)
    assert addon_steps(result) == [(METRICS, "3.12.2")]  # the disruptive one waits for its approval
    assert any(s.action is Action.UPDATE_CONTROL_PLANE_CONFIG for s in result.steps)
    assert Reason.APPROVAL_REQUIRED in reasons(result)


def test_a_malformed_record_is_unknown_and_moves_no_addon() -> None:
    spec = fleet({"r1": [member("c1")]})
    rec = replace(record(spec, CID, {GPU_OPERATOR: OLD_GPU}), unknown={"addons": "data.addons is not JSON"})
    result = plan(spec, state(settled(CID, rec)), [], NOW)
    assert addon_steps(result) == [] and Reason.UNKNOWN_STATE in reasons(result)
    revision = result.clusters[CID].revision
    assert revision is not None and revision.addons is None  # the compiler keeps every release as live


def test_rolled_out_is_recorded_once_complete_and_kept_unchanged_afterwards() -> None:
    spec = fleet({"r1": [member("c1")]})
    first = plan(spec, state(settled(CID, record(spec, CID))), [], NOW).clusters[CID].revision
    assert first is not None and first.rolled_out is not None and first.rolled_out.at == NOW
    rec = replace(record(spec, CID), rolled_out=first.rolled_out)
    later = plan(spec, state(settled(CID, rec)), [], NOW + timedelta(days=3)).clusters[CID].revision
    assert later is not None and later.rolled_out == first.rolled_out  # never churned


# ------------------------------------------------------------------ gates


def test_freeze_paused_and_exclusions_hold_addon_changes_and_name_themselves() -> None:
    for kw, reason in (
        ({"paused": True}, Reason.PAUSED),
        (
            {"exclusions": [{"from": "2024-12-01T00:00:00Z", "to": "2025-01-01T00:00:00Z", "reason": "deadline"}]},
            Reason.EXCLUDED,
        ),
        ({"window": [{"days": ["sat"], "start": "02:00", "hours": 4}]}, Reason.OUTSIDE_WINDOW),
    ):
        _, result = behind(**kw)
        assert addon_steps(result) == [], kw
        assert reason in reasons(result), kw
        revision = result.clusters[CID].revision
        assert revision is not None and revision.addons is not None
        held = {a.name: (a.version, a.held) for a in revision.addons}
        assert held[GPU_OPERATOR] == (OLD_GPU, True)  # kept at what is applied
    _, excluded = behind(
        exclusions=[{"from": "2024-12-01T00:00:00Z", "to": "2025-01-01T00:00:00Z", "reason": "lab-a deadline"}]
    )
    assert "lab-a deadline" in next(b.detail for b in excluded.blocked if b.reason is Reason.EXCLUDED)


def test_an_exclusion_ends_at_to_and_one_open_window_of_a_list_is_enough() -> None:
    exclusion = {"from": "2024-12-01T00:00:00Z", "to": NOW.isoformat(), "reason": "over"}
    _, result = behind(exclusions=[exclusion])
    assert addon_steps(result) == [(GPU_OPERATOR, NEW_GPU)]
    windows = [{"days": ["sat"], "start": "02:00", "hours": 4}, {"days": ["wed"], "start": "14:00", "hours": 2}]
    _, result = behind(window=windows)
    assert addon_steps(result) == [(GPU_OPERATOR, NEW_GPU)]


def test_a_disruptive_addon_needs_an_approval_of_its_exact_version() -> None:
    spec = fleet({"r1": [member("c1", approval="required")]})
    rec = record(spec, CID, {GPU_OPERATOR: OLD_GPU, METRICS: "3.12.1"})
    live = state(settled(CID, rec))
    without = plan(spec, live, [], NOW)
    assert addon_steps(without) == [(METRICS, "3.12.2")]  # not disruptive: no approval needed
    detail = next(b.detail for b in without.blocked if b.reason is Reason.APPROVAL_REQUIRED)
    assert f"fleetc approve {CID} --addon {GPU_OPERATOR}={NEW_GPU}" in detail
    wrong = plan(spec, live, [addon_approval(CID, "v24.9.1")], NOW)
    assert (GPU_OPERATOR, NEW_GPU) not in addon_steps(wrong)
    assert "names gpu-operator v24.9.1, not v24.9.2" in next(
        b.detail for b in wrong.blocked if b.reason is Reason.APPROVAL_REQUIRED
    )
    expired = plan(spec, live, [addon_approval(CID, expires="2024-01-01T00:00:00Z")], NOW)
    assert (GPU_OPERATOR, NEW_GPU) not in addon_steps(expired)
    approved = plan(spec, live, [addon_approval(CID)], NOW)
    assert addon_steps(approved) == [(GPU_OPERATOR, NEW_GPU), (METRICS, "3.12.2")]
    assert Reason.APPROVAL_REQUIRED not in reasons(approved)


def test_an_addon_approval_does_not_approve_a_kubernetes_upgrade() -> None:
    spec = fleet({"r1": [member("c1", approval="required")]})
    rec = record(spec, CID, {GPU_OPERATOR: OLD_GPU})
    cluster = settled(CID, rec)
    assert cluster.control_plane is not None
    at_old = replace(cluster, control_plane=replace(cluster.control_plane, apiserver_version=Version(1, 30, 6)))
    result = plan(spec, state(at_old), [addon_approval(CID)], NOW)
    assert not any(s.action is Action.UPGRADE_CONTROL_PLANE for s in result.steps)
    assert "approves add-ons only" in next(b.detail for b in result.blocked if b.reason is Reason.APPROVAL_REQUIRED)


def test_addons_wait_while_the_control_plane_rolls() -> None:
    spec = fleet({"r1": [member("c1")]})
    cluster = settled(CID, record(spec, CID, {GPU_OPERATOR: OLD_GPU}))
    assert cluster.control_plane is not None
    rolling = replace(cluster, control_plane=replace(cluster.control_plane, apiserver_ready=False))
    result = plan(spec, state(rolling), [], NOW)
    assert addon_steps(result) == [] and Reason.CONTROL_PLANE_NOT_READY in reasons(result)


# ------------------------------------------------------------------ waves


def wave_fleet(**kw: object) -> object:
    return fleet({"r1": [member("canary-a"), member("b"), member("c")]}, waves=WAVES, **kw)  # type: ignore[arg-type]


def wave_state(spec: object, canary_applied: str, rolled_at: object = None, halted: bool = False) -> object:
    canary = "r1/canary-a"
    return state(
        settled(canary, record(spec, canary, {GPU_OPERATOR: canary_applied}, rolled_at), halted=halted),  # type: ignore[arg-type]
        settled("r1/b", record(spec, "r1/b", {GPU_OPERATOR: OLD_GPU})),  # type: ignore[arg-type]
        settled("r1/c", record(spec, "r1/c", {GPU_OPERATOR: OLD_GPU})),  # type: ignore[arg-type]
    )


def test_the_first_wave_goes_and_later_waves_wait_naming_the_wave_and_who_is_not_done() -> None:
    spec = wave_fleet()
    result = plan(spec, wave_state(spec, OLD_GPU), [], NOW)  # type: ignore[arg-type]
    assert addon_steps(result, "r1/canary-a") == [(GPU_OPERATOR, NEW_GPU)]
    for cid in ("r1/b", "r1/c"):
        assert addon_steps(result, cid) == []
        [wait] = [b for b in result.blocked if b.cluster == cid and b.reason is Reason.WAITING_FOR_WAVE]
        assert "wave canary" in wait.detail and "r1/canary-a (not there yet)" in wait.detail
        assert "its soak of 24h starts when they are done" in wait.detail
        view = result.clusters[cid].revision
        assert view is not None and view.wave == "rest" and view.waiting_for == (f"{GPU_OPERATOR} {NEW_GPU}",)
        assert result.to_json()["clusters"][cid]["waitingFor"] == [f"{GPU_OPERATOR} {NEW_GPU}"]
    assert result.clusters["r1/b"].phase is Phase.BLOCKED


def test_a_later_wave_waits_for_the_soak_and_says_when_it_ends() -> None:
    spec = wave_fleet()
    soaking = plan(spec, wave_state(spec, NEW_GPU, NOW - timedelta(hours=23)), [], NOW)  # type: ignore[arg-type]
    assert addon_steps(soaking, "r1/b") == []
    detail = next(b.detail for b in soaking.blocked if b.cluster == "r1/b" and b.reason is Reason.WAITING_FOR_WAVE)
    assert "soak ends 2024-12-11T16:00:00Z" in detail  # rolled out 23 h ago, soak 24 h
    soaked = plan(spec, wave_state(spec, NEW_GPU, NOW - timedelta(hours=24)), [], NOW)  # type: ignore[arg-type]
    assert addon_steps(soaked, "r1/b") == [(GPU_OPERATOR, NEW_GPU)]


def test_a_halted_cluster_of_an_earlier_wave_stops_the_later_waves() -> None:
    spec = wave_fleet()
    result = plan(spec, wave_state(spec, NEW_GPU, NOW - timedelta(days=3), halted=True), [], NOW)  # type: ignore[arg-type]
    assert addon_steps(result, "r1/b") == []
    assert "r1/canary-a (halted)" in next(b.detail for b in result.blocked if b.reason is Reason.WAITING_FOR_WAVE)


def test_a_cluster_not_meant_to_run_the_change_holds_nothing_back() -> None:
    regions = {"r1": [{**member("canary-a"), "addons": {"disable": [GPU_OPERATOR]}}, member("b")]}
    spec = fleet(regions, waves=WAVES)
    live = state(
        settled("r1/canary-a", record(spec, "r1/canary-a")),
        settled("r1/b", record(spec, "r1/b", {GPU_OPERATOR: OLD_GPU})),
    )
    assert addon_steps(plan(spec, live, [], NOW), "r1/b") == [(GPU_OPERATOR, NEW_GPU)]


def test_earlier_waves_in_other_regions_count_from_live_state_or_peers_and_unknown_waits() -> None:
    spec = fleet({"r1": [member("canary-a")], "r2": [member("b")]}, waves=WAVES)
    canary = settled("r1/canary-a", record(spec, "r1/canary-a", rolled_at=NOW - timedelta(days=2)))
    other = settled("r2/b", record(spec, "r2/b", {GPU_OPERATOR: OLD_GPU}))
    both = state(canary, other)
    assert addon_steps(plan(spec, both, [], NOW, region="r2"), "r2/b") == [(GPU_OPERATOR, NEW_GPU)]
    alone = state(other)
    unknown = plan(spec, alone, [], NOW, region="r2")
    assert addon_steps(unknown, "r2/b") == []
    assert "its region's live state was not read" in unknown.blocked[0].detail
    first = plan(spec, both, [], NOW, region="r1").clusters["r1/canary-a"].revision
    assert first is not None
    peer = PeerFacts(first.rolled_out, True, NOW)
    with_peer = plan(spec, replace(alone, peers={"r1/canary-a": peer}), [], NOW, region="r2")
    assert addon_steps(with_peer, "r2/b") == [(GPU_OPERATOR, NEW_GPU)]
    sick = plan(spec, replace(alone, peers={"r1/canary-a": replace(peer, healthy=False)}), [], NOW, region="r2")
    assert addon_steps(sick, "r2/b") == []


def test_an_unmatched_cluster_is_in_the_implicit_last_wave() -> None:
    waves = [{"name": "canary", "clusters": ["r1/canary-*"], "soak": "1h"}]
    spec = fleet({"r1": [member("canary-a"), member("b")]}, waves=waves)
    live = state(
        settled("r1/canary-a", record(spec, "r1/canary-a", {GPU_OPERATOR: OLD_GPU})),
        settled("r1/b", record(spec, "r1/b", {GPU_OPERATOR: OLD_GPU})),
    )
    result = plan(spec, live, [], NOW)
    revision = result.clusters["r1/b"].revision
    assert revision is not None and revision.wave == "unassigned"
    assert addon_steps(result, "r1/b") == []


def test_a_kubernetes_upgrade_waits_for_the_canary_and_goes_once_it_soaked() -> None:
    spec = fleet({"r1": [member("canary-a"), member("b")]}, waves=WAVES)
    b = settled("r1/b", record(spec, "r1/b"))
    assert b.control_plane is not None
    old_b = replace(b, control_plane=replace(b.control_plane, apiserver_version=Version(1, 30, 6)))
    canary = settled("r1/canary-a", record(spec, "r1/canary-a"))
    assert canary.control_plane is not None
    old_canary = replace(canary, control_plane=replace(canary.control_plane, apiserver_version=Version(1, 30, 6)))
    waiting = plan(spec, state(old_canary, old_b), [], NOW)
    assert [s.cluster for s in waiting.steps if s.action is Action.UPGRADE_CONTROL_PLANE] == ["r1/canary-a"]
    detail = next(b.detail for b in waiting.blocked if b.cluster == "r1/b" and b.reason is Reason.WAITING_FOR_WAVE)
    assert "kubernetes 1.31.2" in detail
    soaked = settled("r1/canary-a", record(spec, "r1/canary-a", rolled_at=NOW - timedelta(days=2)))
    going = plan(spec, state(soaked, old_b), [], NOW)
    assert [s.cluster for s in going.steps if s.action is Action.UPGRADE_CONTROL_PLANE] == ["r1/b"]


def test_unreadable_recorded_settings_stay_unknown_and_are_not_overwritten() -> None:
    spec = fleet({"r1": [member("c1")]})
    rec = replace(record(spec, CID), unknown={"controlPlane": "data.controlPlane is not a string"})
    result = plan(spec, state(settled(CID, rec)), [], NOW)
    revision = result.clusters[CID].revision
    assert revision is not None and revision.control_plane is None and revision.config_may_change is False
    assert not any(s.action is Action.UPDATE_CONTROL_PLANE_CONFIG for s in result.steps)
    assert Reason.UNKNOWN_STATE in reasons(result)
