"""Rule functions by topic; ``fleetc.policy.registry`` gives them ids and severities."""
