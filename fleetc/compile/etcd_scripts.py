"""The shell scripts of a cluster's dedicated etcd, shipped in the ConfigMap ``etcd-scripts``.

etcd's own images are distroless (no shell), so every pod first copies a
static busybox into an ``emptyDir`` (``/tools``) and the etcd container runs
these POSIX scripts with it, calling the image's own ``etcd`` and
``etcdctl``. ``tests/compile/test_etcd_scripts.py`` runs them against a fake
``etcdctl`` for every case below.

- ``member.sh`` starts one member. With its data on the volume it restarts
  on it. Without data, if a cluster answers, it is a new member (a scale-up)
  or one whose volume was lost: a stale registration under its peer URL is
  removed (a member cannot come back without its data), it is added, and it
  starts with ``--initial-cluster-state=existing``. Only when no cluster
  answers does it bootstrap (``new``) with the StatefulSet's first members.
- ``members.sh`` (CronJob) removes members whose ordinal is beyond the
  StatefulSet's replicas (a scale-down), only while every remaining member
  is healthy, so the member list never holds ghosts that count against quorum.
- ``defrag.sh`` (CronJob) defragments one member at a time and clears a
  NOSPACE alarm once space is back.
- ``snapshot.sh`` (CronJob) saves a snapshot from the first healthy member
  to the ``etcd-snapshots`` volume and keeps the newest ``KEEP``.
"""

from __future__ import annotations

# Every script reaches the cluster with the root client certificate from cert-manager.
_CTL = """\
work=$(mktemp -d)
ctl() {
  etcdctl --cacert=/etc/etcd/pki/client/ca.crt --cert=/etc/etcd/pki/client/tls.crt \\
    --key=/etc/etcd/pki/client/tls.key --command-timeout=30s "$@"
}
"""

MEMBER = (
    """\
#!/bin/sh
# Start this etcd member: restart on its data, join a running cluster, or bootstrap.
set -eu
"""
    + _CTL
    + """\
name="$POD_NAME"
peer="https://${name}.etcd.${POD_NAMESPACE}.svc:2380"
data="${DATA_DIR:-/var/lib/etcd/data}"
state=new
cluster="$INITIAL_CLUSTER"
# Member names are the first label of their peer URL's host (etcd-3.etcd.<ns>.svc -> etcd-3).
as_initial_cluster() {
  awk -F', ' '{ split($4, p, "[/.]"); printf "%s%s=%s", sep, p[3], $4; sep = "," }' "$1"
}
if [ -d "$data/member" ]; then
  echo "etcd member $name: data found, restarting on it"
  state=existing
elif ctl --endpoints="$ETCD_ENDPOINTS" member list > "$work/members" 2> "$work/error"; then
  mine=$(awk -F', ' -v url="$peer" '$4 == url { print $1 " " $2 }' "$work/members")
  id=${mine%% *}
  status=${mine#* }
  if [ -n "$mine" ] && [ "$status" = "started" ]; then
    echo "etcd member $name: registered as $id but its data is gone: replacing the member"
    ctl --endpoints="$ETCD_ENDPOINTS" member remove "$id"
    mine=""
  fi
  if [ -z "$mine" ]; then
    ctl --endpoints="$ETCD_ENDPOINTS" member add "$name" --peer-urls="$peer" > /dev/null
  fi
  ctl --endpoints="$ETCD_ENDPOINTS" member list > "$work/members"
  cluster=$(as_initial_cluster "$work/members")
  state=existing
  echo "etcd member $name: joining the running cluster $cluster"
else
  echo "etcd member $name: no cluster answers ($(cat "$work/error")); bootstrapping $cluster"
fi
exec etcd --name="$name" --data-dir="$data" --initial-cluster="$cluster" --initial-cluster-state="$state" "$@"
"""
)

MEMBERS = (
    """\
#!/bin/sh
# Remove members beyond the StatefulSet's replicas (a scale-down), while the others are healthy.
set -eu
"""
    + _CTL
    + """\
ctl --endpoints="$ETCD_ENDPOINTS" endpoint health
ctl --endpoints="$ETCD_ENDPOINTS" member list > "$work/members"
awk -F', ' -v n="$REPLICAS" '{ split($4, p, "[/.]"); k = p[3]; sub(/^etcd-/, "", k);
  if (k ~ /^[0-9]+$/ && k + 0 >= n + 0) print $1 }' "$work/members" > "$work/beyond"
for id in $(cat "$work/beyond"); do
  echo "removing etcd member $id: beyond the $REPLICAS replicas of the StatefulSet"
  ctl --endpoints="$ETCD_ENDPOINTS" member remove "$id"
done
"""
)

DEFRAG = (
    """\
#!/bin/sh
# Defragment one member at a time (a member blocks while it defragments), then clear NOSPACE.
set -eu
"""
    + _CTL
    + """\
for endpoint in $(echo "$ETCD_ENDPOINTS" | tr ',' ' '); do
  ctl --endpoints="$endpoint" defrag
done
ctl --endpoints="$ETCD_ENDPOINTS" alarm disarm
"""
)

SNAPSHOT = (
    """\
#!/bin/sh
# Save a snapshot from the first healthy member; keep the newest $KEEP.
set -eu
"""
    + _CTL
    + """\
file="/snapshots/etcd-$(date -u +%Y%m%dT%H%M%SZ).db"
saved=""
for endpoint in $(echo "$ETCD_ENDPOINTS" | tr ',' ' '); do
  if ctl --endpoints="$endpoint" snapshot save "$file.part"; then
    mv "$file.part" "$file"
    saved="$file"
    break
  fi
  rm -f "$file.part"
done
[ -n "$saved" ] || { echo "no member could take a snapshot"; exit 1; }
ls -1t /snapshots/etcd-*.db | tail -n +$((KEEP + 1)) | while read -r old; do rm -f "$old"; done
echo "saved $saved"
"""
)

SCRIPTS: dict[str, str] = {
    "member.sh": MEMBER,
    "members.sh": MEMBERS,
    "defrag.sh": DEFRAG,
    "snapshot.sh": SNAPSHOT,
}
