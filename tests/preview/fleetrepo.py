"""A small fleet in a temporary git repository, changed by real commits.

The fleet passes every mandatory rule (so exit codes say what the change
did), has one GPU cluster with required approvals and one CPU cluster on
automatic upgrades, and is small enough to compile in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import git

FLEET = """\
apiVersion: fleetc.dev/v1alpha1
kind: Fleet
metadata: {name: test}
spec:
  labelPrefix: fleet.test
  channels:
    stable: {kubernetes: "1.30.6", etcd: "3.5.16", nodeImage: "img-2024.11"}
    rapid: {kubernetes: "1.31.2", etcd: "3.5.16", nodeImage: "img-2024.12"}
  instanceTypes:
    gpu8: {gpus: 8, cpus: 128, memoryGiB: 1024}
    cpu32: {gpus: 0, cpus: 32, memoryGiB: 128}
  bundles:
    base:
      addons:
        - name: cilium
          namespace: kube-system
          chart: {repository: "https://helm.cilium.io", name: cilium, version: "1.16.3"}
          disruptive: true
        - name: node-feature-discovery
          namespace: nfd
          chart: {repository: "https://nfd.example/charts", name: node-feature-discovery, version: "0.16.6"}
        - name: node-problem-detector
          namespace: kube-system
          chart: {repository: "https://npd.example/charts", name: node-problem-detector, version: "2.3.13"}
        - name: gpu-operator
          namespace: gpu-operator
          chart: {repository: "https://helm.ngc.nvidia.com/nvidia", name: gpu-operator, version: "v24.9.0"}
          when: gpu
          disruptive: true
"""

TENANTS = """\
apiVersion: fleetc.dev/v1alpha1
kind: Tenant
metadata: {name: t}
spec:
  approvers: [ops@t.example]
"""

TRAIN = """\
    - name: train
      tenant: t
      channel: rapid
      controlPlane: {replicas: 3, etcd: {replicas: 3, storageGiB: 64}}
      bundle: base
      upgrade: {approval: required}
      nodePools:
        - {name: gpu, instanceType: gpu8, count: 40, failureDomains: [a, b], maxUnavailable: 2}
"""

BATCH = """\
    - name: batch
      tenant: t
      channel: stable
      controlPlane: {replicas: 3, etcd: {replicas: 3, storageGiB: 32}}
      bundle: base
      upgrade:
        approval: automatic
        window: {days: [sat], start: "02:00", hours: 6}
      nodePools:
        - {name: cpu, instanceType: cpu32, count: 10, maxUnavailable: 1}
"""

INFER = """\
    - name: infer
      tenant: t
      channel: stable
      controlPlane: {replicas: 3, etcd: {replicas: 3, storageGiB: 32}}
      bundle: base
      upgrade:
        approval: automatic
        window: {days: [sun], start: "03:00", hours: 4}
      nodePools:
        - {name: gpu, instanceType: gpu8, count: 8, maxUnavailable: 1}
"""

REGION_HEAD = """\
apiVersion: fleetc.dev/v1alpha1
kind: Region
metadata: {name: r1}
spec:
  failureDomains: [a, b, c]
  clusters:
"""

APPROVAL = """\
apiVersion: fleetc.dev/v1alpha1
kind: Approval
metadata: {name: train-1-31-2}
spec:
  cluster: r1/train
  kubernetes: "1.31.2"
  approvedBy: ops@t.example
  expires: "2030-01-01T00:00:00Z"
"""


def region(*clusters: str) -> str:
    return REGION_HEAD + "".join(clusters)


class FleetRepo:
    """A git repository holding ``fleet/``; ``commit`` writes files and commits them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = git.Repo.init(root)
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "Fleet Tester")
            config.set_value("user", "email", "tester@example.com")
            config.set_value("commit", "gpgsign", "false")

    def write(self, files: dict[str, str | None]) -> None:
        for rel, text in files.items():
            path = self.root / rel
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def commit(self, message: str, files: dict[str, str | None]) -> str:
        self.write(files)
        for rel, text in files.items():
            if text is None:
                self.repo.index.remove([rel])
            else:
                self.repo.index.add([rel])
        return str(self.repo.index.commit(message).hexsha)

    def initial(self) -> str:
        return self.commit(
            "fleet",
            {
                "fleet/fleet.yaml": FLEET,
                "fleet/tenants.yaml": TENANTS,
                "fleet/regions/r1.yaml": region(TRAIN, BATCH),
            },
        )
