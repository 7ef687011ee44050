"""``fleetc preview``: what a pull request changes, from two git revisions of the fleet."""
