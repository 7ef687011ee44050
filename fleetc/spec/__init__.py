"""The fleet's typed model: the documents of ``fleet/`` as pydantic models, their position-keeping loader
and the checks that span documents.

"spec" here means the fleet *specification* (docs/spec.md section 2: what the fleet declares), not tests.
The name stays because it is the word the contract and every user-facing message use ("the fleet spec");
``FleetSpec`` (``fleet.py``) is the loaded fleet every other package takes.
"""
