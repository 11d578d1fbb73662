"""Lazy reneging: patients who gave up waiting leave a queue when someone next looks at it.

Each waiting patient carries `deadline`, the time they stop waiting. Removing them at that
moment would cost an event per patient; instead whoever inspects the queue (a session, an
admission, the weekly monitor) drops those whose deadline has passed and records their
departure at the deadline itself, which is exact.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .patient import Patient


def without_expired(queue: deque[Patient], now: float, gave_up: Callable[[Patient], None]) -> deque[Patient]:
    """The queue without patients whose deadline has passed (each handed to `gave_up`), in order."""
    for p in queue:  # most looks find no one expired: leave the queue as it is
        if p.deadline < now:
            break
    else:
        return queue
    keep: deque[Patient] = deque()
    for p in queue:
        if p.deadline < now:
            gave_up(p)
        else:
            keep.append(p)
    return keep


def earliest_deadline(queues: Iterable[deque[Patient]]) -> float:
    """When the first of the patients in `queues` stops waiting (inf: nobody waits). A queue keeps it
    as a lower bound, lowered as patients join and made exact by each purge, so that a look before
    it has nobody to take out and skips the walk."""
    earliest = math.inf
    for queue in queues:
        for p in queue:
            if p.deadline < earliest:
                earliest = p.deadline
    return earliest
