"""The Examples section of every command's ``--help``: one home for all of them.

Each entry is what a person would type, with a comment saying what it does.
The paths are this repository's example fleet and snapshot, so the lines
run as written from a checkout (tests/cli/test_main.py checks that every
command and flag in them exists). Help is plain click text: the ``\b`` line keeps click from
re-flowing the examples into one paragraph.
"""

from __future__ import annotations

EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "": (
        ("fleetc init my-fleet", "a new fleet repository, ready for `pulumi up`"),
        ("fleetc validate", "check fleet/"),
        ("fleetc plan --live examples/live", "the next safe step of every rollout"),
        ("fleetc COMMAND --help", "the options and examples of one command"),
    ),
    "init": (
        ("fleetc init my-fleet", "scaffold my-fleet/ (region site-1, tenant example)"),
        ("fleetc init . --region us-east-04 --force", "into the current directory, overwriting fleetc's files"),
    ),
    "validate": (
        ("fleetc validate", "check fleet/ (exit 2 and file:line:col on errors)"),
        ("fleetc validate --fleet path/to/fleet", "another fleet directory"),
    ),
    "schema": (("fleetc schema > .fleetc/fleet.schema.json", "the JSON Schema editors validate fleet/*.yaml with"),),
    "plan": (
        ("fleetc plan --live examples/live --now 2026-11-25T15:00:00Z", "the example snapshot, reproducibly"),
        ("fleetc plan --live kube --region us-east-04", "one region, from the management cluster's API"),
        ("fleetc plan --live kube --format markdown", "for a PR comment or a job summary"),
        ("fleetc plan --live examples/live --format prometheus", "rollout state as Prometheus metrics"),
    ),
    "approve": (
        (
            "fleetc approve us-east-04/alpha-train --kubernetes 1.31.2 --by ops@lab-alpha.example",
            "write fleet/approvals/alpha-train-1-31-2.yaml",
        ),
        (
            "fleetc approve us-east-04/alpha-train --kubernetes 1.31.2 --by ops@lab-alpha.example --commit",
            "and commit it",
        ),
    ),
    "render": (
        ("fleetc render --out gitops --live kube", "the next safe step, from the management clusters' API"),
        ("fleetc render --out gitops --live examples/live --region us-east-04", "one region, from a snapshot"),
    ),
    "check": (
        ("fleetc check", "the policy rules on the end state (every cluster at its target)"),
        ("fleetc check --live examples/live", "and on the next step, from live state"),
    ),
    "preview": (
        ("fleetc preview --base origin/main", "what this branch changes against main"),
        ("fleetc preview --base origin/main --live kube --format markdown", "as a PR comment, with the plan"),
    ),
    "simulate": (
        ("fleetc simulate --scenario examples/scenarios/standard.yaml", "fleetc vs drain vs wait-idle"),
        ("fleetc simulate --scenario examples/scenarios/standard.yaml --out plots", "and write PNG plots"),
    ),
    "live": (("fleetc live export --out snapshot", "write a snapshot of every region's clusters"),),
    "live export": (
        ("fleetc live export --out snapshot", "every region, kubeconfig from $KUBECONFIG"),
        ("fleetc live export --kubeconfig mgmt.kubeconfig --region us-east-04 --out snapshot", "one region"),
    ),
}


def epilog(command: str) -> str:
    """The Examples section of ``command``'s help ("" for ``fleetc`` itself)."""
    lines = ["Examples:", "", "\b"]
    for example, what in EXAMPLES[command]:
        lines.append(f"  $ {example}")
        lines.append(f"      {what}")
    return "\n".join(lines)
