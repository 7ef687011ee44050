"""Compile a fleet and a plan into the desired graph: an engine-free IR."""
