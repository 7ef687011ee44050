"""fleetc's rules as CrossGuard policies: one policy per rule, the same functions as ``fleetc check``.

Node rules become ResourceValidationPolicies (checked as each resource is
registered); graph rules become StackValidationPolicies over the stack's
resources rebuilt into a desired graph. Rules that need live state
(``needs_live``) are left out: a policy pack sees resources, not clusters,
and ``fleetc check --live`` / ``fleetc preview --live`` run them instead.

Importable without an engine: ``__main__.py`` builds the PolicyPack, tests
call the validate functions directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from fleetc.policy import RULES, Rule, RuleContext, Severity
from fleetc.policy.model import Finding
from fleetc.policy.resources import ResourceView, graph_from_resources, node_from_resource, region_of
from fleetc.policy.runner import findings, locate

LEVELS = {Severity.MANDATORY: EnforcementLevel.MANDATORY, Severity.ADVISORY: EnforcementLevel.ADVISORY}


def describe(finding: Finding) -> str:
    """The violation message: where in the fleet, which cluster, what to do."""
    pos = locate(finding, None)
    subject = finding.node.cluster or finding.node.id
    prefix = f"{pos}: " if pos is not None else ""
    return f"{prefix}{subject}: {finding.message}"


def _view(resource: ResourceValidationArgs | PolicyResource) -> ResourceView:
    provider = resource.provider
    return ResourceView(
        resource_type=resource.resource_type,
        props=resource.props,
        name=resource.name,
        urn=resource.urn,
        provider_name=provider.name if provider is not None else None,
    )


def resource_validation(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    check = rule.node_check
    if check is None:
        raise ValueError(f"{rule.id} is not a node rule")

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        view = _view(args)
        node = node_from_resource(view, region_of([view]) or None)
        if node is None:
            return
        for finding in check(node):
            report_violation(describe(finding), None)

    return validate


def stack_validation(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    if rule.graph_check is None:
        raise ValueError(f"{rule.id} is not a graph rule")

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        graph, urns = graph_from_resources(_view(r) for r in args.resources)
        for finding in findings(rule, graph, RuleContext()):
            report_violation(describe(finding), urns.get(finding.node.id))

    return validate


def policy_for(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    common: dict[str, Any] = {
        "name": rule.id,
        "description": f"{rule.summary}. {rule.why}",
        "enforcement_level": LEVELS[rule.severity],
    }
    if rule.node_check is not None:
        return ResourceValidationPolicy(validate=resource_validation(rule), **common)
    return StackValidationPolicy(validate=stack_validation(rule), **common)


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    policy_for(rule) for rule in RULES if not rule.needs_live and not rule.needs_spec
]
