"""Fixtures shared across the suite."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/harness (the Pulumi mock runner and other shared harnesses) is importable from every test directory.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session", autouse=True)
def close_stray_event_loops() -> Iterator[None]:
    """Programs run under Pulumi's mocks leave event loops on the runtime's executor
    threads; close them at the end, or a stray ``ValueError: Invalid file descriptor``
    can appear at exit (pulumi/pulumi#7663, PULUMI-NOTES.md)."""
    yield
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.AbstractEventLoop) and not obj.is_running() and not obj.is_closed():
            obj.close()
