"""`make bench`: how render, audit and verification scale, against the SDK floor.

Measures, in one run, medians of ``--repeat`` runs (default 5; this is a noisy 2-core
machine):
- the national estate: ``render --stack all``, ``audit --plan`` of that render, one region
  alone (the largest), and all stacks in one worker (``--jobs 1``);
- the floor: the same registrations with the SDKs alone under the same mock runtime
  (bench/floor.py), the whole estate in one process, with the plan's resource graph and
  flat, and stack by stack (a forked process per plan), rotating with the one-worker
  render; each overhead ratio is the median of the rounds' ratios (``--ratio-rounds``,
  default 9);
- synthetic estates of 25..400 trusts in one stack (and of one trust, for reference):
  the cost of each added trust, judged from least-squares fits (``--scaling-repeat`` runs
  each, default 5);
- network-config-analyzer on each region's rendered policies (the whole estate, region by
  region) and, once, on the whole estate as one graph;
- ``pulumi preview`` with the real engine of ``dev`` and of one region (bench/engine.py),
  when the local toolchain is built;
- peak memory: the summed RSS of the command's whole process tree, sampled every 200 ms.
Writes bench/results.json, docs/performance.md and docs/performance.png and prints the
targets table (bench/report.py judges them from the numbers). No assertions anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.engine import bench_previews

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NCA = REPO / ".tools" / "nca" / "bin" / "nca"
AS_OF = "2026-11-27"
PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss_mib(root: int) -> float:
    """Summed resident memory of ``root`` and its descendants (shared pages counted per
    process, so an upper bound)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * PAGE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 2**20


def timed(cmd: list[str], env: dict | None = None, cwd: Path = REPO) -> tuple[float, float, str]:
    """Run ``cmd``; return wall seconds, peak summed RSS (MiB) of its process tree, output."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mib(process.pid))
            time.sleep(0.2)  # a sample costs ~4 ms of CPU: sample lightly

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read()
    process.wait()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{output[-3000:]}")
    return seconds, peak[0], output


def summarise(runs: list[tuple[float, float, str]]) -> dict:
    return {"seconds": statistics.median(r[0] for r in runs), "runs": [round(r[0], 2) for r in runs],
            "peak_rss_mib": max(r[1] for r in runs)}


def median_run(cmd: list[str], repeat: int, env: dict | None = None) -> dict:
    return summarise([timed(cmd, env) for _ in range(repeat)])


def count_resources(plan: Path) -> int:
    return len(json.loads(plan.read_text())["resources"])


def bench_national(work: Path, repeat: int, ratio_rounds: int) -> dict:
    cli = str(BIN / "imaging-cloud")
    out = work / "national"
    render = median_run([cli, "render", "--stack", "all", "--out", str(out), "--as-of", AS_OF], repeat)
    per_stack = {p.name: count_resources(p / "plan.json") for p in sorted(out.iterdir()) if (p / "plan.json").exists()}
    # The audit of a render: what CI does after `render --stack all` (`audit --stack` alone
    # renders first, for a self-contained run).
    audit = median_run([cli, "audit", "--plan", str(out), "--out", str(work / "audit"), "--as-of", AS_OF], repeat)
    region = max((s for s in per_stack if s != "national"), key=per_stack.get)
    one_region = median_run([cli, "render", "--stack", region, "--out", str(work / region), "--as-of", AS_OF], repeat)
    # The overhead ratio compares like with like: one process at a time. Every stack in one
    # worker (--jobs 1), against the floor registering the same resources (bench/floor.py):
    # in one process with the plan's parents, dependencies and options (``--graph``, the
    # floor the ratio is judged on); flat, without parents or dependencies (what resolving
    # the resource graph costs the SDK, for reference); and stack by stack (``--per-stack``:
    # the render's process model, for reference). Runs rotate (render, then each floor, then
    # render, ...) and each ratio is the median of the rounds' ratios, so a slow spell of
    # this shared machine lands on every side of a round.
    plans = [str(out / stack / "plan.json") for stack in per_stack]
    sequential_cmd = [cli, "render", "--stack", "all", "--jobs", "1", "--out", str(work / "sequential"),
                      "--as-of", AS_OF]
    floor_cmd = [sys.executable, "-m", "bench.floor", *plans]
    floors = {"": [*floor_cmd, "--graph"], "flat_": floor_cmd, "per_stack_": [*floor_cmd, "--graph", "--per-stack"]}
    rounds = [(timed(sequential_cmd), {prefix: timed(cmd) for prefix, cmd in floors.items()})
              for _ in range(ratio_rounds)]
    sequential = summarise([one_worker for one_worker, _ in rounds])
    measured: dict[str, Any] = {}
    for prefix in floors:  # floor / flat_floor / per_stack_floor, and their overhead ratios
        ratios = [one_worker[0] / floors_run[prefix][0] for one_worker, floors_run in rounds]
        measured[f"{prefix}floor"] = summarise([floors_run[prefix] for _, floors_run in rounds])
        measured[f"{prefix}overhead_ratios"] = [round(r, 3) for r in ratios]
        measured[f"{prefix}overhead_ratio"] = statistics.median(ratios)
    return {
        "resources_per_stack": per_stack,
        "resources_total": sum(per_stack.values()),
        "render_all": render,
        "audit_all": audit,
        "render_plus_audit_seconds": render["seconds"] + audit["seconds"],
        "largest_region": region,
        "render_one_region": one_region,
        "render_all_sequential": sequential,
        "floor_seconds": measured["floor"]["seconds"],
        **measured,
    }


def bench_nca(work: Path) -> dict:
    if not NCA.exists():
        return {"available": False}
    out = work / "national"
    results = {}
    for stack in sorted(p.name for p in out.iterdir() if (p / "manifests").exists()):
        seconds, rss, output = timed([str(NCA), "--connectivity", "-r", str(out / stack / "manifests"),
                                      "-o", "csv", "-f", str(work / f"nca-{stack}.csv")])
        results[stack] = {"seconds": round(seconds, 2), "peak_rss_mib": round(rss)}
    # One graph of everything, for the record: it completes, but clusters' same-named zone
    # namespaces merge in it, so verdicts come from the region-by-region runs above.
    estate = work / "nca-estate"
    for stack in results:
        shutil.copytree(out / stack / "manifests", estate / stack)
    seconds, rss, _ = timed([str(NCA), "--connectivity", "-r", str(estate), "-o", "csv",
                             "-f", str(work / "nca-estate.csv")])
    return {"available": True, "per_region": results,
            "whole_estate_region_by_region_seconds": round(sum(r["seconds"] for r in results.values()), 2),
            "whole_estate_one_graph": {"seconds": round(seconds, 1), "peak_rss_mib": round(rss)}}


def bench_scaling(work: Path, sizes: list[int], repeat: int) -> dict:
    """One stack of N trusts per size (and of one trust, for reference), render and graph
    floor alternating as in bench_national.

    The sizes rotate within each round (1, 25, ..., 400 trusts, then again), so a slow
    spell of this shared machine lands on several sizes instead of on all the runs of one:
    the largest size's five runs back to back take ~2.5 minutes, long enough for one.
    Each size also gets the slope of its total from the size before,
    ``(t(N) - t(M)) / (N - M)``, for the table and plot; whether the total is linear is
    judged by bench/report.py from the least-squares slopes of the smaller and the larger
    half of the sizes.
    """
    from bench.synthetic import write_estate

    commands, plans = {}, {}
    for size in [1, *sizes]:
        stacks = write_estate(work / f"synthetic-{size}", size)
        out = work / f"synthetic-{size}" / "out"
        plans[size] = out / "plan.json"  # the render writes it before the floor reads it
        commands[size] = (
            [str(BIN / "imaging-cloud"), "render", "--stack", "bench", "--out", str(out), "--as-of", AS_OF],
            {"IMAGING_CLOUD_STACKS_DIR": str(stacks)},
            [sys.executable, "-m", "bench.floor", "--graph", str(plans[size])],
        )
    runs: dict[int, tuple[list, list]] = {size: ([], []) for size in commands}
    for round_number in range(1, repeat + 1):
        for size, (render_cmd, env, floor_cmd) in commands.items():
            runs[size][0].append(timed(render_cmd, env))
            runs[size][1].append(timed(floor_cmd))
        print(f"  round {round_number}/{repeat}: " + ", ".join(
            f"{size} trusts {renders[-1][0]:.1f}s/{floors[-1][0]:.1f}s" for size, (renders, floors) in runs.items()),
            flush=True)

    def size_row(size: int) -> dict:
        render, floor = summarise(runs[size][0]), summarise(runs[size][1])
        return {"trusts": size, "resources": count_resources(plans[size]), "render_seconds": render["seconds"],
                "render_runs": render["runs"], "floor_seconds": floor["seconds"], "floor_runs": floor["runs"],
                "peak_rss_mib": render["peak_rss_mib"]}

    rows = [size_row(size) for size in commands]
    for before, current in zip(rows, rows[1:]):
        added = current["trusts"] - before["trusts"]
        current["seconds_per_trust"] = (current["render_seconds"] - before["render_seconds"]) / added
        current["floor_per_trust"] = (current["floor_seconds"] - before["floor_seconds"]) / added
        current["seconds_per_trust_total"] = current["render_seconds"] / current["trusts"]
    return {"fixed": rows[0], "sizes": rows[1:]}


def plot(scaling: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bench.report import halves, linear_fit, quadratic_fit, range_slopes

    rows = scaling["sizes"]
    fit = linear_fit(rows, "render_seconds")
    trusts = [r["trusts"] for r in rows]
    fig, (total, per) = plt.subplots(1, 2, figsize=(10, 4))
    total.plot(trusts, [r["render_seconds"] for r in rows], "o", label="render (project)")
    total.plot([0, trusts[-1]], [fit["intercept"], fit["intercept"] + fit["slope"] * trusts[-1]], "-", color="C0",
               alpha=0.5, label=f"fit: {fit['intercept']:.1f} s + {fit['slope'] * 1000:.0f} ms × trusts "
                                 f"(R² {fit['r_squared']:.4f})")
    total.plot(trusts, [r["floor_seconds"] for r in rows], "s--", color="C1", label="SDK floor")
    total.set_xlabel("trusts in one stack")
    total.set_ylabel("seconds")
    total.set_title("Total render time")
    total.legend(fontsize=8)
    smaller, larger = halves(rows)
    for key, style, colour, label in (("render_seconds", "-", "C0", "render"), ("floor_seconds", "--", "C1", "SDK floor")):
        halves_label = f"{label}, slope of each half" + (" (judged)" if key == "render_seconds" else "")
        for half, cost in zip((smaller, larger), range_slopes(rows, key)):
            per.plot([half[0]["trusts"], half[-1]["trusts"]], [cost * 1000] * 2, style, color=colour, linewidth=2.5,
                     label=halves_label if half is smaller else None)  # one legend entry for both halves
        _, b, c = quadratic_fit(rows, key)
        per.plot(trusts, [(b + 2 * c * n) * 1000 for n in trusts], ":", color=colour, linewidth=1,
                 label=f"{label}, least-squares quadratic (reference)")
    per.plot(trusts, [r["seconds_per_trust"] * 1000 for r in rows], "o", color="C0", alpha=0.5,
             label="render, slope from the size before")
    per.plot(trusts, [r["floor_per_trust"] * 1000 for r in rows], "s", color="C1", alpha=0.5,
             label="SDK floor, slope from the size before")
    per.plot(trusts, [r["seconds_per_trust_total"] * 1000 for r in rows], "-.", color="grey",
             label="render, total ÷ trusts")
    per.set_xlabel("trusts in one stack")
    per.set_ylabel("ms per trust")
    per.set_ylim(bottom=0)
    per.set_title("Cost of each added trust\n(flat = linear total)")
    per.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each national-estate measure")
    parser.add_argument("--ratio-rounds", type=int, default=9, help="rounds of the one-worker render against the "
                        "floors: the overhead ratio is the median of the rounds' ratios, and a round is ~40 s, "
                        "so a slow spell of the machine spoils one or two of them, not the median")
    parser.add_argument("--scaling-repeat", type=int, default=5, help="runs of each synthetic estate (its largest "
                        "sizes take ~20 s, long enough for one of this machine's slow spells)")
    parser.add_argument("--sizes", default="25,50,100,200,400")
    parser.add_argument("--engine-region", default="wales", help="region previewed with the real engine")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="imaging-bench-") as tmp:
        work = Path(tmp)
        print("national estate ...", flush=True)
        national = bench_national(work, args.repeat, args.ratio_rounds)
        print("network-config-analyzer ...", flush=True)
        nca = bench_nca(work)
        print("real engine previews ...", flush=True)
        engine = bench_previews(work / "engine", work / "national" / "national" / "plan.json",
                                args.engine_region, args.repeat)
        print("synthetic estates ...", flush=True)
        scaling = bench_scaling(work, sizes, args.scaling_repeat)
    results = {"machine": {"cores": os.cpu_count()}, "repeat": args.repeat, "ratio_rounds": args.ratio_rounds,
               "scaling_repeat": args.scaling_repeat,
               "national": national, "nca": nca, "engine": engine, "scaling": scaling}
    (REPO / "bench" / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    plot(scaling, REPO / "docs" / "performance.png")
    from bench.report import targets_table, write

    print(f"\n{targets_table(results)}\n\nwritten: bench/results.json, {write(results).relative_to(REPO)}, "
          "docs/performance.png")


if __name__ == "__main__":
    main()
