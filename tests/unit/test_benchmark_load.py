"""The load benchmark's pure parts: the script, percentiles, ratios and the knee."""

from __future__ import annotations

from benchmarks.load.run import LevelResult, knee, load_script, percentile, ratios


def result(target: str, level: int, p50: float, p95: float) -> LevelResult:
    return LevelResult(target, level, 60.0, 100, 0, 1.7, p50, p95, p95, 5, 5, 5, 5, 5)


def test_the_script_has_a_transmission_and_a_registration() -> None:
    steps = load_script()
    assert [s.expect for s in steps if s.expect] == ["TK-", "PP-"]
    assert sum("{email}" in (s.say or "") for s in steps) == 2


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([], 50) == 0.0


def test_ratios_and_knee() -> None:
    full = [result("full_stack", 1, 60, 100), result("full_stack", 5, 70, 150), result("full_stack", 10, 90, 250)]
    engine = [result("engine", 1, 50, 100), result("engine", 5, 70, 120), result("engine", 10, 80, 180)]
    assert ratios(full, engine) == [
        {"level": 1, "p50": 1.2, "p95": 1.0},
        {"level": 5, "p50": 1.0, "p95": 1.25},
        {"level": 10, "p50": 1.12, "p95": 1.39},
    ]
    assert knee(full) == 10 and knee(engine) is None
