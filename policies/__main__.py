"""Entry point of the CrossGuard pack. Building a PolicyPack starts a gRPC server and
blocks, so nothing else happens here: the policies live in fleetc_policies.py (tests
import that module, never this one)."""

from fleetc_policies import POLICIES
from pulumi_policy import PolicyPack

PolicyPack(name="fleetc", policies=POLICIES)
