"""Encryption at rest of a cluster's Secrets: a key made in the management cluster, never in git or Pulumi state.

The apiserver reads an EncryptionConfiguration from the Secret
``encryption-config`` in ``cp-<cluster>``. A key must be random and must
never change once data is encrypted with it, so fleetc cannot write it as a
manifest (it would churn, or sit in git). Instead a one-shot Job in the
namespace creates the Secret if it is missing and leaves an existing one
alone: ``pulumi up`` and a Flux-applied ``fleetc render`` behave the same,
and the key only ever exists in the management cluster. The Job's
ServiceAccount may read and create Secrets of that one namespace.

The provider list keeps ``identity`` last, so Secrets written before
encryption was turned on stay readable; they are encrypted when next written.
"""

from __future__ import annotations

from typing import Any

from fleetc.compile.objects import k8s_object
from fleetc.compile.shell_tools import TOOLS, tools_init, tools_mount, tools_volume

SECRET, KEY, MOUNT = "encryption-config", "encryption.yaml", "/etc/kubernetes/encryption"
JOB = "encryption-key"
KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.31.2"  # kubectl only (distroless): busybox brings the shell

SCRIPT = f"""\
set -eu
if kubectl get secret {SECRET} --namespace "$NAMESPACE" > /dev/null 2>&1; then
  echo "Secret {SECRET} exists: its key is kept"
  exit 0
fi
key=$(head -c 32 /dev/urandom | base64)
cat > /tmp/{KEY} <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - secretbox:
          keys:
            - name: key-1
              secret: $key
      - identity: {{}}
EOF
kubectl create secret generic {SECRET} --namespace "$NAMESPACE" --from-file={KEY}=/tmp/{KEY}
"""


def objects(namespace: str) -> list[dict[str, Any]]:
    """ServiceAccount, Role, RoleBinding and the Job, in the order they must exist."""
    account = k8s_object("v1", "ServiceAccount", JOB, namespace=namespace)
    role = k8s_object(
        "rbac.authorization.k8s.io/v1",
        "Role",
        JOB,
        namespace=namespace,
        rules=[{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "create"]}],
    )
    binding = k8s_object(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        JOB,
        namespace=namespace,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": JOB},
        subjects=[{"kind": "ServiceAccount", "name": JOB, "namespace": namespace}],
    )
    job = k8s_object(
        "batch/v1",
        "Job",
        JOB,
        namespace=namespace,
        spec={
            "backoffLimit": 6,
            "template": {
                "spec": {
                    "serviceAccountName": JOB,
                    "restartPolicy": "OnFailure",
                    "initContainers": [tools_init("sh head base64 cat")],
                    "containers": [
                        {
                            "name": JOB,
                            "image": KUBECTL_IMAGE,
                            "command": [f"{TOOLS}/sh", "-c", SCRIPT],
                            "env": [
                                {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                                {"name": "PATH", "value": f"/bin:/usr/local/bin:{TOOLS}"},
                            ],
                            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
                            "volumeMounts": [tools_mount()],
                        }
                    ],
                    "volumes": [tools_volume()],
                }
            },
        },
    )
    return [account, role, binding, job]
