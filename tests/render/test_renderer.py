"""The renderer's own promises: two renders of the same program are byte-identical."""

from __future__ import annotations


def test_rendering_twice_gives_the_same_plan(rendered_dev, render_stack, tmp_path):
    render_stack("dev", tmp_path)
    assert (tmp_path / "plan.json").read_bytes() == (rendered_dev.directory / "plan.json").read_bytes()
