"""docs/performance.md from bench/results.json (written by `make bench`)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Targets of issue #7, judged here from the measured numbers (never in the test suite).
RATIO_TARGET = 1.3
ESTATE_SECONDS_TARGET = 60.0
REGION_SECONDS_TARGET = 10.0
MEMORY_MIB_TARGET = 2048.0
#: "Flat" cost per trust: an added trust costs, in the larger half of the sizes, within
#: this fraction of what it costs in the smaller half (see :func:`range_slopes`).
FLAT_TOLERANCE = 0.2


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def segments(sizes: list[dict]) -> list[float]:
    """The cost per added trust between consecutive sizes of the range (seconds)."""
    return [r["seconds_per_trust"] for r in sizes[1:]]


def _quadratic(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Least-squares ``y = a + b x + c x^2`` (normal equations, Gauss-Jordan)."""
    power = lambda p: sum(x**p for x in xs)  # noqa: E731
    rows = [[power(i + j) for j in range(3)] + [sum(y * x**i for x, y in zip(xs, ys))] for i in range(3)]
    for i in range(3):
        pivot = max(range(i, 3), key=lambda r: abs(rows[r][i]))
        rows[i], rows[pivot] = rows[pivot], rows[i]
        for r in range(3):
            if r != i:
                factor = rows[r][i] / rows[i][i]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[i])]
    a, b, c = (rows[i][3] / rows[i][i] for i in range(3))
    return a, b, c


def linear_fit(sizes: list[dict], key: str) -> dict[str, float]:
    """Least-squares line ``seconds = intercept + slope * trusts`` through ``sizes``, and its R²."""
    xs, ys = [r["trusts"] for r in sizes], [r[key] for r in sizes]
    slope, intercept = statistics.linear_regression(xs, ys)
    mean = statistics.fmean(ys)
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    spread = sum((y - mean) ** 2 for y in ys)
    return {"slope": slope, "intercept": intercept, "r_squared": 1 - residual / spread if spread else 1.0}


def quadratic_fit(sizes: list[dict], key: str) -> tuple[float, float, float]:
    """``seconds = a + b trusts + c trusts^2`` through ``sizes``, least squares."""
    return _quadratic([float(r["trusts"]) for r in sizes], [r[key] for r in sizes])


def marginal_costs(sizes: list[dict], key: str = "render_seconds") -> tuple[float, float]:
    """The cost of one more trust at the smallest and at the largest size (seconds), read
    off the least-squares quadratic through every size. Shown for reference: its value at
    the ends leans on the end sizes, so it magnifies their noise (see :func:`range_slopes`).
    """
    _, b, c = quadratic_fit(sizes, key)
    return b + 2 * c * sizes[0]["trusts"], b + 2 * c * sizes[-1]["trusts"]


def halves(sizes: list[dict]) -> tuple[list[dict], list[dict]]:
    """The smaller and the larger half of the sizes (sharing the middle one when their
    number is odd: 25, 50, 100 and 100, 200, 400)."""
    half = max(2, (len(sizes) + 1) // 2)
    return sizes[:half], sizes[-half:]


def range_slopes(sizes: list[dict], key: str = "render_seconds") -> tuple[float, float]:
    """The cost of an added trust in the smaller and in the larger half of the sizes
    (seconds): least-squares slopes of the total through each half. This is what "flat"
    is judged on.

    A superlinear total costs more per trust in the larger half: a quadratic
    ``2 + 0.05 N + 0.0002 N²`` gives +102%, even ``N log N`` +27% over 25..400 trusts.
    Each slope spans a range of trusts whose time is many times this machine's noise, so
    one median 2% slow moves the verdict by at most ~4% (at 100 trusts), where it moves
    the quadratic's marginal costs at the ends by up to ~10% (at 200 or 400 trusts).
    """
    smaller, larger = halves(sizes)
    return linear_fit(smaller, key)["slope"], linear_fit(larger, key)["slope"]


def _middle_half(ratios: list[float]) -> str:
    """The range of the middle half of ``ratios`` (between the quartiles)."""
    if len(ratios) < 2:
        return "–"
    low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    return f"{low:.2f}–{high:.2f}"


def _change(before: float, after: float) -> str:
    """``after`` against ``before`` as a signed whole percentage (never "-0%")."""
    return f"{round(after / before - 1, 2) + 0.0:+.0%}"


def _span(sizes: list[dict]) -> str:
    return f"{sizes[0]['trusts']}–{sizes[-1]['trusts']}"


def targets_table(results: dict) -> str:
    """The issue's targets, each judged met or not met from the measured numbers."""
    n, nca, scaling = results["national"], results["nca"], results["scaling"]
    sizes = scaling["sizes"]
    peak = max(n["render_all"]["peak_rss_mib"], max((r["peak_rss_mib"] for r in sizes), default=0))
    first, last = range_slopes(sizes)
    change = last / first - 1
    span = _span(sizes)
    smaller, larger = halves(sizes)
    region = n["render_one_region"]["seconds"]
    rows = "\n".join([
        f"| overhead ratio to the SDK floor (same registrations: parents, dependencies, options), national estate "
        f"| ≤ {RATIO_TARGET} | {n['overhead_ratio']:.2f} (middle half of the rounds {_middle_half(n['overhead_ratios'])}) | "
        f"{_verdict(n['overhead_ratio'] <= RATIO_TARGET)} |",
        f"| the same against the flat floor (no parents or dependencies) | for reference | "
        f"{n['flat_overhead_ratio']:.2f} | |",
        f"| the same against the floor run stack by stack (a forked process each, as the render's workers) | for reference | "
        f"{n['per_stack_overhead_ratio']:.2f} | |",
        f"| `render --stack all` + `audit` of the estate | < {ESTATE_SECONDS_TARGET:.0f} s | "
        f"{n['render_plus_audit_seconds']:.1f} s | {_verdict(n['render_plus_audit_seconds'] < ESTATE_SECONDS_TARGET)} |",
        f"| one regional stack ({n['largest_region']}, the largest) | < {REGION_SECONDS_TARGET:.0f} s | {region:.1f} s | "
        f"{_verdict(region < REGION_SECONDS_TARGET)} |",
        f"| peak memory (any run above, whole process tree) | < 2 GB | {peak:.0f} MiB | "
        f"{_verdict(peak < MEMORY_MIB_TARGET)} |",
        f"| cost per trust flat from {span} trusts (an added trust in stacks of {_span(larger)} trusts against "
        f"{_span(smaller)}, least-squares slopes) | within ±{FLAT_TOLERANCE:.0%} | "
        f"{first * 1000:.0f} → {last * 1000:.0f} ms ({_change(first, last)}; line R² "
        f"{linear_fit(sizes, 'render_seconds')['r_squared']:.4f}) | {_verdict(abs(change) <= FLAT_TOLERANCE)} |",
        f"| isolation verified by network-config-analyzer | completes | "
        f"{nca.get('whole_estate_region_by_region_seconds', 'n/a')} s, region by region | "
        f"{_verdict(bool(nca.get('available')))} |",
    ])
    return f"| target | goal | measured | |\n|---|---|---|---|\n{rows}"


def render(results: dict) -> str:
    n, nca, scaling = results["national"], results["nca"], results["scaling"]["sizes"]
    fixed = results["scaling"]["fixed"]
    engine = results.get("engine", {"available": False, "reason": "not measured"})
    region = n["render_one_region"]["seconds"]
    runs = lambda measure: ", ".join(f"{r:.1f}" for r in measure.get("runs", []))  # noqa: E731
    per_stack = "\n".join(f"| {s} | {c} |" for s, c in n["resources_per_stack"].items())
    fit, floor_fit = linear_fit(scaling, "render_seconds"), linear_fit(scaling, "floor_seconds")
    rows = f"| 1 (for reference) | {fixed['resources']} | {fixed['render_seconds']:.1f} | {fixed['floor_seconds']:.1f} | " \
        f"{fixed['render_seconds'] / fixed['floor_seconds']:.2f} | | | | {fixed['peak_rss_mib']:.0f} |\n"
    rows += "\n".join(
        f"| {r['trusts']} | {r['resources']} | {r['render_seconds']:.1f} | {r['floor_seconds']:.1f} | "
        f"{r['render_seconds'] / r['floor_seconds']:.2f} | {r['seconds_per_trust'] * 1000:.0f} | "
        f"{r['floor_per_trust'] * 1000:.0f} | {r['seconds_per_trust_total'] * 1000:.0f} | {r['peak_rss_mib']:.0f} |"
        for r in scaling
    )
    costs = segments(scaling)
    first, last = range_slopes(scaling)
    floor_first, floor_last = range_slopes(scaling, "floor_seconds")
    curve_first, curve_last = marginal_costs(scaling)
    smaller, larger = halves(scaling)
    whole = nca.get("whole_estate_one_graph")
    one_graph = f"{whole['seconds']:.0f} s, {whole['peak_rss_mib']} MiB" if whole else "not measured"
    nca_rows = "\n".join(f"| {s} | {v['seconds']} | {v['peak_rss_mib']} |" for s, v in nca.get("per_region", {}).items())
    if engine.get("available"):
        dev, reg = engine["dev"], engine["region"]
        offline_ms = 1000 * region / n["resources_per_stack"][n["largest_region"]]
        engine_text = f"""| stack | resources previewed | `pulumi preview` | per resource | runs |
|---|---|---|---|---|
| dev | {dev['resources']} | {dev['seconds']:.1f} s | {dev['ms_per_resource']} ms | {", ".join(map(str, dev['runs']))} |
| {reg['stack']} | {reg['resources']} | {reg['seconds']:.1f} s | {reg['ms_per_resource']} ms | {", ".join(map(str, reg['runs']))} |

The real engine (pulumi 3.274.0 and the Kubernetes provider built from Go modules, local
control plane, file backend; `bench/engine.py`) spends {reg['ms_per_resource'] / offline_ms:.0f}× the offline
render's time per resource ({offline_ms:.1f} ms): it diffs every object with the provider over gRPC. The region's StackReference
reads a national stack seeded with the offline national outputs; its third-party Helm
releases are skipped (`localControlPlane`), as their charts come from the national mirror."""
    else:
        engine_text = f"Not measured in this run: {engine.get('reason', 'unknown')}."
    return f"""# Performance

Generated by `make bench` (`bench/run.py`, `bench/report.py`) on this project's 2-core
machine; raw numbers in `bench/results.json`. Every national-estate figure is the median
of {results.get('repeat', 1)} runs (each overhead ratio the median of {results.get('ratio_rounds', results.get('repeat', 1))} rounds' ratios), every synthetic one of {results.get('scaling_repeat', results.get('repeat', 1))}; the machine is noisy, so treat
differences under ~10% as noise.

## Targets (issue #7)

{targets_table(results)}

## The national estate

| measure | median | runs (s) |
|---|---|---|
| resources, all production stacks | {n['resources_total']} | |
| `imaging-cloud render --stack all` (2 workers) | {n['render_all']['seconds']:.1f} s | {runs(n['render_all'])} |
| `imaging-cloud audit --plan` of that render | {n['audit_all']['seconds']:.1f} s | {runs(n['audit_all'])} |
| render + audit | {n['render_plus_audit_seconds']:.1f} s | |
| `render --stack {n['largest_region']}` alone (its national dependency included) | {region:.1f} s | {runs(n['render_one_region'])} |
| peak memory of `render --stack all` (whole process tree) | {n['render_all']['peak_rss_mib']:.0f} MiB | |
| all stacks in one worker (`--jobs 1`) | {n['render_all_sequential']['seconds']:.1f} s | {runs(n['render_all_sequential'])} |
| the SDK floor: same registrations, same resource graph, one process | {n['floor_seconds']:.1f} s | {runs(n['floor'])} |
| the flat floor: same registrations without parents or dependencies | {n['flat_floor']['seconds']:.1f} s | {runs(n['flat_floor'])} |
| **overhead ratio to the floor** (median of the rounds' ratios) | **{n['overhead_ratio']:.2f}** | {", ".join(f"{r:.2f}" for r in n['overhead_ratios'])} |
| overhead ratio to the flat floor | {n['flat_overhead_ratio']:.2f} | {", ".join(f"{r:.2f}" for r in n['flat_overhead_ratios'])} |
| the floor stack by stack: a process per plan, forked one after another from one that has imported the SDK | {n['per_stack_floor']['seconds']:.1f} s | {runs(n['per_stack_floor'])} |
| overhead ratio to the floor stack by stack | {n['per_stack_overhead_ratio']:.2f} | {", ".join(f"{r:.2f}" for r in n['per_stack_overhead_ratios'])} |

The floor (`bench/floor.py`) makes one registration per resource of the rendered plans with
the SDKs alone — Kubernetes objects with pulumi_kubernetes' typed classes, Helm releases,
providers, the stack reference and bare component resources — under the renderer's own
mock runtime and settings, in one process that ends as the render workers do (without
Python's teardown of the object graph). Each registration carries what the plan says of
it: its parent, its dependencies, its provider and its options, so the engine receives
the same requests from the floor as from the program. What the ratio measures is then the
project's own code: estate loading and validation, component logic, chart rendering,
writing manifests and `plan.json`, and one worker process per stack.

The flat floor registers the same resources at the top of the stack, on one provider,
with no dependencies. The difference between the two floors
({n['floor_seconds'] - n['flat_floor']['seconds']:.1f} s) is what resolving the
resource graph costs the SDK — waiting for each parent's and dependency's URN, expanding
a dependency on a component to all its children — which any program building these
components pays, whoever writes it.

### Where the overhead goes (measured 2026-12-04)

- One stack in one process, with the modules the render's fork server preloads already
  imported (midlands, 1,544 resources; medians of 10 alternating runs): the SDK floor
  1.39 s; the program without manifests 1.59 s (+14%); the program with its manifests
  handed to a sink instead of the writer child 1.63 s; the whole worker (manifests written,
  `plan.json`) 1.68 s. Of the program's extra ~0.2 s, ~0.05 s is waiting for Helm (its 39
  charts, now validated in one call), ~0.05 s parsing the charts' YAML and ~0.015 s loading
  the estate; the rest is the components' own code and the SDK calls it makes besides the
  constructors the floor makes too. By cProfile the program makes 11.69 M function calls to
  the floor's 11.47 M (+1.9%): beside the SDK's work the project's own is small.
- Across the estate, the one-worker render adds what the floor has not: the CLI validating
  every stack while the fork server imports the SDK (the first worker starts ~0.9 s in;
  the floor has imported the SDK and parsed its plans by then), ~0.03 s a stack to fork its
  worker, and a writer child per stack emitting YAML (~0.15 ms an object, 0.2 s of CPU for
  midlands) and creating files on the other core.
- The render keeps both cores partly busy (the writer children, Helm's Go code, the CLI
  deleting the previous manifests), the floor one: `perf record -a` of a one-worker render
  finds the machine idle a third of the time. When this shared machine slows, the render
  loses more than the floor: the rounds of one run spread from 1.20 to 1.55 while the floor
  moved by 10% (see the runs above).
- This machine's disk is ext4 without a journal (`/proc/fs/ext4/vda/options`; no jbd2).
  There, ext4 does not reuse an inode freed in the last ~30 s and steps over each one when
  it creates a file (`recently_deleted` under `__ext4_new_inode`: the top kernel symbols of
  `perf record` on a writer child). Creating a region's ~1,500 files takes 0.04 to 1.3 s
  of system time depending on how many files were deleted nearby in the last half minute,
  and a re-render deletes the previous render's. Since this round a manifest that did not
  change is a hard link to the previous render's file (the writer child compares the
  bytes), so a re-render neither allocates nor frees its inode: midlands' writer child
  re-rendering spends 0.01 s of system time, writing afresh 0.04–0.41 s. Renders are
  byte-identical either way.
- Changed in the previous round: Helm compiled the archive chart's 36 KB schema inside
  every render (~4.6 of a chart's ~7.5 ms); the program's releases are now validated in one
  call of Helm's own validator and the templates render from the chart packaged without it
  (ADR 0003); the ratio went 1.32 → 1.24 in that round's run.
- Tried, measured, not kept: one long-lived worker for all stacks of a run, each stack in a
  fresh `contextvars.Context` (the SDK's state is all context variables): byte-identical
  output, but 14–19 s instead of 12–13 s, because the cycle collector, off while a program
  runs, then has to free the previous stack's ~300,000 objects first (0.4–1.2 s a stack),
  which a process exit does for free (ADR 0003). Helm's own YAML parser for the charts'
  output, off Python's lock on the Helm thread: no faster than libyaml (12.6 against
  11.1 ms for ten charts), and it returns keys sorted, which would reorder every archive
  manifest. Registering every store's own objects before any chart's, so the program waits
  less for Helm: the wait grew (0.12 → 0.15 s), as Helm's thread slows by what the busier
  program takes of Python's lock for its JSON hand-over. Loading Helm's runtime and the
  chart on the Helm thread as the worker starts: no change. Byte-compiled project modules
  (`compileall`; this machine sets `PYTHONDONTWRITEBYTECODE`): imports 0.25 → 0.23 s, not
  worth a build step. Earlier rounds: the mock monitor inline on the event loop; pumping
  the event loop while a chart renders; registering the charts' objects last; letting the
  next stack start while the last one's manifests are written; two Helm threads;
  `GOMAXPROCS=1` and `GOGC=400` for Helm's runtime; a process of its own rendering and
  parsing the charts; `$ref` definitions for the schema's repeated patterns.
- Three floors, so the ratio can be read honestly: the graph floor registers the whole
  estate as one program (the target's floor); the floor stack by stack forks one process
  per plan from one that has imported the SDK, as the render does (for reference); the
  flat floor drops parents and dependencies (for reference). The first two agree within
  the noise.
- Run to run, on 2026-12-04: `make bench` gave 1.41 (5 rounds, 1.24–1.57, in a slow
  spell: the estate's two-worker render took 10.1 s against 7.8 s in the next run) and
  1.28 (9 rounds, 1.20–1.55), before the hard links; this report's run is below. Compare
  ratios, not seconds, with earlier reports: the machine under the runs changes.

`imaging-cloud audit --stack all` stays available for a self-contained run (it renders
first, then evaluates); CI renders once and audits the render.

### Resources per stack, and why the split is right

| stack | resources |
|---|---|
{per_stack}

One stack per region follows the failure and change boundaries: a region's trusts share
one workload cluster, one provider and one replica partner, and onboarding a trust touches
only its region's stack (and a one-line audit-policy change in `national`). The largest
region previews in ~{region:.0f} s offline; no change ever previews the ~{n['resources_total']:,}-resource
estate as one stack. A per-trust stack would give ~35-resource stacks but 209 state files,
209 StackReferences and 209 provider configurations per change of a shared zone — the
cost moves from time to coordination, for no gain in isolation (namespaces, network policy
and RBAC already isolate trusts inside a cluster).

## Cost per trust (one stack, synthetic estates)

![render time and cost per trust](performance.png)

Whether the total grows linearly is judged from two least-squares slopes of the total: an
added trust costs {first * 1000:.0f} ms in stacks of {_span(smaller)} trusts and
{last * 1000:.0f} ms in stacks of {_span(larger)} ({_change(first, last)}; the SDK floor's:
{floor_first * 1000:.0f} → {floor_last * 1000:.0f} ms, {_change(floor_first, floor_last)}). A
straight line through all the sizes gives {fit['slope'] * 1000:.0f} ms per trust on top of
{fit['intercept']:.1f} s that any stack costs regardless of its trusts (interpreter, fork
server, the stack's shared zones and agents), with R² = {fit['r_squared']:.4f}; the floor's
line is {floor_fit['slope'] * 1000:.0f} ms per trust + {floor_fit['intercept']:.1f} s. For reference, a
least-squares quadratic through all the sizes puts the cost of one more trust at
{curve_first * 1000:.0f} ms at {scaling[0]['trusts']} trusts and {curve_last * 1000:.0f} ms at
{scaling[-1]['trusts']} ({_change(curve_first, curve_last)}). Earlier reports judged on that; it
is not any more, because a quadratic's slope at the ends leans on the end sizes: one
median 2% slow at 200 or 400 trusts moved its verdict by ~10%, and two `make bench` runs
of the same code gave +6% and +64%. The two slopes above move by at most ~4% for the same
error (`bench/report.py`, `range_slopes`), and still see a superlinear total: `N log N`
gives them +27%, a quadratic total +102%. The sizes rotate within each round of runs, so
one slow spell of the machine does not fall on every run of one size.

The table also shows the slope of the total from the size before, `(t(N) − t(M)) / (N − M)`
({min(costs) * 1000:.0f}–{max(costs) * 1000:.0f} ms between {scaling[0]['trusts']} and
{scaling[-1]['trusts']} trusts). It is not what the target is judged on: between neighbouring
small sizes the run-to-run spread of this shared machine (see the runs in
`bench/results.json`) is as large as the difference the slope divides, so one slow run
moves it by half. The plain `t(N) / N` (last time column) falls as the fixed cost is
spread over more trusts. The one-trust stack is shown for reference only
({fixed['render_seconds']:.1f} s against the line's {fit['intercept']:.1f} s at zero trusts).
Renders and floors alternate, as for the national estate; the peak memory is the render's.

| trusts | resources | render s | floor s | ratio | ms/trust (from the size before) | floor ms/trust | ms/trust (t/N) | peak MiB |
|---|---|---|---|---|---|---|---|---|
{rows}

## Real engine: `pulumi preview`

{engine_text}

## Isolation verification (network-config-analyzer)

The estate is verified region by region ({nca.get('whole_estate_region_by_region_seconds', 'n/a')} s in total, one
process per region; this is what `tests/judges` asserts on). The analyzer also completes on
the whole estate as one graph ({one_graph}), but the regions are separate clusters whose
zone namespaces share names (`zone-ingress`, `zone-system`, …), and one graph merges them,
so its verdicts would mix clusters: region by region is both correct and faster.

| stack | seconds | peak MiB |
|---|---|---|
{nca_rows}

## If the estate grew 10×

At 10× a region such as midlands would hold ~390 trusts and ~15,000 resources: ~{scaling[-1]['render_seconds']:.0f} s
offline (the {scaling[-1]['trusts']}-trust synthetic stack above) and tens of minutes through the engine. The split should grow with it rather than the stacks: a region gets
several workload clusters (`clusters:` in `regions.yaml` and `cluster:` on each trust are
already in the model, and a region stack already gives each cluster its own provider), and
the next step is one stack per cluster (a `cluster` setting next to `region`), so every
stack stays near today's ~1,500 resources and onboarding still previews one of them. The renderer already renders all stacks of a run
side by side on every core, so the estate's render time grows with resources ÷ cores; the
audit is ~{n['audit_all']['seconds']:.0f} s for today's estate and linear in resources.
"""


def write(results: dict) -> Path:
    path = REPO / "docs" / "performance.md"
    path.write_text(render(results), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(json.loads((REPO / "bench" / "results.json").read_text())))
