"""Rules about how changes roll out: disruptive add-ons are marked, fleet waves start small.

Every change is gated (docs/spec.md 6.2), but only an add-on marked ``disruptive: true`` needs the tenant's
approval of its exact version: a GPU operator, a network operator or a CNI left unmarked would restart the
agents of every node on the next deploy, approval or not. Waves (6.3) only limit the blast radius when the
first wave is small: a canary of half the fleet is no canary.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

from fleetc.compile.graph import DesiredGraph, Kind
from fleetc.plan.fleet_waves import wave_order
from fleetc.policy import k8s
from fleetc.policy.model import Blame, Finding, RuleContext
from fleetc.spec.fleet import DISRUPTIVE_CHARTS

# The first wave may hold at most this share of the fleet's clusters, or FIRST_WAVE_MIN clusters if more.
FIRST_WAVE_SHARE = 0.10
FIRST_WAVE_MIN = 3


def disruptive_addon_unmarked(graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A release of a chart that restarts node agents whose cluster's record does not list it as disruptive."""
    marked: dict[str | None, set[str]] = {}
    for node in graph:
        if k8s.is_cluster_config(node):
            try:
                names = json.loads(str(k8s.config_data(node).get("disruptiveAddons", "[]")))
            except ValueError:
                names = []
            marked[node.cluster] = {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()
    for node in graph:
        if node.kind is not Kind.HELM_RELEASE:
            continue
        chart = node.props.get("chart")
        name = node.props.get("name")
        if not isinstance(chart, str) or not isinstance(name, str):
            continue
        if chart.rsplit("/", 1)[-1] in DISRUPTIVE_CHARTS and name not in marked.get(node.cluster, set()):
            yield Finding(
                node,
                f"add-on {name} (chart {chart}) restarts agents on every node when it changes, but is not marked "
                "disruptive, so its upgrades need no approval and reach GPU nodes running jobs: add "
                "disruptive: true to it in its bundle (or extra)",
                Blame(("disruptive",), addon=name),
            )


def first_wave_small(graph: DesiredGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A fleet with waves starts with a wave of few clusters (a canary); judged from the fleet (``fleetc check``)."""
    spec = ctx.spec
    if spec is None:
        return
    order = wave_order(spec)
    if order is None or not order.members:
        return
    total = sum(len(members) for members in order.members)
    limit = max(FIRST_WAVE_MIN, math.floor(total * FIRST_WAVE_SHARE))
    first = order.members[0]
    mine = [cid for cid in first if cid.partition("/")[0] == graph.region]
    if len(first) <= limit or not mine or mine[0] != first[0]:
        return  # small enough, or reported once: by the region of the wave's first cluster
    anchor = next((n for n in graph if n.cluster == first[0] and k8s.is_cluster_config(n)), None)
    if anchor is None:
        return
    yield Finding(
        anchor,
        f"the first wave ({order.names[0]}) holds {len(first)} of the fleet's {total} clusters; a first wave is a "
        f"canary: narrow its patterns to at most {limit} clusters and add a wave after it",
        Blame(),
    )
