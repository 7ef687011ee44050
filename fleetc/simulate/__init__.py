"""Rollout simulator: the real planner against a simulated GPU fleet under load.

A scenario (``scenario.py``) describes a fleet slice, a job trace and the
timings of an upgrade; ``engine.py`` runs it as discrete events three times on
the same seeded trace: once driven by the real ``fleetc.plan.planner.plan()``
every ``pulumi up`` interval, once as a drain-regardless rolling update and
once as wait-until-idle. ``metrics.py`` measures what each cost (makespan,
interrupted jobs, capacity held idle, budget overruns) and ``report.py``
prints and plots the comparison. Nothing here imports Pulumi.
"""
