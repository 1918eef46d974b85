"""The audit command's contract: hook, exit codes, invalid input."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from audit_helpers import run_cli


def test_hooks_into_an_imaging_cloud_parser():
    from infra.audit import add_audit_parser

    parser = argparse.ArgumentParser(prog="imaging-cloud")
    add_audit_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["audit", "--stack", "dev", "--out", "x", "--as-of", "2026-11-27",
                              "--level", "trust-archive-complete=mandatory", "--min-severity", "high"])
    assert args.as_of == "2026-11-27" and args.min_severity == "high" and args.stack == "dev"
    assert args.func.__module__ == "infra.audit.arguments"  # runs infra.audit.run.cmd_audit on call


def test_building_the_cli_parser_imports_neither_the_pack_nor_the_sdk():
    # `render` starts its workers right after parsing: a heavy parser delays every render.
    probe = "import sys, infra.cli; infra.cli.build_parser(); print(sorted(m for m in sys.modules " \
            "if m.startswith(('infra.audit.pack', 'infra.audit.run', 'pulumi', 'pydantic'))))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_invalid_input_exits_2(tmp_path):
    missing = run_cli("--plan", str(tmp_path / "nothing"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "no plan.json" in missing.stderr
    (tmp_path / "bad.json").write_text("{}")
    bad = run_cli("--plan", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o"))
    assert bad.returncode == 2 and "no 'resources' list" in bad.stderr
    unknown = run_cli("--stack", "atlantis", "--out", str(tmp_path / "o"))
    assert unknown.returncode == 2 and "stacks/Pulumi.atlantis.yaml: no such stack" in unknown.stderr
    level = run_cli("--plan", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o"), "--level", "nope=mandatory")
    assert level.returncode == 2 and "--level nope=mandatory" in level.stderr
    date = run_cli("--plan", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o"), "--as-of", "27/11/2026")
    assert date.returncode == 2 and "not a date" in date.stderr


def test_levels_can_be_promoted_from_the_command_line(rendered_dev, tmp_path):
    # A writable root filesystem is a medium (advisory) finding; promoted, it blocks.
    plan = json.loads((rendered_dev.directory / "plan.json").read_text())
    gateway = next(r for r in plan["resources"] if r["inputs"].get("kind") == "Deployment")
    gateway["inputs"]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    advisory = run_cli("--plan", str(tmp_path / "plan.json"), "--out", str(tmp_path / "a"), "--as-of", "2026-11-27")
    assert advisory.returncode == 0, advisory.stderr + advisory.stdout
    result = run_cli("--plan", str(tmp_path / "plan.json"), "--out", str(tmp_path / "b"), "--as-of", "2026-11-27",
                     "--level", "workload-read-only-root-filesystem=mandatory")
    assert result.returncode == 1
    assert "MANDATORY workload-read-only-root-filesystem" in result.stderr
