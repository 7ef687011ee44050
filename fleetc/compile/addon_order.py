"""In which order a cluster's add-ons install: the one home of that rule (DESIGN.md, issue 14).

A brand-new cluster comes up in one ``pulumi up`` (docs/spec.md 6.1), so its Helm releases must not race:

1. **The CNI first.** Until it runs no pod gets a network, and every other chart's hooks and webhooks would
   time out. An add-on is the CNI when its chart is one of ``fleetc.spec.fleet.CNI_CHARTS``; every other
   add-on depends on it, and it depends on nothing.
2. **CRD providers before the add-ons that create their objects.** kube-prometheus-stack brings the
   ``monitoring.coreos.com`` CRDs (ServiceMonitor, PodMonitor, PrometheusRule), cert-manager the
   ``cert-manager.io`` ones (Certificate, Issuer). An add-on whose values turn on one of those objects -- a key
   named like the kind (``serviceMonitor``, ``podMonitor``, ``prometheusRule``, ``certManager``...) holding
   ``enabled: true`` or ``create: true`` (or ``true`` itself) -- depends on the provider, because the API server
   rejects an object whose CRD is not installed yet. Two providers that would need each other are left
   unordered (a cycle cannot be applied; that pair then converges on the next run).

The result is a dependency list per add-on (ids of other HELM_RELEASE nodes): the Pulumi program turns it into
``dependsOn`` and ``fleetc render`` into Flux's ``spec.dependsOn``, so both follow the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fleetc.spec.fleet import is_cni
from fleetc.spec.models import Addon

# Chart -> the value keys (lower case) whose objects need that chart's CRDs.
CRD_PROVIDERS: Mapping[str, frozenset[str]] = {
    "kube-prometheus-stack": frozenset({"servicemonitor", "podmonitor", "prometheusrule", "prometheusrules"}),
    "cert-manager": frozenset({"certmanager", "certificate", "issuer", "clusterissuer"}),
}
_ON = frozenset({"enabled", "enable", "create"})


def addon_dependencies(addons: Sequence[Addon]) -> dict[str, tuple[str, ...]]:
    """Add-on name -> the names of the add-ons it must wait for (deterministic: in the cluster's add-on order)."""
    names = [a.name for a in addons]
    cni = [a.name for a in addons if is_cni(a)]
    providers = {a.name: CRD_PROVIDERS[a.chart.name] for a in addons if a.chart.name in CRD_PROVIDERS}
    uses = {a.name: {p for p, keys in providers.items() if p != a.name and _turns_on(a.values, keys)} for a in addons}
    deps: dict[str, tuple[str, ...]] = {}
    for addon in addons:
        wanted: set[str] = set()
        if addon.name in cni:
            deps[addon.name] = ()  # the CNI waits for nothing: everything else waits for it
            continue
        wanted.update(cni)
        for provider in uses[addon.name]:
            if addon.name in uses.get(provider, set()):
                continue  # they would need each other: no order can satisfy both
            wanted.add(provider)
        deps[addon.name] = tuple(n for n in names if n in wanted)
    return deps


def install_order(addons: Sequence[Addon], deps: Mapping[str, tuple[str, ...]]) -> list[Addon]:
    """``addons`` with every add-on after the ones it depends on, otherwise in their written order."""
    placed: list[Addon] = []
    done: set[str] = set()
    waiting = list(addons)
    while waiting:  # bounded: each pass places at least one add-on (deps form no cycle, see above)
        ready = [a for a in waiting if all(d in done for d in deps.get(a.name, ()))]
        if not ready:
            raise ValueError(f"add-on dependencies form a cycle: {[a.name for a in waiting]}")
        placed.append(ready[0])
        done.add(ready[0].name)
        waiting.remove(ready[0])
    return placed


def _turns_on(values: Any, keys: frozenset[str]) -> bool:
    """Do ``values`` switch on an object named by one of ``keys`` anywhere in their tree?"""
    if isinstance(values, dict):
        for key, value in values.items():
            if isinstance(key, str) and key.lower() in keys and _on(value):
                return True
            if _turns_on(value, keys):
                return True
    elif isinstance(values, list):
        return any(_turns_on(item, keys) for item in values)
    return False


def _on(value: Any) -> bool:
    if value is True:
        return True
    return isinstance(value, dict) and any(value.get(flag) is True for flag in _ON)
