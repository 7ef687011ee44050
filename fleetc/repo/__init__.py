"""Reading the fleet's git repository: one place opens it, resolves revisions and reads commits.

The planner is pure; what it needs from git -- which approvals are
committed, who may approve as committed, the fleet at another revision --
is read here and handed to it as data. ``fleetc plan``, ``preview``,
``approve`` and the Pulumi program all come through this package, so a
repository is opened, and its errors worded, the same way everywhere.
"""
