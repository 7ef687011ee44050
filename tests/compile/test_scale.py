"""The graph is O(clusters + pools + add-ons) + O(nodes of this step), never O(nodes)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetc.compile import compile_region
from fleetc.compile.graph import Kind
from fleetc.plan.model import Action, Step
from fleetc.spec.fleet import FleetSpec

from .plans import example_spec, make_plan, with_cluster

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
REGION = "us-east-04"
SPEC = example_spec()
NODE_ACTIONS = [Action.CORDON, Action.REIMAGE, Action.UNCORDON, Action.MARK_PENDING, Action.ESCALATE_PENDING]


def sized(spec: FleetSpec, total_nodes: int) -> FleetSpec:
    """The example region with ``total_nodes`` spread over its pools."""
    pools = [(c.name, p.name) for _, c in spec.clusters(REGION) for p in c.node_pools]
    share, extra = divmod(total_nodes, len(pools))
    counts = {key: share + (1 if i < extra else 0) for i, key in enumerate(pools)}
    for _, cluster in list(spec.clusters(REGION)):
        node_pools = [p.model_copy(update={"count": counts[(cluster.name, p.name)]}) for p in cluster.node_pools]
        spec = with_cluster(spec, REGION, cluster.name, node_pools=node_pools)
    return spec


touched_nodes = st.lists(
    st.tuples(
        st.sampled_from([(c.name, p.name) for _, c in SPEC.clusters(REGION) for p in c.node_pools]),
        st.integers(min_value=0, max_value=3999),
        st.sampled_from(NODE_ACTIONS),
    ),
    max_size=40,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=25, deadline=None)
@given(touched=touched_nodes, small=st.integers(100, 400), large=st.integers(4000, 8000))
def test_graph_size_does_not_grow_with_nodes(
    touched: list[tuple[tuple[str, str], int, Action]], small: int, large: int
) -> None:
    steps = tuple(
        Step(f"{REGION}/{cluster}", action, f"{cluster}-{pool}-{n}", pool=pool, image="img")
        for (cluster, pool), n, action in touched
    )
    graphs = []
    for total in (small, large):
        spec = sized(SPEC, total)
        assert sum(p.count for _, c in spec.clusters(REGION) for p in c.node_pools) == total
        graphs.append(compile_region(spec, make_plan(spec, REGION, steps=steps), REGION, NOW))
    few, many = graphs
    patches = [len(g.of_kind(Kind.NODE_PATCH)) for g in graphs]
    assert patches == [len(steps), len(steps)]
    assert len(few) - patches[0] == len(many) - patches[1]
    assert [n.id for n in few] == [n.id for n in many]
