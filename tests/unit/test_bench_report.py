"""docs/performance.md judges the targets from the numbers it is given (no timing here)."""

from __future__ import annotations

import math

import pytest

from bench.report import halves, linear_fit, marginal_costs, range_slopes, render, segments, targets_table

FIXED_SECONDS = 3.0
SIZES = (25, 50, 100, 200, 400)


def scaling(costs: list[float]) -> dict:
    """Synthetic sizes whose total grows by ``costs[i]`` seconds a trust up to ``SIZES[i]``."""
    fixed = {"trusts": 1, "resources": 40, "render_seconds": FIXED_SECONDS, "floor_seconds": 2.0, "peak_rss_mib": 200.0}
    rows, before = [], fixed
    for trusts, cost in zip(SIZES, costs):
        seconds = before["render_seconds"] + cost * (trusts - before["trusts"])
        rows.append({"trusts": trusts, "resources": 36 * trusts, "render_seconds": seconds,
                     "floor_seconds": seconds * 0.8, "peak_rss_mib": 300.0, "seconds_per_trust": cost,
                     "floor_per_trust": cost * 0.8, "seconds_per_trust_total": seconds / trusts})
        before = rows[-1]
    return {"fixed": fixed, "sizes": rows}


def results(ratio_seconds: float, region_seconds: float, per_trust: list[float]) -> dict:
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
            "flat_floor": {**measure, "seconds": 30.0}, "flat_overhead_ratio": ratio_seconds / 30.0,
            "flat_overhead_ratios": [ratio_seconds / 30.0],
            "per_stack_floor": {**measure, "seconds": 32.0}, "per_stack_overhead_ratio": ratio_seconds / 32.0,
            "per_stack_overhead_ratios": [ratio_seconds / 32.0],
        },
        "nca": {"available": True, "per_region": {}, "whole_estate_region_by_region_seconds": 50.0},
        "engine": {"available": False, "reason": "no local toolchain"},
        "scaling": scaling(per_trust),
    }


def target_row(text: str, starts: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(starts))


def test_targets_are_judged_from_the_numbers():
    good = render(results(48.0, 9.0, [0.25, 0.24, 0.25, 0.26, 0.25]))
    assert target_row(good, "| overhead ratio").endswith("| 1.20 (middle half of the rounds –) | met |")
    assert target_row(good, "| one regional stack").endswith("| 9.0 s | met |")
    assert target_row(good, "| cost per trust").endswith("| met |")
    bad = render(results(60.0, 12.0, [0.20, 0.25, 0.30, 0.40, 0.50]))
    assert target_row(bad, "| overhead ratio").endswith("| 1.50 (middle half of the rounds –) | **not met** |")
    assert target_row(bad, "| one regional stack").endswith("| 12.0 s | **not met** |")
    assert target_row(bad, "| cost per trust").endswith("**not met** |")
    assert "Not measured in this run: no local toolchain." in good
    assert targets_table(results(48.0, 9.0, [0.25, 0.24, 0.25, 0.26, 0.25])) in good


def test_the_flat_and_per_stack_floors_are_reported_but_not_judged():
    row = target_row(render(results(48.0, 9.0, [0.25] * 5)), "| the same against the flat floor")
    assert row.endswith("| for reference | 1.60 | |")
    row = target_row(render(results(48.0, 9.0, [0.25] * 5)), "| the same against the floor run stack by stack")
    assert row.endswith("| for reference | 1.50 | |")


def test_a_falling_total_per_trust_with_constant_slopes_is_linear():
    # A fixed cost spread over more trusts makes t(N)/N fall; the cost of a trust stays flat.
    flat = results(48.0, 9.0, [0.25] * 5)
    totals = [r["seconds_per_trust_total"] for r in flat["scaling"]["sizes"]]
    assert totals[0] > totals[-1] * 1.05
    fit = linear_fit(flat["scaling"]["sizes"], "render_seconds")
    assert fit["r_squared"] == pytest.approx(1.0)
    assert fit["slope"] == pytest.approx(0.25)
    assert range_slopes(flat["scaling"]["sizes"]) == pytest.approx((0.25, 0.25))
    assert marginal_costs(flat["scaling"]["sizes"]) == pytest.approx((0.25, 0.25))
    assert "250 → 250 ms (+0%; line R² 1.0000) | met |" in target_row(render(flat), "| cost per trust")


def totals(seconds) -> list[dict]:
    return [{"trusts": n, "render_seconds": seconds(n)} for n in SIZES]


def test_the_halves_share_the_middle_size():
    smaller, larger = halves(totals(float))
    assert [r["trusts"] for r in smaller] == [25, 50, 100] and [r["trusts"] for r in larger] == [100, 200, 400]


def test_a_quadratic_total_is_not_flat():
    # t = 2 + 0.05 N + 0.0002 N^2: an added trust costs 0.06 s at 25 trusts, 0.21 s at 400.
    quadratic = totals(lambda n: 2 + 0.05 * n + 0.0002 * n * n)
    assert marginal_costs(quadratic) == (pytest.approx(0.06), pytest.approx(0.21))
    smaller, larger = range_slopes(quadratic)
    assert larger / smaller - 1 == pytest.approx(1.02, abs=0.01)


def test_an_n_log_n_total_is_not_flat():
    smaller, larger = range_slopes(totals(lambda n: 0.01 * n * math.log(n)))
    assert larger / smaller - 1 > 0.2


def test_the_judged_cost_per_trust_is_the_halves_slopes():
    # Linear up to 100 trusts, then 30% dearer per trust: judged not flat, and the row
    # says which ranges were compared.
    sizes = scaling([0.1, 0.1, 0.1, 0.13, 0.13])
    report = results(48.0, 9.0, [0.1] * 5)
    report["scaling"] = sizes
    row = target_row(render(report), "| cost per trust")
    assert "stacks of 100–400 trusts against 25–100" in row
    assert "100 → 130 ms (+30%" in row and row.endswith("**not met** |")


def test_one_noisy_size_does_not_decide():
    # Any one size measured 2% slow, on a linear total like the measured one (0.5 s +
    # 40 ms a trust): the verdict moves by under 5%.
    for noisy_size in SIZES:
        noisy = totals(lambda n, noisy_size=noisy_size: (0.5 + 0.04 * n) * (1.02 if n == noisy_size else 1))
        smaller, larger = range_slopes(noisy)
        assert abs(larger / smaller - 1) < 0.05, noisy_size


def test_the_slope_from_the_one_trust_stack_is_not_shown_as_a_segment():
    # The first size's slope is measured from the one-trust stack, outside the range asked.
    assert segments(scaling([9.0, 0.25, 0.25, 0.25, 0.25])["sizes"]) == [0.25] * 4


def test_the_ratio_is_shown_with_the_middle_half_of_its_rounds():
    report = results(48.0, 9.0, [0.25] * 5)
    report["national"]["overhead_ratios"] = [1.5, 1.1, 1.3, 1.2, 1.4]
    assert "| 1.20 (middle half of the rounds 1.20–1.40) | met |" in target_row(render(report), "| overhead ratio")
