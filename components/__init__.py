"""Pulumi ComponentResources for a region's desired graph (the only Pulumi code besides ``__main__.py``).

``Region`` is the root; it builds ``HostedControlPlane``, ``AddonBundle`` and
``NodePool`` components from the graph that ``fleetc.compile`` produced.
"""

from components.groups import (
    AddonBundle,
    AddonBundleArgs,
    HostedControlPlane,
    HostedControlPlaneArgs,
    NodePool,
    NodePoolArgs,
    Region,
    RegionArgs,
)

__all__ = [
    "AddonBundle",
    "AddonBundleArgs",
    "HostedControlPlane",
    "HostedControlPlaneArgs",
    "NodePool",
    "NodePoolArgs",
    "Region",
    "RegionArgs",
]
