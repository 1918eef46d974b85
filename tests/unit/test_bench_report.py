"""docs/performance.md judges the targets from the numbers it is given (no timing here)."""

from __future__ import annotations

from bench.report import flatness, render, targets_table

FIXED_SECONDS = 3.0


def results(ratio_seconds: float, region_seconds: float, per_trust: list[float]) -> dict:
    sizes = []
    for i, cost in enumerate(per_trust):
        trusts = 25 * 2**i
        render_seconds = FIXED_SECONDS + cost * (trusts - 1)
        sizes.append({"trusts": trusts, "resources": 900 * 2**i, "render_seconds": render_seconds,
                      "floor_seconds": render_seconds * 0.8, "peak_rss_mib": 300.0,
                      "seconds_per_trust": render_seconds / trusts, "floor_per_trust": render_seconds * 0.8 / trusts,
                      "marginal_seconds_per_trust": cost, "floor_marginal_per_trust": cost * 0.8})
    fixed = {"trusts": 1, "resources": 40, "render_seconds": FIXED_SECONDS, "floor_seconds": 2.0, "peak_rss_mib": 200.0}
    measure = {"seconds": 1.0, "runs": [1.0], "peak_rss_mib": 500.0}
    return {
        "repeat": 3,
        "national": {
            "resources_per_stack": {"national": 52, "midlands": 1544}, "resources_total": 1596,
            "render_all": {**measure, "seconds": 25.0}, "audit_all": {**measure, "seconds": 3.0},
            "render_plus_audit_seconds": 28.0, "largest_region": "midlands",
            "render_one_region": {**measure, "seconds": region_seconds},
            "render_all_sequential": {**measure, "seconds": ratio_seconds}, "floor": {**measure, "seconds": 40.0},
            "floor_seconds": 40.0, "overhead_ratio": ratio_seconds / 40.0, "overhead_ratios": [ratio_seconds / 40.0],
        },
        "nca": {"available": True, "per_region": {}, "whole_estate_region_by_region_seconds": 50.0},
        "engine": {"available": False, "reason": "no local toolchain"},
        "scaling": {"fixed": fixed, "sizes": sizes},
    }


def target_row(text: str, starts: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(starts))


def test_targets_are_judged_from_the_numbers():
    good = render(results(48.0, 9.0, [0.25, 0.24, 0.25, 0.26, 0.25]))
    assert target_row(good, "| overhead ratio").endswith("| 1.20 | met |")
    assert target_row(good, "| one regional stack").endswith("| 9.0 s | met |")
    bad = render(results(60.0, 12.0, [0.40, 0.30, 0.25, 0.25, 0.26]))
    assert target_row(bad, "| overhead ratio").endswith("| 1.50 | **not met** |")
    assert target_row(bad, "| one regional stack").endswith("| 12.0 s | **not met** |")
    assert target_row(bad, "| cost per trust").endswith("**not met** |")
    assert "Not measured in this run: no local toolchain." in good
    assert targets_table(results(48.0, 9.0, [0.25, 0.24, 0.25, 0.26, 0.25])) in good


def test_a_falling_total_per_trust_with_a_flat_marginal_cost_is_linear():
    # A fixed cost spread over more trusts makes t(N)/N fall; the marginal cost stays flat.
    flat = results(48.0, 9.0, [0.25] * 5)
    totals = [r["seconds_per_trust"] for r in flat["scaling"]["sizes"]]
    assert totals[0] > totals[-1] * 1.2
    assert target_row(render(flat), "| cost per trust").endswith("| ±0% | met |")


def test_flatness_is_the_largest_distance_from_the_median_cost():
    assert flatness([{"marginal_seconds_per_trust": c} for c in (1.0, 1.0, 1.0)]) == 0
    assert round(flatness([{"marginal_seconds_per_trust": c} for c in (0.8, 1.0, 1.1)]), 2) == 0.2
