"""Node images are Kubernetes label values wherever the fleet names one.

fleetc writes a node image as the value of the node labels
``<labelPrefix>/target-image`` and ``<labelPrefix>/node-image``; a value the
API server would refuse there must be refused when the fleet is validated,
not when a rollout patches its first node. Channel.nodeImage,
VersionPins.nodeImage and an Approval's nodeImage share one rule.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fleetc.errors import FleetcError
from fleetc.spec.loader import load_fleet
from fleetc.spec.models import ApprovalSpecBody, Channel, VersionPins

MINIMAL = Path(__file__).parent / "valid" / "minimal"
# Kubernetes' own definition (k8s.io/apimachinery validation.IsValidLabelValue): empty is allowed
# there, but a node image is never empty.
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")

CANDIDATES = st.one_of(
    st.text(alphabet="aZ09-_.", max_size=70),
    st.text(max_size=10),
    st.sampled_from(["gpu-node-2024.11.1", "a", "a" * 63, "a" * 64, "img:1", "img/1", "-a", "a-", "a b", ""]),
)


def accepts(build: Callable[[str], object], image: str) -> bool:
    try:
        build(image)
    except ValidationError:
        return False
    return True


BUILDERS: dict[str, Callable[[str], object]] = {
    "Channel.nodeImage": lambda image: Channel.model_validate(
        {"kubernetes": "1.30.6", "etcd": "3.5.16", "nodeImage": image}
    ),
    "VersionPins.nodeImage": lambda image: VersionPins.model_validate({"nodeImage": image}),
    "Approval nodeImage": lambda image: ApprovalSpecBody.model_validate(
        {
            "cluster": "r1/train",
            "kubernetes": "1.31.2",
            "nodeImage": image,
            "approvedBy": "ops@team-a.example",
            "expires": "2030-01-01T00:00:00Z",
        }
    ),
}


@settings(max_examples=300, deadline=None)
@given(image=CANDIDATES, where=st.sampled_from(sorted(BUILDERS)))
def test_a_node_image_is_accepted_exactly_when_it_is_a_label_value(image: str, where: str) -> None:
    valid = bool(image) and len(image) <= 63 and LABEL_VALUE.fullmatch(image) is not None
    assert accepts(BUILDERS[where], image) == valid


def test_the_message_says_why_at_the_field(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(MINIMAL, fleet)
    path = fleet / "fleet.yaml"
    path.write_text(path.read_text().replace("nodeImage: img-2024.11}", "nodeImage: 'img 2024.11'}", 1))
    with pytest.raises(FleetcError) as caught:
        load_fleet(fleet)
    [diagnostic] = caught.value.diagnostics
    assert str(diagnostic).startswith(f"{path}:11:")
    assert diagnostic.message == (
        "nodeImage 'img 2024.11' is not a valid Kubernetes label value, and fleetc writes node images as the "
        "value of node labels (<labelPrefix>/node-image, <labelPrefix>/target-image): use at most 63 letters, "
        "digits, '-', '_' and '.', starting and ending with a letter or digit, e.g. gpu-node-2024.11.1"
    )
