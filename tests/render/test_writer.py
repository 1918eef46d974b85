"""The manifest writer: every object's manifest, written by a child process, swapped in whole."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from infra import yamlio
from infra.render import file_writer
from infra.render.runtime import Registration
from infra.render.writer import DISCARDED_PREFIX, ManifestWriter, manifest_path

REPO = Path(__file__).resolve().parents[2]


def registration(name: str, namespace: str = "trust-rx1", kind: str = "ConfigMap", **extra) -> Registration:
    inputs = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace},
              "data": {"k": "v"}}
    fields = dict(urn=f"urn:pulumi:dev::imaging-cloud::kubernetes:core/v1:{kind}::{name}",
                  type=f"kubernetes:core/v1:{kind}", name=name, custom=True, parent="", provider="",
                  inputs=inputs, protect=False, retain_on_delete=False, delete_before_replace=False,
                  depends_on=[], ignore_changes=[], replace_on_changes=[], deleted_with="")
    fields.update(extra)
    return Registration(**fields)


def test_every_object_is_written_once_as_yaml_and_other_registrations_are_not(tmp_path):
    writer = ManifestWriter(tmp_path)
    objects = [registration(f"cm-{i}", namespace=f"ns-{i % 7}") for i in range(600)]  # > one chunk
    for entry in objects:
        writer.add(entry)
    writer.add(registration("component", custom=False, type="imaging-cloud:archive:ArchiveStore"))
    writer.add(registration("read-back", kind="Secret", read_id="ns/read-back"))
    writer.commit()
    written = sorted(p.relative_to(tmp_path / "manifests") for p in (tmp_path / "manifests").rglob("*.yaml"))
    assert written == sorted(manifest_path(entry.inputs) for entry in objects)
    first = objects[0]
    assert (tmp_path / "manifests" / manifest_path(first.inputs)).read_text() == \
        yamlio.dump(first.inputs, sort_keys=False, width=120)
    assert not (tmp_path / ".manifests.partial").exists()


def written(out: Path, name: str) -> ManifestWriter:
    writer = ManifestWriter(out)
    writer.add(registration(name))
    return writer


def manifest_names(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "manifests").rglob("*.yaml"))


def test_a_new_render_replaces_the_previous_manifests_entirely(tmp_path):
    written(tmp_path, "removed-since").commit()
    second = written(tmp_path, "kept")
    second.commit()
    assert manifest_names(tmp_path) == ["configmap-kept.yaml"]
    # The previous manifests are moved aside whole, for the caller to delete off the critical path.
    assert second.discarded is not None and second.discarded.name.startswith(DISCARDED_PREFIX)
    assert sorted(p.name for p in second.discarded.rglob("*.yaml")) == ["configmap-removed-since.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["manifests", second.discarded.name])


def test_a_first_render_has_nothing_to_discard(tmp_path):
    first = written(tmp_path, "only")
    first.commit()
    assert first.discarded is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifests"]


def test_leftovers_of_a_killed_render_are_swept_by_the_next_one(tmp_path):
    (tmp_path / ".manifests.partial" / "trust-rx1").mkdir(parents=True)
    (tmp_path / f"{DISCARDED_PREFIX}abc" / "manifests").mkdir(parents=True)
    written(tmp_path, "fresh").commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifests"]


def test_a_failed_render_leaves_the_previous_manifests_untouched(tmp_path):
    written(tmp_path, "from-the-last-good-render").commit()
    written(tmp_path, "half-way").abandon()  # what the render worker does when the program fails
    assert manifest_names(tmp_path) == ["configmap-from-the-last-good-render.yaml"]
    assert not (tmp_path / ".manifests.partial").exists()


def test_two_objects_with_one_manifest_path_fail_the_render_naming_both(tmp_path):
    writer = ManifestWriter(tmp_path)
    writer.add(registration("twin", urn="urn:a"))
    writer.add(registration("twin", urn="urn:b"))
    with pytest.raises(ValueError, match="two objects render to trust-rx1/configmap-twin.yaml: urn:a and urn:b"):
        writer.commit()
    assert not (tmp_path / "manifests").exists() and not (tmp_path / ".manifests.partial").exists()


def test_a_write_the_child_cannot_make_fails_the_render_with_its_reason(tmp_path):
    writer = ManifestWriter(tmp_path)
    (writer.staging / "trust-rx1").write_text("a file where the namespace folder must go")
    writer.add(registration("blocked"))
    with pytest.raises(ValueError, match="manifests not written"):
        writer.commit()
    assert not (tmp_path / "manifests").exists()


@pytest.mark.parametrize("path", ["../escape.yaml", "/etc/escape.yaml"])
def test_the_child_refuses_paths_outside_its_folder(tmp_path, path):
    child = subprocess.run([sys.executable, "-m", "infra.render.file_writer", str(tmp_path / "out")],
                           input=file_writer.frame(path, b"x"), capture_output=True, cwd=REPO)
    assert child.returncode == 1 and b"refusing to write outside" in child.stderr
    assert not (tmp_path / "escape.yaml").exists()


def test_the_child_reports_a_stream_cut_inside_a_frame(tmp_path):
    child = subprocess.run([sys.executable, "-m", "infra.render.file_writer", str(tmp_path)],
                           input=file_writer.frame("a.yaml", b"content")[:-3], capture_output=True, cwd=REPO)
    assert child.returncode == 1 and b"stream ended inside a frame" in child.stderr


def changed(name: str) -> Registration:
    entry = registration(name)
    entry.inputs["data"] = {"k": "changed"}
    return entry


def rendered(out: Path, *entries: Registration) -> ManifestWriter:
    writer = ManifestWriter(out)
    for entry in entries:
        writer.add(entry)
    writer.commit()
    return writer


def test_a_re_render_links_unchanged_manifests_and_writes_changed_ones_afresh(tmp_path):
    rendered(tmp_path, registration("same"), registration("edited"))
    before = {p.name: p.stat() for p in (tmp_path / "manifests").rglob("*.yaml")}
    second = rendered(tmp_path, registration("same"), changed("edited"), registration("new"))
    after = {p.name: p.stat() for p in (tmp_path / "manifests").rglob("*.yaml")}
    assert after["configmap-same.yaml"].st_ino == before["configmap-same.yaml"].st_ino
    assert after["configmap-edited.yaml"].st_ino != before["configmap-edited.yaml"].st_ino
    assert "changed" in (tmp_path / "manifests" / "trust-rx1" / "configmap-edited.yaml").read_text()
    # The previous render's files were only read: its folder still holds what it held.
    old = second.discarded / "manifests" / "trust-rx1"
    assert yamlio.load((old / "configmap-edited.yaml").read_text())["data"] == {"k": "v"}
    assert not (old / "configmap-new.yaml").exists()


def test_a_re_render_writes_exactly_what_a_first_render_writes(tmp_path):
    entries = [registration(f"cm-{i}", namespace=f"ns-{i % 3}") for i in range(40)]
    rendered(tmp_path / "first", *entries)
    rendered(tmp_path / "again", *entries[:30])
    rendered(tmp_path / "again", *entries)  # 30 linked, 10 written
    tree = lambda root: {p.relative_to(root): p.read_bytes() for p in root.rglob("*.yaml")}  # noqa: E731
    assert tree(tmp_path / "again" / "manifests") == tree(tmp_path / "first" / "manifests")


def test_a_failed_re_render_leaves_the_previous_files_as_they_were(tmp_path):
    rendered(tmp_path, registration("kept"))
    manifest = tmp_path / "manifests" / "trust-rx1" / "configmap-kept.yaml"
    inode, text = manifest.stat().st_ino, manifest.read_bytes()
    writer = ManifestWriter(tmp_path)
    writer.add(registration("kept"))
    writer.abandon()
    assert manifest.stat().st_ino == inode and manifest.read_bytes() == text and manifest.stat().st_nlink == 1


def frames(*objects: tuple[str, dict]) -> io.BytesIO:
    return io.BytesIO(b"".join(file_writer.frame(path, orjson.dumps(obj)) for path, obj in objects))


def test_the_child_links_only_a_regular_file_with_the_same_bytes(tmp_path):
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
    text = file_writer.manifest_text(obj)
    previous = tmp_path / "previous"
    (previous / "same-size.yaml").parent.mkdir(parents=True)
    (previous / "same.yaml").write_bytes(text)
    (previous / "same-size.yaml").write_bytes(bytes(len(text)))  # same length, other bytes
    (previous / "longer.yaml").write_bytes(text + b"# more\n")
    (previous / "folder.yaml").mkdir()
    names = ["same.yaml", "same-size.yaml", "longer.yaml", "folder.yaml", "absent.yaml"]
    counts = file_writer.write_frames(frames(*((name, obj) for name in names)), tmp_path / "out", previous)
    assert counts == {"written": 4, "linked": 1}
    assert (tmp_path / "out" / "same.yaml").stat().st_ino == (previous / "same.yaml").stat().st_ino
    assert all((tmp_path / "out" / name).read_bytes() == text for name in names)
