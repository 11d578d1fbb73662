"""Progress as plain lines, for output that is not a terminal (batch jobs, `nohup`, CI logs).

A live progress bar redraws one line with control characters, which a log file keeps as noise (or
not at all). When stderr is not a terminal, progress is written as whole lines instead: one every 5%
of the work or every minute, whichever comes first, with the rate so far and the time left.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from ..experiments.estimate import duration_text

EVERY_FRACTION = 0.05
EVERY_SECONDS = 60.0


class ProgressLines:
    def __init__(self, description: str, total: int | None, completed: int = 0, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.description, self.total = description, total
        self.done: float = completed
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.start = self.last_time = clock()
        self.first = completed  # work done before this session: not part of its rate
        self.last_done: float = completed

    def advance(self, k: float = 1) -> None:
        self.done += k
        now = self.clock()
        step = (self.total or 0) * EVERY_FRACTION
        if (self.total and self.done >= self.total) or (step and self.done - self.last_done >= step) \
                or now - self.last_time >= EVERY_SECONDS:
            self.write(now)

    def write(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        elapsed = now - self.start
        if self.total:
            text = f"{self.description}: {self.done:,.0f}/{self.total:,} ({100 * self.done / self.total:.0f}%)"
        else:
            text = f"{self.description}: {self.done:,.0f}"
        text += f", {duration_text(elapsed)} elapsed"
        rate = (self.done - self.first) / elapsed if elapsed > 0 else 0.0
        if self.total and self.done < self.total and rate > 0:
            text += f", about {duration_text((self.total - self.done) / rate)} left"
        print(text, file=self.stream, flush=True)
        self.last_time, self.last_done = now, self.done

    def close(self) -> None:
        """A last line if the latest one did not show where the work stopped."""
        if self.done != self.last_done:
            self.write()
