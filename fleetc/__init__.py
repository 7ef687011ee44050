"""fleetc: a declarative fleet-as-code GitOps compiler for GPU clouds.

The package is engine-free: nothing here imports ``pulumi`` at import time, so
the compiler, planner and policy rules run in milliseconds in tests and CI.
"""

__version__ = "0.1.0"
