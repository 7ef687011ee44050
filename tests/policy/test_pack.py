"""The CrossGuard pack, without the engine: its validate functions fed engine-form props.

PULUMI-NOTES.md: never import policies/__main__.py (PolicyPack blocks);
the policies module is loaded from its file. The central property: the pack
reports what ``run_rules`` reports, because both call the same functions.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pulumi_policy = pytest.importorskip("pulumi_policy")

from fleetc.compile.graph import DesiredGraph, Kind, Node  # noqa: E402
from fleetc.policy import RULES, RULES_BY_ID, run_rules  # noqa: E402

from . import graphs as g  # noqa: E402

PACK = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture(scope="module")
def pack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fleetc_policies_under_test", PACK / "fleetc_policies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def engine(value: Any) -> Any:
    """Engine form: numbers come back as floats."""
    if isinstance(value, dict):
        return {k: engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [engine(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def resource(node: Node) -> tuple[str, dict[str, Any]]:
    """What components/ registers for a node: (Pulumi type, input props)."""
    if node.kind is Kind.MANIFEST:
        group, _, version = str(node.props["apiVersion"]).rpartition("/")
        return f"kubernetes:{group or 'core'}/{version}:{node.props['kind']}", engine(node.props)
    if node.kind is Kind.HELM_RELEASE:
        p = node.props
        props = {
            "name": p["name"],
            "namespace": p["namespace"],
            "chart": p["chart"],
            "version": p["version"],
            "repositoryOpts": {"repo": p["repository"]},
            "values": p["values"],
        }
        return "kubernetes:helm.sh/v3:Release", engine(props)
    if node.kind is Kind.NODE_PATCH:
        p = node.props
        meta = {"name": p["name"], "labels": p["labels"], "annotations": p["annotations"]}
        return "kubernetes:core/v1:NodePatch", {"metadata": meta, "spec": {"unschedulable": p["unschedulable"]}}
    if node.kind is Kind.PROVIDER:
        return "pulumi:providers:kubernetes", {}
    return f"fleetc:index:{node.kind.value}", engine(node.props)


def urn(node: Node) -> str:
    return f"urn:pulumi:r1::fleet::{resource(node)[0]}::{node.id}"


def _opts() -> Any:
    timeouts = pulumi_policy.PolicyCustomTimeouts(0, 0, 0)
    return pulumi_policy.PolicyResourceOptions(False, [], None, [], timeouts, [])


def _provider(node: Node, graph: DesiredGraph) -> Any:
    if node.provider is None:
        return None
    provider = graph.nodes[node.provider]
    return pulumi_policy.PolicyProviderResource("pulumi:providers:kubernetes", {}, urn(provider), provider.id)


def run_pack(pack: ModuleType, graph: DesiredGraph) -> list[tuple[str, str, str | None]]:
    """(policy name, message, urn) of every violation the pack reports for ``graph``.

    A resource policy's violation belongs to the resource validated (the engine
    ignores the urn argument there), so it is recorded with that resource's urn.
    """
    reported: list[tuple[str, str, str | None]] = []
    for policy in pack.POLICIES:
        if isinstance(policy, pulumi_policy.ResourceValidationPolicy):
            for node in graph:
                kind, props = resource(node)
                args = pulumi_policy.ResourceValidationArgs(
                    resource_type=kind,
                    props=props,
                    urn=urn(node),
                    name=node.id,
                    opts=_opts(),
                    provider=_provider(node, graph),
                    config={},
                )

                def on_resource(
                    message: str, _: str | None = None, name: str = policy.name, at: str = args.urn
                ) -> None:
                    reported.append((name, message, at))

                policy.validate(args, on_resource)
        else:
            resources = [
                pulumi_policy.PolicyResource(
                    *resource(node), urn(node), node.id, _opts(), _provider(node, graph), None, [], {}
                )
                for node in graph
            ]

            def on_stack(message: str, where: str | None = None, name: str = policy.name) -> None:
                reported.append((name, message, where))

            policy.validate(pulumi_policy.StackValidationArgs(resources=resources), on_stack)
    return reported


def test_pack_wraps_every_rule_that_needs_no_live_state(pack: ModuleType) -> None:
    names = {p.name: p for p in pack.POLICIES}
    assert set(names) == {r.id for r in RULES if not r.needs_live and not r.needs_spec}
    for name, policy in names.items():
        rule = RULES_BY_ID[name]
        expected = "mandatory" if rule.severity.value == "mandatory" else "advisory"
        assert policy.enforcement_level.value == expected
        resource_policy = isinstance(policy, pulumi_policy.ResourceValidationPolicy)
        assert resource_policy == (rule.node_check is not None)


def test_good_graph_has_no_violations_in_the_pack(pack: ModuleType) -> None:
    assert run_pack(pack, g.good()) == []


BREAKS = [
    (g.APISERVER, lambda p: p["spec"].update(replicas=1)),
    (g.ETCD, lambda p: p["spec"].update(replicas=4)),
    (g.ETCD, lambda p: p["spec"]["template"]["spec"].pop("topologySpreadConstraints")),
    (g.ETCD_PDB, lambda p: p["spec"].update(maxUnavailable=2)),
    (f"{g.CID}/addons/cilium", lambda p: p.update(version="^1.16", repository="http://x", namespace="default")),
    (f"{g.CID}/addons/cilium", lambda p: p.update(values={"image": {"tag": "latest"}})),
    (g.POOL_CM, lambda p: p["data"].update(maxUnavailableNodes="50", failureDomains='["a"]')),
    (g.CLUSTER_CM, lambda p: p["data"].update(approval="automatic", window="")),
    (g.REGION, lambda p: p.update(failureDomains=["a"])),
]


@pytest.mark.parametrize(("node_id", "change"), BREAKS)
def test_pack_reports_what_run_rules_reports(pack: ModuleType, node_id: str, change: Any) -> None:
    graph = g.edit(g.good(), node_id, change)
    expected = sorted((v.rule, v.node_id) for v in run_rules(graph) if not RULES_BY_ID[v.rule].needs_live)
    assert expected, "the break must violate something"
    reported = run_pack(pack, graph)
    by_urn = {urn(node): node.id for node in graph}
    for _, message, _ in reported:
        assert g.CID in message or g.REGION in message
    assert sorted((name, by_urn[where]) for name, _, where in reported if where is not None) == expected
    assert all(where is not None for _, _, where in reported)


def test_kubelet_skew_from_stack_resources(pack: ModuleType) -> None:
    graph = g.add_node_patch(g.good(apiserver="1.30.6"), "gpu-007")
    reported = [r for r in run_pack(pack, graph) if r[0] == "kubelet-skew"]
    assert len(reported) == 1
    assert reported[0][2] == urn(graph.nodes[g.POOL_CM])
    assert "newer than the apiserver" in reported[0][1]


def test_manifest_messages_carry_the_source_annotation(pack: ModuleType) -> None:
    graph = g.edit(g.good(), g.APISERVER, lambda p: p["spec"].update(replicas=1))
    ((name, message, _),) = run_pack(pack, graph)
    assert name == "cp-ha-apiservers"
    assert message.startswith(f"{g.SRC}: {g.CID}: kube-apiserver runs 1 replicas")


def test_resources_without_ids_still_checked(pack: ModuleType) -> None:
    """A hand-added resource (name not an id) in cp-<cluster>: rules still apply."""
    policy = next(p for p in pack.POLICIES if p.name == "image-pinned")
    props = {
        "metadata": {"name": "debug", "namespace": "cp-c1"},
        "spec": {"containers": [{"name": "sh", "image": "busybox"}]},
    }
    args = pulumi_policy.ResourceValidationArgs(
        resource_type="kubernetes:core/v1:Pod",
        props=props,
        urn="urn:pulumi:r1::fleet::kubernetes:core/v1:Pod::debug",
        name="debug",
        opts=_opts(),
        provider=None,
        config={},
    )
    messages: list[str] = []
    policy.validate(args, lambda m, u=None: messages.append(m))
    assert len(messages) == 1 and "busybox" in messages[0] and "c1" in messages[0]


@pytest.mark.parametrize(
    ("chart", "repo", "violations"),
    [
        ("oci://registry.example/charts/cilium", None, 0),  # how components/ passes an OCI chart
        ("http://charts.example/cilium", None, 1),
        ("cilium", "https://helm.cilium.io", 0),
    ],
)
def test_release_chart_urls(pack: ModuleType, chart: str, repo: str | None, violations: int) -> None:
    policy = next(p for p in pack.POLICIES if p.name == "helm-repo-https")
    props: dict[str, Any] = {"name": "cilium", "namespace": "kube-system", "chart": chart, "version": "1.16.3"}
    if repo:
        props["repositoryOpts"] = {"repo": repo}
    args = pulumi_policy.ResourceValidationArgs(
        resource_type="kubernetes:helm.sh/v3:Release",
        props=props,
        urn="urn:pulumi:r1::fleet::kubernetes:helm.sh/v3:Release::r1/c1/addons/cilium",
        name="r1/c1/addons/cilium",
        opts=_opts(),
        provider=None,
        config={},
    )
    messages: list[str] = []
    policy.validate(args, lambda m, u=None: messages.append(m))
    assert len(messages) == violations
