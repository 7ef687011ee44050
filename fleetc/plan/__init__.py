"""The rollout planner: the next safe step of every upgrade, as a pure function."""
