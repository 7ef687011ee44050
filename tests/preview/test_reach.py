"""A preview that reads only the files a change reaches says exactly what one that reads every file says.

Generated fleets (several regions, tenants in one file or one file each,
approvals, regions in subdirectories, documents sharing files) get
generated changes (a pool resized, approvers changed, an approval added,
a cluster removed under its approval, a tenant removed under its
clusters, a region renamed or moved to another file, a duplicate name, a
typo, a comment, a channel bumped), are committed, and previewed twice:
``build_preview`` as ``fleetc preview`` runs it, and with ``whole=True``
(every file of both sides loaded, the behaviour before the reach was
computed). Their JSON, diagnostics and exit codes included, must be the
same but for the note saying how many files were read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.preview.build import build_preview
from fleetc.preview.reach import _Text, reached_files
from fleetc.preview.render_json import to_dict

from .fleetrepo import FLEET, FleetRepo

READ_NOTE = "fleet files ("  # the one note only the scoped preview writes: "read N of M fleet files (...)"

CLUSTER = """\
    - name: {name}
      tenant: {tenant}
      channel: {channel}
      controlPlane: {{replicas: 3, etcd: {{replicas: 3, storageGiB: 32}}}}
      bundle: base
      upgrade: {{approval: {approval}}}
      nodePools:
        - {{name: cpu, instanceType: cpu32, count: {count}, maxUnavailable: 1}}
"""


@dataclass
class Shape:
    """A generated fleet, rendered to files by :meth:`files`."""

    regions: dict[str, list[tuple[str, str, int]]]  # region -> (cluster, tenant, count)
    tenants: dict[str, list[str]]
    approvals: list[tuple[str, str, str]]  # (name, cluster id, approver)
    tenants_together: bool
    nested: bool  # region files in one subdirectory per region
    shared_region_file: bool  # the last two regions in one file
    extra: dict[str, str] = field(default_factory=dict)

    def region_path(self, region: str) -> str:
        names = list(self.regions)
        if self.shared_region_file and len(names) > 1 and region in names[-2:]:
            return "fleet/regions/shared.yaml"
        return f"fleet/regions/{region}/region.yaml" if self.nested else f"fleet/regions/{region}.yaml"

    def region_text(self, region: str) -> str:
        text = (
            f"apiVersion: fleetc.dev/v1alpha1\nkind: Region\nmetadata: {{name: {region}}}\n"
            "spec:\n  failureDomains: [a, b]\n  clusters:\n"
        )
        if not self.regions[region]:
            return text.replace("  clusters:\n", "  clusters: []\n")
        for name, tenant, count in self.regions[region]:
            channel = "rapid" if count % 2 else "stable"
            approval = "required" if count % 3 == 0 else "automatic"
            text += CLUSTER.format(name=name, tenant=tenant, channel=channel, approval=approval, count=count)
        return text

    def files(self) -> dict[str, str]:
        out: dict[str, str] = {"fleet/fleet.yaml": FLEET}
        tenant_docs = {
            name: f"apiVersion: fleetc.dev/v1alpha1\nkind: Tenant\nmetadata: {{name: {name}}}\n"
            f"spec:\n  approvers: [{', '.join(approvers)}]\n"
            for name, approvers in self.tenants.items()
        }
        if self.tenants_together:
            out["fleet/tenants.yaml"] = "---\n".join(tenant_docs.values())
        else:
            out.update({f"fleet/tenants/{name}.yaml": doc for name, doc in tenant_docs.items()})
        for region in self.regions:
            path = self.region_path(region)
            out[path] = out[path] + "---\n" + self.region_text(region) if path in out else self.region_text(region)
        for name, cid, approver in self.approvals:
            out[f"fleet/approvals/{name}.yaml"] = (
                f"apiVersion: fleetc.dev/v1alpha1\nkind: Approval\nmetadata: {{name: {name}}}\nspec:\n"
                f'  cluster: {cid}\n  kubernetes: "1.31.2"\n  approvedBy: {approver}\n'
                '  expires: "2030-01-01T00:00:00Z"\n'
            )
        out.update(self.extra)
        return out


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    tenants = {f"t{i}": [f"ops@t{i}.example"] for i in range(draw(st.integers(1, 3)))}
    names = list(tenants)
    regions: dict[str, list[tuple[str, str, int]]] = {}
    for r in range(draw(st.integers(2, 4))):
        count = draw(st.integers(1, 3))
        regions[f"r{r}"] = [(f"c{c}", draw(st.sampled_from(names)), draw(st.integers(1, 20))) for c in range(count)]
    clusters = [(f"{r}/{c}", t) for r, cs in regions.items() for c, t, _ in cs]
    chosen = draw(st.lists(st.sampled_from(clusters), max_size=3, unique=True))
    approvals = [(f"a{i}", cid, tenants[t][0]) for i, (cid, t) in enumerate(chosen)]
    return Shape(regions, tenants, approvals, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))


Change = Callable[[Shape, Any], None]  # mutates the shape; the second argument draws choices


def resize(shape: Shape, pick: Any) -> None:
    region = pick(sorted(shape.regions))
    if shape.regions[region]:
        name, tenant, count = shape.regions[region][0]
        shape.regions[region][0] = (name, tenant, count + 2)  # a change of parity: a channel change too


def approvers(shape: Shape, pick: Any) -> None:
    tenant = pick(sorted(shape.tenants))
    shape.tenants[tenant] = [*shape.tenants[tenant], "new@example.com"]


def approve(shape: Shape, pick: Any) -> None:
    clusters = [(f"{r}/{c}", t) for r, cs in shape.regions.items() for c, t, _ in cs]
    if clusters:
        cid, tenant = pick(clusters)
        shape.approvals.append((f"new-{len(shape.approvals)}", cid, shape.tenants[tenant][0]))


def drop_cluster(shape: Shape, pick: Any) -> None:
    region = pick(sorted(shape.regions))
    if shape.regions[region]:
        shape.regions[region] = shape.regions[region][1:]  # an approval of it, if any, now dangles


def drop_tenant(shape: Shape, pick: Any) -> None:
    if len(shape.tenants) > 1:
        del shape.tenants[pick(sorted(shape.tenants))]  # its clusters now name an unknown tenant


def retenant(shape: Shape, pick: Any) -> None:
    region = pick(sorted(shape.regions))
    if shape.regions[region]:
        name, _, count = shape.regions[region][0]
        shape.regions[region][0] = (name, pick(sorted(shape.tenants)), count)


def rename_region(shape: Shape, pick: Any) -> None:
    old = pick(sorted(shape.regions))
    shape.regions = {("renamed" if r == old else r): cs for r, cs in shape.regions.items()}


def add_region(shape: Shape, pick: Any) -> None:
    shape.tenants["fresh"] = ["ops@fresh.example"]
    shape.regions["added"] = [("c0", "fresh", 4)]


def duplicate_region(shape: Shape, pick: Any) -> None:
    region = pick(sorted(shape.regions))
    shape.extra["fleet/extra/copy.yaml"] = shape.region_text(region)


def typo(shape: Shape, pick: Any) -> None:
    shape.extra["fleet/extra/typo.yaml"] = (
        "apiVersion: fleetc.dev/v1alpha1\nkind: Region\nmetadata: {name: typo}\nspec:\n"
        "  failureDomains: [a]\n  clusters:\n    - name: x\n      tenant: nobody\n      chanel: rapid\n"
    )


def comment(shape: Shape, pick: Any) -> None:
    shape.extra["fleet/fleet.yaml"] = "# a comment moves every position\n" + FLEET


def bump_channel(shape: Shape, pick: Any) -> None:
    shape.extra["fleet/fleet.yaml"] = FLEET.replace('nodeImage: "img-2024.11"', 'nodeImage: "img-2025.01"')


def move_files(shape: Shape, pick: Any) -> None:
    shape.nested = not shape.nested


CHANGES: list[Change] = [
    resize,
    approvers,
    approve,
    drop_cluster,
    drop_tenant,
    retenant,
    rename_region,
    add_region,
    duplicate_region,
    typo,
    comment,
    bump_channel,
    move_files,
]


def previews(repo_root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    scoped = to_dict(build_preview(repo_root, "HEAD~1", "HEAD"))
    whole = to_dict(build_preview(repo_root, "HEAD~1", "HEAD", whole=True))
    scoped["notes"] = [n for n in scoped["notes"] if READ_NOTE not in n]
    return scoped, whole


@settings(max_examples=25, deadline=None)
@given(shape=shapes(), changes=st.lists(st.sampled_from(CHANGES), min_size=1, max_size=3), data=st.data())
def test_a_preview_of_the_files_a_change_reaches_is_the_preview_of_every_file(
    shape: Shape, changes: list[Change], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory(prefix="fleetc-reach-") as scratch:
        repo = FleetRepo(Path(scratch))
        before = shape.files()
        repo.commit("base", dict(before))
        for change in changes:
            change(shape, lambda options: data.draw(st.sampled_from(options)))
        after = shape.files()
        gone: dict[str, str | None] = {path: None for path in before if path not in after}
        repo.commit("change", {**after, **gone})
        scoped, whole = previews(repo.root)
        assert scoped == whole


def test_a_one_pool_change_reads_the_changed_file_the_fleet_and_its_tenants_only(tmp_path: Path) -> None:
    shape = Shape(
        {f"r{i}": [("c0", f"t{i % 2}", 4)] for i in range(6)},
        {"t0": ["ops@t0.example"], "t1": ["ops@t1.example"]},
        [("a0", "r3/c0", "ops@t1.example")],
        tenants_together=False,
        nested=False,
        shared_region_file=False,
    )
    repo = FleetRepo(tmp_path)
    repo.commit("base", shape.files())
    resize(shape, lambda options: "r2")
    repo.commit("change", shape.files())
    preview = build_preview(tmp_path, "HEAD~1", "HEAD")
    assert "read 3 of 10 fleet files (1 changed): the others cannot be reached by this change" in preview.notes
    assert preview.head.spec is not None
    assert set(preview.head.spec.regions) == {"r2"}
    assert set(preview.head.spec.tenants) == {"t0"}  # r2's cluster's tenant; t1's file is not read


def test_a_change_of_the_fleet_document_reads_every_file(tmp_path: Path) -> None:
    shape = Shape(
        {"r0": [("c0", "t0", 4)], "r1": [("c0", "t0", 5)]}, {"t0": ["ops@t0.example"]}, [], True, False, False
    )
    repo = FleetRepo(tmp_path)
    repo.commit("base", shape.files())
    bump_channel(shape, None)
    repo.commit("change", shape.files())
    preview = build_preview(tmp_path, "HEAD~1", "HEAD")
    assert not any(READ_NOTE in note for note in preview.notes)
    assert preview.head.spec is not None and set(preview.head.spec.regions) == {"r0", "r1"}


def test_an_error_in_a_changed_file_fails_the_preview_with_its_position(tmp_path: Path) -> None:
    shape = Shape(
        {"r0": [("c0", "t0", 4)], "r1": [("c0", "t0", 5)]}, {"t0": ["ops@t0.example"]}, [], True, False, False
    )
    repo = FleetRepo(tmp_path)
    repo.commit("base", shape.files())
    path = Path(shape.region_path("r1"))
    repo.commit("typo", {str(path): shape.region_text("r1").replace("channel:", "chanel:")})
    result = CliRunner().invoke(app, ["preview", "--repo", str(tmp_path), "--base", "HEAD~1"])
    assert result.exit_code == 2
    assert f"{tmp_path / path}:9:7: " in result.output  # the misspelt key of the one cluster
    assert "chanel" in result.output


def test_a_text_may_hold_a_word_unless_it_does_not_spell_it() -> None:
    plain = _Text.of(b"kind: Region\nmetadata: {name: eu-1}\n")
    assert plain.may_hold(("Region", "eu-1"))
    assert not plain.may_hold(("Region", "eu-2"))
    assert not plain.may_hold(("Tenant", "eu-1"))  # no document of that kind can be in it
    escaped = _Text.of(b'kind: "Re\\x67ion"\nmetadata: {name: "eu-\\x32"}\n')  # spells Region / eu-2 in escapes
    assert escaped.may_hold(("Region", "eu-2"))
    assert _Text.of(b"\xff\xfe k\x00").may_hold(("Tenant", "t"))  # not UTF-8: may hold anything
    assert _Text.of("kind: Región".encode()).may_hold(("Region", "x")) is False


def test_reach_follows_references_both_ways_and_stops() -> None:
    """A changed region brings in its tenant and the approvals of its clusters; a changed tenant the regions
    with its clusters; nothing brings in a file that holds neither."""
    texts = {
        "fleet.yaml": "kind: Fleet\n",
        "acme.yaml": "kind: Tenant\nmetadata: {name: acme}\n",
        "zork.yaml": "kind: Tenant\nmetadata: {name: zork}\n",
        "r1.yaml": "kind: Region\nmetadata: {name: r1}\nspec: {clusters: [{name: c, tenant: acme}]}\n",
        "r2.yaml": "kind: Region\nmetadata: {name: r2}\nspec: {clusters: [{name: c, tenant: zork}]}\n",
        "a.yaml": "kind: Approval\nmetadata: {name: a}\nspec: {cluster: r1/c}\n",
    }
    import yaml

    def files(**changed: str) -> dict[str, str]:
        return {p: changed.get(p.replace(".yaml", ""), "v0") + p for p in texts}

    def documents(_side: str, path: str, _sha: str) -> list[Any]:
        return list(yaml.safe_load_all(texts[str(path)] + extra.get(_side + str(path), "")))

    extra: dict[str, str] = {}
    blobs = {sha: texts[sha[2:]] for side in (files(), files(r1="v1"), files(acme="v1")) for sha in side.values()}
    region = reached_files(files(), files(r1="v1"), lambda sha: blobs[sha].encode(), documents)
    assert region.files == {"fleet.yaml", "r1.yaml", "acme.yaml", "a.yaml"}
    extra["headacme.yaml"] = "spec: {approvers: [new]}\n"  # the tenant's data differs on the head side
    tenant = reached_files(files(), files(acme="v1"), lambda sha: blobs[sha].encode(), documents)
    assert tenant.files == {"fleet.yaml", "acme.yaml", "r1.yaml", "a.yaml"}
    extra.clear()  # the same tenant, its file rewritten: no region is in scope, none is read
    same = reached_files(files(), files(acme="v1"), lambda sha: blobs[sha].encode(), documents)
    assert same.files == {"fleet.yaml", "acme.yaml"}


def test_the_files_of_a_tree_come_in_the_order_and_choice_of_the_files_on_disk(tmp_path: Path) -> None:
    """Order decides which of two duplicates is "first"; hidden names, links and other suffixes are not fleet files."""
    from fleetc.repo.fleet_at import fleet_tree, yaml_entries
    from fleetc.spec.loader import fleet_files

    repo = FleetRepo(tmp_path)
    names = ["b.yaml", "a-b.yaml", "a/z.yaml", "a/b/c.yaml", "a/a.yaml", "a.yaml", "ab/x.yaml", "x.yml", ".h/y.yaml"]
    repo.commit("tree", {f"fleet/{name}": "kind: Tenant\n" for name in names})
    (tmp_path / "fleet" / "link.yaml").symlink_to("b.yaml")
    repo.repo.index.add(["fleet/link.yaml"])
    repo.repo.index.commit("a link")
    tree = fleet_tree(repo.repo, repo.repo.head.commit, tmp_path, "fleet")
    assert tree is not None
    listed = [entry.rel for entry in yaml_entries(tree, PurePosixPath())]
    on_disk = [path.relative_to(tmp_path / "fleet").as_posix() for path in fleet_files(tmp_path / "fleet")]
    assert listed == on_disk == ["a-b.yaml", "a.yaml", "b.yaml", "a/a.yaml", "a/z.yaml", "a/b/c.yaml", "ab/x.yaml"]
