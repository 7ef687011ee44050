"""The plan reports: node lists, clipping, escaping, narrow terminals, comment size."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fleetc.plan.model import Action, Blocked, ClusterPlan, Plan, PoolStatus, Reason, Step
from fleetc.report.plan_json import to_json
from fleetc.report.plan_markdown import COMMENT_LIMIT, escape, to_markdown
from fleetc.report.plan_text import to_text
from fleetc.report.plan_view import clip, clip_detail, cluster_views, hostlist, node_list, summarize
from fleetc.versions import Version

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
V130, V131 = Version(1, 30, 6), Version(1, 31, 2)


def cluster(cid: str, phase: str, live: Version = V131, pools: tuple[PoolStatus, ...] = ()) -> ClusterPlan:
    return ClusterPlan(cid, phase, V131, "img-2", V131, Version(3, 5, 16), live, pools)


def wave_plan(nodes: int = 6) -> Plan:
    cid = "r1/train"
    names = [f"train-gpu-{i:03d}" for i in range(nodes)]
    steps = tuple(Step(cid, Action.CORDON, name, pool="gpu") for name in names[: nodes // 2])
    steps += tuple(Step(cid, Action.REIMAGE, name, pool="gpu", image="img-2") for name in names[nodes // 2 :])
    blocked = (Blocked(cid, Reason.BUSY, "pool gpu: 2 busy nodes wait", pool="gpu", nodes=("train-gpu-900", "x")),)
    pools = (PoolStatus("gpu", nodes + 2, 0, nodes, nodes, 2),)
    return Plan(steps, blocked, {cid: cluster(cid, "nodes", pools=pools), "r1/idle": cluster("r1/idle", "up-to-date")})


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], ""),
        (["n-001"], "n-001"),
        (["n-003", "n-001", "n-002", "n-005"], "n-[001-003,005]"),
        (["n-9", "n-10", "n-11"], "n-9,n-[10-11]"),  # digit count kept: the names round-trip
        (["b-1", "a-2", "a-3", "gateway"], "a-[2-3],b-1,gateway"),
        (["n-1", "n-1"], "n-1"),
    ],
)
def test_hostlist(names: list[str], expected: str) -> None:
    assert hostlist(names) == expected


def test_node_list_cuts_whole_ranges_and_says_so() -> None:
    names = [f"n-{i:04d}" for i in range(0, 2000, 2)]  # no two consecutive: 1,000 single ranges
    text = node_list(names, limit=60)
    assert text.startswith("n-[0000,0002,") and ",…] … (every name in --format json)" in text
    assert len(text) < 120
    assert node_list(["a-1", "a-2"], limit=60) == "a-[1-2]"


def test_clip_cuts_at_a_word() -> None:
    assert clip("short", 10) == "short"
    assert clip("one two three four", 12) == "one two …"


def test_views_group_steps_and_count_phases() -> None:
    plan = wave_plan()
    views = cluster_views(plan)
    assert [v.cluster for v in views] == ["r1/idle", "r1/train"]
    train = views[1]
    assert [(g.action, len(g.steps)) for g in train.step_groups] == [(Action.CORDON, 3), (Action.REIMAGE, 3)]
    assert train.nodes_at_target == (0, 8) and views[0].idle
    summary = summarize(plan, views)
    assert summary.phases == [("up-to-date", 1), ("nodes", 1)]
    assert (summary.total_steps, summary.total_blocked) == (6, 1)


def test_cluster_only_named_by_a_block_still_gets_a_row() -> None:
    plan = Plan(blocked=(Blocked("r9/ghost", Reason.UNKNOWN_STATE, "no live state"),))
    assert "r9/ghost" in to_text(plan, NOW)
    assert "`r9/ghost`" in to_markdown(plan, NOW)


def test_text_of_a_wave() -> None:
    text = to_text(wave_plan(), NOW)
    assert "steps now: 6 (cordon 3, reimage 3)" in text
    assert "\n  pool gpu    0/8 at target, now 6 of 6 unavailable, 2 busy (2 waiting)\n" in text
    assert "\n  cordon      3: train-gpu-[000-002]\n" in text
    assert "\n  reimage     3: train-gpu-[003-005] → img-2\n" in text
    assert "\n  busy (gpu)  pool gpu: 2 busy nodes wait\n              2 nodes: train-gpu-900,x\n" in text
    assert "r1/idle:" not in text  # nothing to say beyond its row


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_text_fits_the_terminal(width: int) -> None:
    lines = to_text(wave_plan(), NOW, width=width).splitlines()
    assert max(len(line) for line in lines) <= width
    assert any(line.startswith("r1/train") for line in lines)


def test_several_reasons_wrap_between_words() -> None:
    cid = "us-east-04/alpha-train"
    reasons = (Reason.CONTROL_PLANE_NOT_READY, Reason.MAX_UNAVAILABLE, Reason.BUSY)
    plan = Plan(blocked=tuple(Blocked(cid, r, "x") for r in reasons), clusters={cid: cluster(cid, "control-plane")})
    for width in range(80, 131):  # the edge where a column is one character short moves with the width
        text = to_text(plan, NOW, width=width)
        assert not [line for line in text.splitlines() if line.strip().startswith(",")], width
        assert "control-plane-not-ready," in text
    assert "1 cluster (control-plane 1)" in text


def test_empty_plan() -> None:
    assert "0 clusters" in to_text(Plan(), NOW)
    assert to_markdown(Plan(), NOW).startswith("### fleetc plan: 0 steps now, 0 blocked")
    assert json.loads(to_json(Plan())) == {"blocked": [], "clusters": {}, "steps": []}


def test_json_is_sorted_and_stable() -> None:
    text = to_json(wave_plan())
    assert text == to_json(wave_plan())
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["steps"][0] == {"action": "cordon", "cluster": "r1/train", "pool": "gpu", "target": "train-gpu-000"}
    assert text.endswith("}\n") and '\n  "blocked"' in text


def test_markdown_summary_first_details_folded() -> None:
    text = to_markdown(wave_plan(), NOW)
    lines = text.splitlines()
    assert lines[0] == "### fleetc plan: 6 steps now, 1 blocked"
    table = lines.index("| cluster | phase | kubernetes | node image | nodes at target | now | waiting |")
    assert table < lines.index("<details><summary><code>r1/train</code> (nodes): 6 steps; waiting: busy</summary>")
    assert "| cordon | 3: `train-gpu-[000-002]` |" in lines
    assert "<code>r1/idle</code>" not in text  # nothing to say beyond its row


def test_markdown_escapes_text_but_keeps_code() -> None:
    assert escape("a|b <script> *x* [l](u) `cmd a_b|c`") == r"a\|b \<script\> \*x\* \[l\](u) `cmd a_b|c`"


def test_markdown_stays_under_the_comment_limit() -> None:
    cids = [f"r1/c{i:03d}" for i in range(300)]
    detail = "a long reason " * 30
    nodes = {cid: tuple(f"{cid}-n{j}" for j in range(0, 80, 2)) for cid in cids}
    blocked = tuple(Blocked(cid, Reason.BUSY, detail, nodes=nodes[cid]) for cid in cids)
    text = to_markdown(Plan(blocked=blocked, clusters={cid: cluster(cid, "nodes") for cid in cids}), NOW)
    assert len(text) <= COMMENT_LIMIT + 200
    assert "left out to fit a comment" in text
    assert text.count("| `r1/c") == 300  # every cluster keeps its summary row


# ---------------------------------------------------------------- first-time user fixes


HALTED_FIX = (
    "no new node is taken in this pool until a person fixes them (or removes their target-image label to retry)"
)


def halted_plan(nodes: int) -> Plan:
    """A pool halted on ``nodes`` nodes: the planner's detail lists them all before the fix."""
    cid = "r1/train"
    late = [f"train-gpu-{i:03d} (2h{i % 60:02d}m since reimage-requested-at)" for i in range(nodes)]
    head = f"pool gpu: {nodes} nodes not back Ready at img-2 within nodeTimeoutMinutes 120"
    detail = f"{head}: {', '.join(late)}; {HALTED_FIX}"
    names = tuple(f"train-gpu-{i:03d}" for i in range(nodes))
    blocked = (Blocked(cid, Reason.HALTED, detail, pool="gpu", nodes=names),)
    return Plan((), blocked, {cid: cluster(cid, "blocked", pools=(PoolStatus("gpu", 64, 0, nodes, 4, 0),))})


@pytest.mark.parametrize("nodes", [1, 3, 20])
def test_the_fix_of_a_halted_pool_is_never_cut(nodes: int) -> None:
    text = " ".join(to_text(halted_plan(nodes), NOW, width=400).split())
    assert HALTED_FIX in text
    assert ("…" in text) == (nodes > 3)  # the list in the middle is what gets cut


def test_clip_detail_cuts_the_middle_and_keeps_the_last_clause() -> None:
    detail = "pool p: " + ", ".join(f"node-{i}" for i in range(200)) + "; do this to fix it"
    cut = clip_detail(detail, 200)
    assert cut.startswith("pool p: node-0, node-1") and cut.endswith(" …; do this to fix it")
    assert len(cut) <= 200
    assert clip_detail("short; fix", 200) == "short; fix"
    long_fix = "pool p: a, b, c; " + "x" * 500
    assert clip_detail(long_fix, 200) == long_fix  # no room for a useful head: shown whole


def budget_plan() -> Plan:
    cid = "r1/train"
    steps = tuple(Step(cid, Action.CORDON, f"n-{i}", pool="gpu") for i in range(4))
    detail = "pool gpu: 12 of 12 unavailable (maxUnavailable 12); 6 idle nodes wait"
    blocked = (Blocked(cid, Reason.MAX_UNAVAILABLE, detail, pool="gpu"),)
    pools = (PoolStatus("gpu", 256, 97, 8, 12, 206, unavailable_after=12),)
    return Plan(steps, blocked, {cid: cluster(cid, "nodes", pools=pools)})


def test_unavailable_counts_say_before_and_after_this_step() -> None:
    text = " ".join(to_text(budget_plan(), NOW, width=200).split())
    assert "now 8 of 12 unavailable, 12 after this step" in text
    markdown = to_markdown(budget_plan(), NOW)
    assert "| pool | at target | unavailable now / max | after this step | busy |" in markdown
    assert "| gpu | 97/256 | 8/12 | 12/12 | 206 |" in markdown


@pytest.mark.parametrize("width", range(60, 121))
def test_nothing_wraps_mid_word(width: int) -> None:
    """At any width, a word of the report is whole on one line (the bug: `control-plane-not-rea` / `dy`)."""
    cid = "us-east-04/alpha-train"
    reasons = (Reason.CONTROL_PLANE_NOT_READY, Reason.APPROVAL_REQUIRED, Reason.OUTSIDE_WINDOW)
    plan = Plan(
        blocked=tuple(Blocked(cid, r, "x") for r in reasons),
        clusters={cid: cluster(cid, "blocked", pools=(PoolStatus("gpu", 8, 0, 0, 1, 0),))},
    )
    text = to_text(plan, NOW, width=width)
    words = {word.strip(",()") for line in text.splitlines() for word in line.split()}
    for reason in reasons:
        assert str(reason) in words or f"{str(reason)[: width - 50]}…" in text, (width, text)
    assert "control-plane-not-ready 1" in " ".join(text.split())  # a count stays with its name
    for line in text.splitlines():
        assert not line.lstrip().startswith(("1,", "1)")), (width, text)


def test_one_node_is_singular() -> None:
    cid = "r1/train"
    blocked = (Blocked(cid, Reason.BUSY, "pool gpu: 1 busy node waits", pool="gpu", nodes=("n-1",)),)
    plan = Plan((), blocked, {cid: cluster(cid, "nodes")})
    assert "1 node: n-1" in to_text(plan, NOW) and "1 nodes" not in to_text(plan, NOW)
    assert "1 node: `n-1`" in to_markdown(plan, NOW)
