"""Plain progress lines for batch logs: every 5% or minute, with the time left."""

from __future__ import annotations

import io

from iopsim.cli.progress_lines import ProgressLines


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_5_percent_with_the_time_left():
    clock, out = Clock(), io.StringIO()
    lines = ProgressLines("sweep: simulations", 200, stream=out, clock=clock)
    for _ in range(200):
        clock.now += 0.5
        lines.advance(1)
    lines.close()
    text = out.getvalue().splitlines()
    assert len(text) == 20  # 10, 20, ..., 200
    assert text[0] == "sweep: simulations: 10/200 (5%), 5.0 s elapsed, about 1 min 35 s left"
    assert text[-1] == "sweep: simulations: 200/200 (100%), 1 min 40 s elapsed"


def test_a_line_at_least_every_minute_and_a_resumed_run_counts_only_its_own_rate():
    clock, out = Clock(), io.StringIO()
    lines = ProgressLines("sweep", 10_000, completed=5_000, stream=out, clock=clock)
    clock.now = 61.0
    lines.advance(100)  # 1% of the work, but a minute has passed
    assert out.getvalue() == "sweep: 5,100/10,000 (51%), 1 min 01 s elapsed, about 49 min 49 s left\n"


def test_without_a_total_it_counts_and_says_where_it_stopped():
    clock, out = Clock(), io.StringIO()
    lines = ProgressLines("replications", None, stream=out, clock=clock)
    clock.now = 3.0
    lines.advance(2)
    lines.close()
    assert out.getvalue() == "replications: 2, 3.0 s elapsed\n"
