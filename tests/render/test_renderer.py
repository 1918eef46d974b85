"""The renderer's own promises: two renders of the same program are byte-identical."""

from __future__ import annotations


def test_rendering_twice_gives_the_same_plan(rendered_dev, render_stack, tmp_path):
    render_stack("dev", tmp_path)
    assert (tmp_path / "plan.json").read_bytes() == (rendered_dev.directory / "plan.json").read_bytes()


def test_rendering_into_a_used_folder_leaves_only_the_new_render(render_stack, tmp_path):
    render_stack("dev", tmp_path)
    stale = tmp_path / "manifests" / "left-over-from-an-older-program.yaml"
    stale.write_text("kind: ConfigMap\n")
    render_stack("dev", tmp_path)
    # render_stacks deletes the moved-aside manifests before it returns: no hidden folders stay.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifests", "plan.json"]
    assert not stale.exists()
