"""Wave facts across regions: the rollout stack output and how another region reads it (fleetc.plan.peers)."""

from __future__ import annotations

from datetime import timedelta

from fleetc.live.records import format_time
from fleetc.plan.peers import peers_from_outputs, rollout_output
from fleetc.plan.planner import plan
from plan.builders import NOW
from plan.rollouts import fleet, member, record, settled, state


def test_a_regions_rollout_output_reads_back_as_peer_facts() -> None:
    spec = fleet({"r1": [member("a"), member("b")]})
    live = state(settled("r1/a", record(spec, "r1/a")), settled("r1/b", record(spec, "r1/b"), halted=True))
    output = rollout_output(plan(spec, live, [], NOW), NOW)
    assert output["r1/a"]["healthy"] is True and output["r1/a"]["rolledOut"]["at"] == format_time(NOW)
    assert output["r1/b"]["healthy"] is False  # a halted pool
    peers = peers_from_outputs({"r1": output}, NOW + timedelta(hours=1))
    assert peers["r1/a"].healthy is True and peers["r1/a"].rolled_out is not None
    assert peers["r1/a"].rolled_out.at == NOW and peers["r1/b"].healthy is False


def test_stale_future_or_malformed_facts_are_unknown() -> None:
    entry = {"rolledOut": None, "healthy": True, "observed": format_time(NOW)}
    assert peers_from_outputs({"r1": {"r1/a": entry}}, NOW + timedelta(hours=25))["r1/a"].healthy is None
    assert peers_from_outputs({"r1": {"r1/a": entry}}, NOW - timedelta(hours=1))["r1/a"].healthy is None
    assert peers_from_outputs({"r1": {"r1/a": "x"}}, NOW)["r1/a"].healthy is None
    bad = {**entry, "rolledOut": {"at": "never"}, "healthy": "yes"}
    peer = peers_from_outputs({"r1": {"r1/a": bad}}, NOW)["r1/a"]
    assert (peer.rolled_out, peer.healthy) == (None, None)
    assert peers_from_outputs({"r1": None}, NOW) == {}
