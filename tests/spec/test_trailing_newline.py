"""A final line break never slips through a pattern check (Python's ``$`` matches before a trailing newline)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fleetc.spec.models import Channel, Metadata, NodePool, Window


@pytest.mark.parametrize(
    "build",
    [
        lambda: Metadata(name="train\n"),
        lambda: Window(days=["sat"], start="02:00\n", hours=1),
        lambda: NodePool(name="gpu", instance_type="x", count=10, max_unavailable="5%\n"),
        lambda: Channel(kubernetes="1.31.2", etcd="3.5.16", node_image="img", node_images={"1.30\n": "img"}),
    ],
)
def test_a_value_with_a_final_newline_is_refused(build: object) -> None:
    with pytest.raises(ValidationError):
        build()  # type: ignore[operator]
