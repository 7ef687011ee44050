"""The seeded job trace: reproducible, at the offered load, starting in steady state."""

from __future__ import annotations

from pathlib import Path

from fleetc.simulate.trace import pool_trace

from .helpers import scenario_data, write_scenario


def test_same_seed_same_trace_other_seed_other_trace(tmp_path: Path) -> None:
    spec = write_scenario(tmp_path, scenario_data(nodes=200, load=0.85, horizon_days=30, failures=0.01)).spec
    first = pool_trace(spec, 1, "r/c", "p", 200)
    assert first == pool_trace(spec, 1, "r/c", "p", 200)
    assert first != pool_trace(spec, 2, "r/c", "p", 200)
    assert first != pool_trace(spec, 1, "r/c", "q", 200)  # pools get their own streams


def test_load_and_steady_state(tmp_path: Path) -> None:
    nodes = 2000
    spec = write_scenario(tmp_path, scenario_data(nodes=nodes, load=0.85, horizon_days=200)).spec
    trace = pool_trace(spec, 3, "r/c", "p", nodes)
    busy = sum(job.size for job in trace.running)
    assert abs(busy - 0.85 * nodes) <= 2  # filled to the offered load
    # Little's law over the horizon: arrivals x size x duration ~ load x capacity
    work = sum(a.size * a.duration for a in trace.arrivals)
    assert 0.75 < work / (nodes * 200 * 86400) < 0.95
    # residual life: remaining times are shorter than whole lengths but length-biased ones are longer
    mean_length = sum(j.duration for j in trace.running) / len(trace.running)
    mean_remaining = sum(j.remaining for j in trace.running) / len(trace.running)
    mean_new = sum(a.duration for a in trace.arrivals) / len(trace.arrivals)
    assert mean_length > 1.5 * mean_new
    assert 0.4 < mean_remaining / mean_length < 0.6
    assert all(0 < j.remaining <= j.duration for j in trace.running)
    assert max(a.duration for a in trace.arrivals) <= 60 * 3600  # the cap
