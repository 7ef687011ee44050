"""Fleet waves (docs/spec.md 6.3): a change of revision reaches a cluster only after every earlier wave ran it.

``Fleet.spec.rollout.waves`` orders the fleet; a cluster is in the first wave one of whose patterns matches its
id, and a cluster no wave matches is in an implicit last wave, :data:`UNASSIGNED` (a forgotten catch-all never
lets a cluster skip the canaries). (Node waves inside a pool are ``waves.py``; these are waves of clusters.)

A cluster may make a change -- a wave *field* (``revision.py``: kubernetes with etcd, the node image, the
settings, each add-on) moving to a value -- only when every cluster of every earlier wave that is meant to run
the same value of that field (its own desired revision has it: a CPU cluster without the GPU operator does not
hold back a GPU-operator bump) has it in its recorded ``rolledOut``, is healthy (known, no ``halted``, no pool
beyond its budget) and has done so for at least its wave's ``soak`` (measured from ``rolledOut.at``). Anything
unknown about such a cluster counts as not done (fail closed). Every step of a change re-checks this, so an
earlier wave that halts stops the later waves also mid-rollout; only ``uncordon`` still goes.

The answer for (earlier waves, field, value) is the same for every cluster asking, so it is computed once per
plan (:class:`WaveBook`): planning stays linear in the number of clusters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleetc.conventions import cluster_id
from fleetc.live.facts import RolledOut
from fleetc.live.records import format_time
from fleetc.plan.model import Blocked, ClusterPlan, Phase, Reason
from fleetc.plan.revision import Revision, describe_field, field_value, rolled_value
from fleetc.plan.wording import shorten
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import wave_matches

UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class WaveOrder:
    """The fleet's waves: names in order, their soaks, their clusters, and each cluster's position."""

    names: tuple[str, ...]
    soaks: tuple[timedelta, ...]
    members: tuple[tuple[str, ...], ...]
    position: Mapping[str, int]

    def wave_of(self, cid: str) -> str:
        return self.names[self.position[cid]]


def wave_order(spec: FleetSpec) -> WaveOrder | None:
    """The waves of the fleet, or None when it has none (every cluster moves on its own gates)."""
    waves = spec.fleet.spec.rollout.waves
    if not waves:
        return None
    names = [w.name for w in waves]
    soaks = [w.soak_time for w in waves]
    members: list[list[str]] = [[] for _ in waves]
    position: dict[str, int] = {}
    unassigned: list[str] = []
    for region, cluster in spec.clusters():
        cid = cluster_id(region, cluster.name)
        found = next((i for i, w in enumerate(waves) if any(wave_matches(p, cid) for p in w.clusters)), None)
        if found is None:
            unassigned.append(cid)
        else:
            members[found].append(cid)
            position[cid] = found
    if unassigned:
        names.append(UNASSIGNED)
        soaks.append(timedelta(0))
        members.append(unassigned)
        for cid in unassigned:
            position[cid] = len(names) - 1
    return WaveOrder(tuple(names), tuple(soaks), tuple(tuple(sorted(m)) for m in members), position)


@dataclass(frozen=True)
class WaveFacts:
    """What a later wave needs to know of a cluster: what it reached and since when, and whether it is healthy."""

    rolled_out: RolledOut | None
    healthy: bool | None  # None: unknown
    why: str = ""  # why it is unhealthy or unknown


def wave_facts(plan: ClusterPlan, blocked: Iterable[Blocked]) -> WaveFacts:
    """What later waves see of a cluster planned in this run (its own plan, before any wave held it)."""
    if plan.phase in (Phase.UNKNOWN, Phase.NEW):
        return WaveFacts(None, None, "state unknown" if plan.phase is Phase.UNKNOWN else "not created yet")
    rolled = plan.revision.rolled_out if plan.revision is not None else None
    if any(b.reason is Reason.HALTED for b in blocked):
        return WaveFacts(rolled, False, "halted")
    over = [p.name for p in plan.pools if p.unavailable > p.max_unavailable]
    if over:
        return WaveFacts(rolled, False, f"pools over their budget: {', '.join(over)}")
    return WaveFacts(rolled, True)


@dataclass(frozen=True)
class WaveWait:
    """One wave holding one field: the clusters not yet done (with why) and when the soak ends, if known."""

    wave: str
    field: str
    value: str
    not_done: tuple[str, ...]
    soak_ends: datetime | None


@dataclass
class WaveBook:
    """Answers "may this field move to this value after these waves?" once per (wave, field, value)."""

    order: WaveOrder
    desired: Callable[[str], Revision]
    facts: Callable[[str], WaveFacts]
    now: datetime
    _cache: dict[tuple[int, str, str], WaveWait | None] = field(default_factory=dict)

    def holds(self, cid: str, fields: Mapping[str, str]) -> list[WaveWait]:
        """For each field of ``fields`` (field -> value) the earliest earlier wave that holds it."""
        position = self.order.position.get(cid, 0)
        waits: list[WaveWait] = []
        for name, value in sorted(fields.items()):
            for wave in range(position):
                wait = self._wave(wave, name, value)
                if wait is not None:
                    waits.append(wait)
                    break
        return waits

    def _wave(self, wave: int, name: str, value: str) -> WaveWait | None:
        key = (wave, name, value)
        if key not in self._cache:
            self._cache[key] = self._judge(wave, name, value)
        return self._cache[key]

    def _judge(self, wave: int, name: str, value: str) -> WaveWait | None:
        soak = self.order.soaks[wave]
        not_done: list[str] = []
        ends: list[datetime] = []
        waiting_for_finish = False
        for cid in self.order.members[wave]:
            if field_value(self.desired(cid), name) != value:
                continue  # not meant to run this value: it holds nothing back
            facts = self.facts(cid)
            rolled = facts.rolled_out
            if facts.healthy is None:
                not_done.append(f"{cid} ({facts.why or 'state unknown'})")
                waiting_for_finish = True
            elif not facts.healthy:
                not_done.append(f"{cid} ({facts.why or 'unhealthy'})")
                waiting_for_finish = True
            elif rolled is None or rolled_value(rolled, name) != value:
                not_done.append(f"{cid} (not there yet)")
                waiting_for_finish = True
            elif self.now < rolled.at + soak:
                not_done.append(f"{cid} (soaking until {format_time(rolled.at + soak)})")
                ends.append(rolled.at + soak)
        if not not_done:
            return None
        return WaveWait(self.order.names[wave], name, value, tuple(not_done), None if waiting_for_finish else max(ends))


def wave_block(cid: str, waits: list[WaveWait], soaks: Mapping[str, timedelta]) -> Blocked:
    """The one ``waiting-for-wave`` entry of a cluster: per wave, the changes it holds, who is not done, the soak."""
    by_wave: dict[str, list[WaveWait]] = {}
    for wait in waits:
        by_wave.setdefault(wait.wave, []).append(wait)
    parts: list[str] = []
    for wave, found in by_wave.items():
        changes = ", ".join(describe_field(w.field, w.value) for w in found)
        not_done = sorted({c for w in found for c in w.not_done})
        ends = [w.soak_ends for w in found]
        if all(end is not None for end in ends):
            soak = f"soak ends {format_time(max(e for e in ends if e is not None))}"
        else:
            soak = f"its soak of {_duration(soaks[wave])} starts when they are done"
        parts.append(f"wave {wave} has not run {changes} long enough: not done: {shorten(not_done)}; {soak}")
    return Blocked(cid, Reason.WAITING_FOR_WAVE, "; ".join(parts) + "; nothing of it starts here until then")


def _duration(length: timedelta) -> str:
    hours, rest = divmod(int(length.total_seconds()) // 60, 60)
    return f"{hours}h{rest:02d}m" if rest else f"{hours}h"
