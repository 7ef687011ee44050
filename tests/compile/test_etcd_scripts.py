"""The etcd scripts, run with this machine's POSIX sh against a fake ``etcdctl`` and ``etcd``.

The fake keeps a member list in a file (the ``-w simple`` format etcdctl
prints: ``ID, status, name, peerURL, clientURL, isLearner``), answers only
when the test says a cluster is reachable, and records every call; the fake
``etcd`` records the flags it was started with. The real images run the same
scripts with busybox's sh and awk (not installed here): the scripts use only
POSIX features for that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fleetc.compile.etcd_scripts import SCRIPTS

pytestmark = pytest.mark.skipif(shutil.which("sh") is None or shutil.which("awk") is None, reason="needs sh and awk")

NS = "cp-alpha"
FAKE_ETCDCTL = r"""#!/bin/sh
# fake etcdctl: state in $FAKE; "member list" fails unless $FAKE/reachable exists
echo "$*" >> "$FAKE/calls"
words=""
for arg in "$@"; do case "$arg" in --*) ;; *) words="$words $arg" ;; esac; done
set -- $words
[ -e "$FAKE/reachable" ] || { echo "context deadline exceeded" >&2; exit 1; }
case "$1 $2" in
  "member list") cat "$FAKE/members" ;;
  "member remove") grep -v "^$3, " "$FAKE/members" > "$FAKE/m" || true; mv "$FAKE/m" "$FAKE/members" ;;
  "member add") n=$(wc -l < "$FAKE/members" | tr -d ' ')
                echo "new$n, unstarted, , $PEER_ADDED, , false" >> "$FAKE/members" ;;
  "endpoint health") [ ! -e "$FAKE/unhealthy" ] || exit 1 ;;
  *) ;;
esac
"""
FAKE_ETCD = """#!/bin/sh
echo "$*" > "$FAKE/etcd-args"
"""


def member(i: int, status: str = "started", name: str | None = None) -> str:
    host = f"etcd-{i}.etcd.{NS}.svc"
    shown = f"etcd-{i}" if name is None else name
    return f"id{i}, {status}, {shown}, https://{host}:2380, https://{host}:2379, false"


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("etcdctl", FAKE_ETCDCTL), ("etcd", FAKE_ETCD)):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)
    (tmp_path / "scripts").mkdir()
    for name, text in SCRIPTS.items():
        (tmp_path / "scripts" / name).write_text(text)
    (tmp_path / "members").write_text("")
    return tmp_path


def run(fake: Path, script: str, pod: str = "etcd-2", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": f"{fake / 'bin'}:{os.environ['PATH']}",
        "FAKE": str(fake),
        "POD_NAME": pod,
        "POD_NAMESPACE": NS,
        "INITIAL_CLUSTER": ",".join(f"etcd-{i}=https://etcd-{i}.etcd.{NS}.svc:2380" for i in range(3)),
        "ETCD_ENDPOINTS": ",".join(f"https://etcd-{i}.etcd.{NS}.svc:2379" for i in range(3)),
        "PEER_ADDED": f"https://{pod}.etcd.{NS}.svc:2380",
        "REPLICAS": "3",
        "KEEP": "3",
        "TMPDIR": str(fake),
        **env,
    }
    return subprocess.run(
        ["sh", str(fake / "scripts" / script), "--listen-client-urls=x"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def etcd_flags(fake: Path) -> dict[str, str]:
    words = (fake / "etcd-args").read_text().split()
    return dict(w[2:].split("=", 1) for w in words if w.startswith("--") and "=" in w)


def test_no_cluster_answers_bootstrap_with_the_initial_members(fake: Path) -> None:
    result = run(fake, "member.sh")
    assert result.returncode == 0, result.stderr
    flags = etcd_flags(fake)
    assert flags["initial-cluster-state"] == "new"
    assert flags["initial-cluster"].count("=https://") == 3
    assert flags["listen-client-urls"] == "x"  # the StatefulSet's own flags are passed on


def test_a_member_with_data_restarts_on_it(fake: Path) -> None:
    (fake / "reachable").touch()
    (fake / "members").write_text("\n".join(member(i) for i in range(3)) + "\n")
    (fake / "data" / "member").mkdir(parents=True)
    result = run(fake, "member.sh", pod="etcd-0", DATA_DIR=str(fake / "data"))
    assert result.returncode == 0, result.stderr
    assert not (fake / "calls").exists()  # no cluster call at all: its data says who it is
    assert etcd_flags(fake)["initial-cluster-state"] == "existing"


def test_scale_up_adds_the_member_and_joins_as_existing(fake: Path) -> None:
    (fake / "reachable").touch()
    (fake / "members").write_text("\n".join(member(i) for i in range(3)) + "\n")
    result = run(fake, "member.sh", pod="etcd-3", PEER_ADDED=f"https://etcd-3.etcd.{NS}.svc:2380")
    assert result.returncode == 0, result.stderr
    calls = (fake / "calls").read_text()
    assert "member add etcd-3" in calls and "member remove" not in calls
    flags = etcd_flags(fake)
    assert flags["initial-cluster-state"] == "existing"
    assert f"etcd-3=https://etcd-3.etcd.{NS}.svc:2380" in flags["initial-cluster"]
    assert flags["initial-cluster"].count("=https://") == 4


def test_a_lost_volume_replaces_the_stale_member(fake: Path) -> None:
    (fake / "reachable").touch()
    (fake / "members").write_text("\n".join(member(i) for i in range(3)) + "\n")
    result = run(fake, "member.sh", pod="etcd-1", PEER_ADDED=f"https://etcd-1.etcd.{NS}.svc:2380")
    assert result.returncode == 0, result.stderr
    calls = (fake / "calls").read_text()
    assert "member remove id1" in calls and "member add etcd-1" in calls
    assert "id1," not in (fake / "members").read_text()
    assert etcd_flags(fake)["initial-cluster-state"] == "existing"


def test_a_registered_member_that_never_started_joins_without_re_adding(fake: Path) -> None:
    (fake / "reachable").touch()
    rows = [member(0), member(1), member(2, status="unstarted", name="")]
    (fake / "members").write_text("\n".join(rows) + "\n")
    result = run(fake, "member.sh", pod="etcd-2")
    assert result.returncode == 0, result.stderr
    calls = (fake / "calls").read_text()
    assert "member add" not in calls and "member remove" not in calls
    flags = etcd_flags(fake)
    assert flags["initial-cluster-state"] == "existing"
    assert f"etcd-2=https://etcd-2.etcd.{NS}.svc:2380" in flags["initial-cluster"]  # named from its peer URL


def test_members_beyond_the_replicas_are_removed_only_when_the_rest_is_healthy(fake: Path) -> None:
    (fake / "reachable").touch()
    (fake / "members").write_text("\n".join(member(i) for i in range(5)) + "\n")
    (fake / "unhealthy").touch()
    assert run(fake, "members.sh").returncode != 0
    assert "member remove" not in (fake / "calls").read_text()
    (fake / "unhealthy").unlink()
    result = run(fake, "members.sh")
    assert result.returncode == 0, result.stderr
    left = (fake / "members").read_text()
    assert "id3," not in left and "id4," not in left and "id2," in left


def test_defrag_goes_one_member_at_a_time(fake: Path) -> None:
    (fake / "reachable").touch()
    assert run(fake, "defrag.sh").returncode == 0
    calls = [c for c in (fake / "calls").read_text().splitlines() if "defrag" in c]
    assert len(calls) == 3 and all(c.count("https://") == 1 for c in calls)


def test_scripts_parse() -> None:
    for name, text in SCRIPTS.items():
        result = subprocess.run(["sh", "-n"], input=text, capture_output=True, text=True, timeout=10, check=False)
        assert result.returncode == 0, (name, result.stderr)
