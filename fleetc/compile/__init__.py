"""Compile a fleet and a plan into the desired graph: an engine-free IR."""

from fleetc.compile.compiler import compile_region

__all__ = ["compile_region"]
