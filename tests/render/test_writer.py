"""The manifest writer: every object's manifest, written by a child process, swapped in whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
