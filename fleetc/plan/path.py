"""The whole climb of a cluster, planned before its first step.

The node image carries the kubelet, and a kubelet may be at most
``MAX_KUBELET_SKEW`` minors older than the apiserver and never newer. So a
control plane three or more minors behind its target cannot simply climb:
from 1.28 everywhere to 1.32, the apiserver may reach 1.31 with 1.28
kubelets, but 1.32 needs kubelets of 1.29 or newer, and the target node image
(a 1.32 kubelet) may not run before the apiserver does. Cluster API's chained
upgrades solve this by moving the workers through an intermediate version.

fleetc plans the path up front, as a list of *stages*: in each, the control
plane climbs (one minor per step) to the stage's version, then the nodes move
to the stage's image. The last stage is the target (K, I). Intermediate
images come from the channel's ``nodeImages`` (node images by minor, e.g.
``"1.30": gpu-node-2024.08.0``) and from the channel's own ``nodeImage`` at
the channel's minor when a pin takes the cluster past it. Each intermediate
stage takes the newest image the control plane allows at that point, so the
fewest node rollouts are needed (each one is a fleet-wide wait for idle GPU
nodes).

If no such image exists for a stage the climb needs, the path is *refused*
before anything starts, naming the minors for which an image would unblock
it: fleetc never starts a climb it cannot finish. Nodes that fleetc does not
move (pools not in the spec) cap the climb too: the path is refused when they
would fall out of skew.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fleetc.plan.wording import DETAIL_ITEMS
from fleetc.versions import Version

MAX_KUBELET_SKEW = 3


@dataclass(frozen=True)
class Stage:
    """One leg of the climb: the control plane goes to ``kubernetes``, then the nodes to ``node_image``."""

    kubernetes: Version
    node_image: str
    final: bool


@dataclass(frozen=True)
class Refusal:
    """The climb cannot be finished with what the fleet names; ``detail`` says what is missing."""

    detail: str
    nodes: tuple[str, ...] = ()  # the nodes concerned, when nodes are what stops the climb


Minor = tuple[int, int]


def minor_version(minor: Minor, known: Iterable[Version]) -> Version:
    """The version a control plane climbs to within ``minor``: the highest patch the fleet names, else ``x.y.0``."""
    same = [v for v in known if (v.major, v.minor) == minor and v.is_release]
    return max(same) if same else Version(minor[0], minor[1], 0)


def plan_path(
    apiserver: Version,
    movable: Iterable[Version],
    fixed: Iterable[tuple[str, Version]],
    target: Version,
    final_image: str,
    images: Mapping[Minor, str],
    known: Iterable[Version],
) -> list[Stage] | Refusal:
    """The stages from the live control plane at ``apiserver`` to (``target``, ``final_image``).

    ``movable``: kubelets of nodes fleetc rolls (the spec's pools);
    ``fixed``: (name, kubelet) of nodes it does not (they must stay in skew
    on their own). Same major assumed (crossing a major is refused by the caller).
    """
    known = list(known)
    final = Stage(target, final_image, final=True)
    movable_minor = min((k.minor for k in movable if k.major == target.major), default=None)
    stuck = sorted((name, k) for name, k in fixed if target.minors_to(k) < -MAX_KUBELET_SKEW)
    if stuck:
        named = ", ".join(f"{name} ({k})" for name, k in stuck[:DETAIL_ITEMS])
        more = f" and {len(stuck) - DETAIL_ITEMS} more" if len(stuck) > DETAIL_ITEMS else ""
        return Refusal(
            f"kubelets outside the fleet's pools would fall more than {MAX_KUBELET_SKEW} minors behind {target} "
            f"(the skew policy): {named}{more}; fleetc does not move them: a person must upgrade or remove them "
            "first",
            nodes=tuple(name for name, _ in stuck),
        )
    if movable_minor is None or movable_minor + MAX_KUBELET_SKEW >= target.minor:
        return [final]
    stages: list[Stage] = []
    kubelet = movable_minor
    cp = apiserver.minor
    while True:
        reach = max(cp, min(target.minor, kubelet + MAX_KUBELET_SKEW))
        if reach >= target.minor:
            return [*stages, final]
        options = [m for (major, m) in images if major == target.major and kubelet < m <= reach]
        if not options:
            wanted = ", ".join(f"{target.major}.{m}" for m in range(kubelet + 1, reach + 1))
            return Refusal(
                f"the climb to {target} needs nodes on a newer kubelet before the apiserver passes "
                f"{target.major}.{reach}: the nodes run {target.major}.{kubelet} and the target node image "
                f"{final_image} may only run at {target}; name a node image for one of {wanted} in the "
                "channel's nodeImages (e.g. nodeImages: {\"" + f"{target.major}.{reach}" + '": <image>})'
            )
        step = max(options)
        stages.append(Stage(minor_version((target.major, reach), known), images[(target.major, step)], final=False))
        kubelet, cp = step, reach
