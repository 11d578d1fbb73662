"""Sizing with `finance:`: candidates are costed and ranked in money, not in counts."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from iopsim.analysis.finance import fixed_cost_per_year
from iopsim.cli import main
from iopsim.experiments.executors import Executor
from iopsim.experiments.rooms import group_rooms, with_group_rooms
from iopsim.experiments.sizing import FEASIBLE, Sizer
from iopsim.experiments.targets import parse_target
from tests.factories import build, deterministic_dict

ACCESS = parse_target("admitted_within_14_days_pct>=90")
COUNSELOR = 50_000 * 1.2  # salary + 20% benefits, per FTE


def priced_dict(room_per_month: float = 1_000.0, **finance) -> dict:
    d = deterministic_dict()
    d["run"]["horizon_years"] = 3
    d["counselors"]["max_caseload"] = 5
    d["finance"] = {"counselor": {"salary_per_year": 50_000, "benefits_pct": 20},
                    "room_cost_per_month": room_per_month, **finance}
    return d


def rooms_and_staff(scenario, seed, replication) -> dict[str, float]:
    """Access that a room (+15 points) or a counselor (+10) improves: 1 room needs 3 counselors, 2 rooms 1.
    The money KPIs the sizer reads are the scenario's fixed costs (no use-based costs here) and a
    revenue that does not depend on the candidate."""
    rooms = len(group_rooms(scenario))
    row = {"admitted_within_14_days_pct": 52.0 + 15.0 * rooms + 10.0 * scenario.counselors.count}
    if scenario.finance is not None:
        cost = fixed_cost_per_year(scenario)
        row.update(total_cost_per_year=cost, net_per_year=250_000.0 - cost)
    return row


def sizer(scenario, evaluate=rooms_and_staff, **kw) -> Sizer:
    return Sizer(scenario, [ACCESS], [1, 2, 3], list(range(1, 9)), Executor(evaluate), seed=1, **kw)


def test_money_not_counts_picks_the_cheaper_of_two_feasible_candidates():
    """(1 room, 3 counselors) and (2 rooms, 1 counselor) both meet the target. In counts with a room
    worth 5 counselors the first is cheaper (8 < 11); in money a room costs 12,000 a year and a
    counselor 60,000, so the second is (2 x 12,000 + 60,000 = 84,000 < 12,000 + 180,000)."""
    counts = sizer(build(priced_dict()), cost_room=5.0)
    plain = Sizer(build(deterministic_dict()), [ACCESS], [1, 2, 3], list(range(1, 9)),
                  Executor(rooms_and_staff), seed=1, cost_room=5.0).solve()
    assert (plain.best.rooms, plain.best.counselors) == (1, 3)
    best = counts.solve().best
    assert (best.rooms, best.counselors, best.status) == (2, 1, FEASIBLE)
    assert best.cost == pytest.approx(2 * 12_000 + COUNSELOR)
    # and the other way round when rooms are dear
    dear = sizer(build(priced_dict(room_per_month=20_000))).solve().best
    assert (dear.rooms, dear.counselors) == (1, 3)
    assert dear.cost == pytest.approx(12 * 20_000 + 3 * COUNSELOR)


def test_pruning_by_the_fixed_cost_bound_matches_the_exhaustive_answer():
    s = build(priced_dict())
    search, brute = sizer(s).solve(), sizer(s).solve(exhaustive=True)
    assert (search.best.rooms, search.best.counselors) == (brute.best.rooms, brute.best.counselors) == (2, 1)
    assert search.simulations < brute.simulations


def test_net_objective_takes_the_best_net_among_feasible_counts():
    """Revenue that grows by 70,000 a counselor (more than the 60,000 one costs): net favours more staff."""
    def growing(scenario, seed, replication):
        row = rooms_and_staff(scenario, seed, replication)
        row["net_per_year"] = 70_000.0 * scenario.counselors.count - row["total_cost_per_year"]
        return row

    best = sizer(build(priced_dict()), evaluate=growing, objective="net").solve().best
    assert (best.rooms, best.counselors) == (1, 8)
    with pytest.raises(ValueError, match="needs a finance"):
        Sizer(build(deterministic_dict()), [ACCESS], [1], [1], Executor(growing), seed=1, objective="net")


def test_room_copies_and_drops_carry_their_costs():
    d = priced_dict()
    d["finance"]["rooms"] = [{"room": "R", "cost_per_month": 3_000}]
    s = build(d)
    three = with_group_rooms(s, 3)
    assert three.finance is not None
    assert [r.room for r in three.finance.rooms] == ["R", "R #2", "R #3"]
    assert fixed_cost_per_year(three) == pytest.approx(COUNSELOR + 3 * 12 * 3_000)


def test_size_command_prints_money(tmp_path):
    path = tmp_path / "priced.yaml"
    d = priced_dict()
    d["finance"]["counselor"]["salary_per_year"] = 850_000  # a total above a million: never 1.02e+06
    path.write_text(yaml.safe_dump(d))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["size", str(path), "--target", "admitted_within_14_days_pct>=90",
                                       "--rooms", "1", "--counselors", "1..4", "-j", "1", "--out", str(out)],
                                env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    cost = 3 * 850_000 * 1.2 + 12_000  # 3 counselors (caseload 5, 12 patients) and one room
    assert f"Recommended: 1 group room and 3 counselors (cost {cost:,.0f} USD a year, net -" in result.output
    assert "e+0" not in result.output
    assert "Total cost" in result.output and "USD/yr" in result.output
    doc = json.loads((out / "recommendation.json").read_text())
    assert doc["currency"] == "USD" and doc["recommended"]["cost"] == pytest.approx(cost)
    assert doc["recommended"]["kpis"]["total_cost_per_year"]["unit"] == "USD/yr"
    assert "total_cost_per_year" in pd.read_csv(out / "replications.csv").columns
