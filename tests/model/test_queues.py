"""The lazy-expiry queue: those whose deadline passed leave, in order, when someone looks."""

from __future__ import annotations

from collections import deque

from iopsim.model.patient import Patient
from iopsim.model.queues import without_expired


def patients(*deadlines: float) -> deque[Patient]:
    out = deque()
    for i, d in enumerate(deadlines):
        p = Patient(i, 0.0)
        p.deadline = d
        out.append(p)
    return out


def test_expired_patients_leave_in_queue_order_and_the_rest_keep_theirs():
    queue = patients(5.0, 1.0, 7.0, 2.0, 3.0)
    gone = []
    kept = without_expired(queue, 3.0, gone.append)
    assert [p.pid for p in gone] == [1, 3]
    assert [p.pid for p in kept] == [0, 2, 4]  # a deadline equal to now has not passed yet


def test_a_queue_with_nobody_expired_is_returned_as_is():
    queue = patients(5.0, 6.0)
    gone = []
    assert without_expired(queue, 3.0, gone.append) is queue
    assert gone == []
