"""Scheduler: wake-ups on SimPy's queue at the right times, in the right order."""

from __future__ import annotations

import simpy

from iopsim.model.patient import Patient
from iopsim.model.scheduler import LAST_AT_INSTANT, Scheduler


def setup():
    env = simpy.Environment()
    return env, Scheduler(env), []


def test_sleep_wakes_the_patient_into_the_given_step_after_the_delay():
    env, s, log = setup()
    p = Patient(7, 0.0)
    s.sleep(p, 2.5, (lambda ev: log.append((env.now, ev.p.pid, ev.value)),))
    assert p.wake is not None
    env.run()
    assert log == [(2.5, 7, None)]


def test_resume_goes_into_the_step_the_queue_was_given_with_the_value():
    env, s, log = setup()
    p = Patient(1, 0.0)
    p.waiting_for = (lambda ev: log.append((env.now, ev.value)),)
    env.run(until=3.0)
    s.resume(p, 0.25)
    env.run()
    assert log == [(3.0, 0.25)]


def test_an_interrupt_comes_first_and_last_at_instant_comes_last():
    env, s, log = setup()
    p = Patient(1, 0.0)
    s.after(1.0, (lambda ev: log.append("last"),), priority=LAST_AT_INSTANT)
    s.sleep(p, 1.0, (lambda ev: log.append("normal"),))
    s.after(1.0, (lambda ev: s.interrupt(p, (lambda ev: log.append("interrupt"),)),))
    s.after(1.0, (lambda ev: log.append("normal 2"),))
    env.run()
    assert log == ["normal", "interrupt", "normal 2", "last"]


def test_a_cancelled_wake_up_does_nothing():
    env, s, log = setup()
    p = Patient(1, 0.0)
    s.sleep(p, 1.0, (lambda ev: log.append("woke"),))
    assert p.wake is not None
    p.wake.cancel()
    env.run()
    assert log == []


def test_every_week_calls_at_the_offset_of_each_week_with_one_event_re_armed():
    env, s, log = setup()
    s.every_week(1.5, log.append)
    for _ in range(3):
        env.step()
    assert log == [1.5, 8.5, 15.5]
    assert env.peek() == 22.5
    assert s.events_processed() == 4  # the same Wake, scheduled four times (the fourth is pending)


def _script(s, env, log, patients):
    """Same-instant traffic of every kind: patients resumed now from inside callbacks (the line beside
    the heap while `run_until` runs), sleeps of zero and more, interrupts and last-at-instant calls."""
    a, b, c = patients

    def resume(p, tag):
        def step(ev):
            log.append((env.now, tag))
            p.waiting_for = (lambda ev: log.append((env.now, f"{p.pid} resumed {ev.value}")),)
            s.resume(p, tag)
        return (step,)

    s.after(1.0, resume(a, "first"))
    s.sleep(b, 1.0, (lambda ev: (log.append((env.now, "b woke")), s.sleep(b, 0.0, (lambda ev: log.append((env.now, "b again")),))),))
    s.after(1.0, resume(c, "second"))
    s.after(1.0, (lambda ev: s.interrupt(a, (lambda ev: log.append((env.now, "interrupt")),)),))
    s.after(1.0, (lambda ev: log.append((env.now, "last")),), priority=LAST_AT_INSTANT)
    s.after(1.0, resume(b, "third"))
    s.after(2.0, resume(a, "later"))


def test_patients_resumed_during_run_until_keep_simpy_order():
    """`run_until` keeps patients resumed now in a line beside the heap; the order must be exactly
    SimPy's own (time, priority, event number), as `env.run` gives it with every wake-up on the heap."""
    logs = []
    for runner in ("scheduler", "simpy"):
        env, s, log = setup()
        _script(s, env, log, [Patient(i, 0.0) for i in (1, 2, 3)])
        if runner == "scheduler":
            s.run_until(5.0)
        else:
            env.run(until=5.0)
        logs.append(log)
    assert logs[0] == logs[1]
    assert [tag for _, tag in logs[0]][:3] == ["first", "b woke", "second"]
    assert (2.0, "1 resumed later") in logs[0]


def test_wake_ups_left_in_the_line_go_back_to_simpy_when_run_until_stops():
    """A callback that raises ends `run_until`; patients it had already resumed are not lost: they are
    back on SimPy's queue, for `env.step`/`env.run` to process."""
    env, s, log = setup()
    p = Patient(1, 0.0)
    p.waiting_for = (lambda ev: log.append((env.now, "resumed")),)

    def boom(ev):
        s.resume(p, None)
        raise RuntimeError("boom")

    s.after(1.0, (boom,))
    try:
        s.run_until(5.0)
    except RuntimeError:
        pass
    assert log == []
    env.step()  # the resumed patient, from SimPy's own queue
    assert log == [(1.0, "resumed")]
