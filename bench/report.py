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
#: "Flat" cost per trust: the cost of each added trust between consecutive sizes (the
#: slope of the total) within this fraction of the median of those slopes.
FLAT_TOLERANCE = 0.2


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def segments(sizes: list[dict]) -> list[float]:
    """The cost per added trust between consecutive sizes of the range (seconds)."""
    return [r["seconds_per_trust"] for r in sizes[1:]]


def flatness(costs: list[float]) -> float:
    """Largest relative distance of a cost from the median of the costs."""
    median = statistics.median(costs)
    return max(abs(c - median) / median for c in costs)


def targets_table(results: dict) -> str:
    """The issue's targets, each judged met or not met from the measured numbers."""
    n, nca, scaling = results["national"], results["nca"], results["scaling"]
    sizes = scaling["sizes"]
    peak = max(n["render_all"]["peak_rss_mib"], max((r["peak_rss_mib"] for r in sizes), default=0))
    spread = flatness(segments(sizes))
    span = f"{sizes[0]['trusts']}–{sizes[-1]['trusts']}"
    region = n["render_one_region"]["seconds"]
    rows = "\n".join([
        f"| overhead ratio to the SDK floor (same registrations: parents, dependencies, options), national estate "
        f"| ≤ {RATIO_TARGET} | {n['overhead_ratio']:.2f} | {_verdict(n['overhead_ratio'] <= RATIO_TARGET)} |",
        f"| the same against the flat floor (no parents or dependencies) | for reference | "
        f"{n['flat_overhead_ratio']:.2f} | |",
        f"| `render --stack all` + `audit` of the estate | < {ESTATE_SECONDS_TARGET:.0f} s | "
        f"{n['render_plus_audit_seconds']:.1f} s | {_verdict(n['render_plus_audit_seconds'] < ESTATE_SECONDS_TARGET)} |",
        f"| one regional stack ({n['largest_region']}, the largest) | < {REGION_SECONDS_TARGET:.0f} s | {region:.1f} s | "
        f"{_verdict(region < REGION_SECONDS_TARGET)} |",
        f"| peak memory (any run above, whole process tree) | < 2 GB | {peak:.0f} MiB | "
        f"{_verdict(peak < MEMORY_MIB_TARGET)} |",
        f"| cost per trust flat from {span} trusts (each added trust, between consecutive sizes) | "
        f"within ±{FLAT_TOLERANCE:.0%} of the median | ±{spread:.0%} (fit R² {scaling['fit']['r_squared']:.4f}) | "
        f"{_verdict(spread <= FLAT_TOLERANCE)} |",
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
    fit, floor_fit = results["scaling"]["fit"], results["scaling"]["floor_fit"]
    rows = f"| 1 (for reference) | {fixed['resources']} | {fixed['render_seconds']:.1f} | {fixed['floor_seconds']:.1f} | " \
        f"{fixed['render_seconds'] / fixed['floor_seconds']:.2f} | | | | {fixed['peak_rss_mib']:.0f} |\n"
    rows += "\n".join(
        f"| {r['trusts']} | {r['resources']} | {r['render_seconds']:.1f} | {r['floor_seconds']:.1f} | "
        f"{r['render_seconds'] / r['floor_seconds']:.2f} | {r['seconds_per_trust'] * 1000:.0f} | "
        f"{r['floor_per_trust'] * 1000:.0f} | {r['seconds_per_trust_total'] * 1000:.0f} | {r['peak_rss_mib']:.0f} |"
        for r in scaling
    )
    costs = segments(scaling)
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
of {results.get('repeat', 1)} runs, every synthetic one of {results.get('scaling_repeat', results.get('repeat', 1))}; the machine is noisy, so treat
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

The cost of a trust at each size is the slope of the total from the size before,
`(t(N) − t(M)) / (N − M)`: constant slopes are a linear total. A straight line fitted
through the sizes (least squares) gives {fit['slope'] * 1000:.0f} ms per trust on top of
{fit['intercept']:.1f} s that any stack costs regardless of its trusts (interpreter, fork
server, the stack's shared zones and agents), with R² = {fit['r_squared']:.4f}; the floor's
line is {floor_fit['slope'] * 1000:.0f} ms per trust + {floor_fit['intercept']:.1f} s. Between
consecutive sizes from {scaling[0]['trusts']} to {scaling[-1]['trusts']} trusts a trust costs
{min(costs) * 1000:.0f}–{max(costs) * 1000:.0f} ms. The plain `t(N) / N` (last time column)
falls as the fixed cost is spread over more trusts. The one-trust stack is shown for
reference only ({fixed['render_seconds']:.1f} s against the line's {fit['intercept']:.1f} s at
zero trusts): measuring every slope from it would charge its own noise and start-up
(the fork server, Helm's Go runtime) to the trusts of every size. Renders and floors
alternate, as for the national estate.

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

At ≈2,000 trusts a region would hold ~15,000 resources: ~100 s offline and tens of minutes
through the engine. The split should grow with it rather than the stacks: a region gets
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
