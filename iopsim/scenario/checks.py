"""Checks that need the whole scenario: each returns (dotted.path, problem) pairs.

Kept apart from the pydantic field rules so every problem names its own path (and so its line).
"""

from __future__ import annotations

import math
from collections import defaultdict

from .availability_schema import check_availability
from .calendar import DAYS_PER_WEEK, DAYS_PER_YEAR
from .finance_schema import check_finance
from .schema import DAYS, MAX_REFERRALS_PER_WEEK, Scenario
from .wording import plural

AFTERCARE = "aftercare"
INTAKE = "intake"
TOLERANCE = 1e-6

Problem = tuple[str, str]


def check_scenario(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    problems += _check_run_window(s)
    problems += _check_peak_referrals(s)
    problems += _check_shares(s)
    problems += _check_names(s)
    problems += _check_program_and_timetable(s)
    problems += _check_staff(s)
    problems += check_finance(s.finance, [r.name for r in s.rooms])
    problems += check_availability(s.counselors, s.phase_names())

    problems += _check_tracks(s)
    problems += _check_shifts(s)
    problems += _check_step_down(s)
    return problems


def _check_step_down(s: Scenario) -> list[Problem]:
    ref = s.referrals
    names = s.phase_names()
    if ref.step_down_phase is not None and ref.step_down_phase not in names:
        return [("referrals.step_down_phase", f"{ref.step_down_phase!r} is not a phase (phases: {', '.join(names)})")]
    if ref.step_down_share > 0 and ref.step_down_phase is None and len(names) < 2:
        return [("referrals.step_down_share", "step-down admissions enter a later phase, but there is only one; "
                 "name one in referrals.step_down_phase")]
    return []


MIN_MEASURED_WEEKS = 1.0
"""KPIs are tallied over whole weeks (the weekly monitor): less than one week measures nothing."""


def _check_run_window(s: Scenario) -> list[Problem]:
    horizon_weeks = s.run.horizon_years * DAYS_PER_YEAR / DAYS_PER_WEEK
    measured = horizon_weeks - s.run.warmup_weeks
    if measured >= MIN_MEASURED_WEEKS:
        return []
    if horizon_weeks < MIN_MEASURED_WEEKS:
        return [("run.horizon_years", f"{s.run.horizon_years:g} years is {horizon_weeks * DAYS_PER_WEEK:.3g} days; "
                 f"simulate at least 1 week ({DAYS_PER_WEEK / DAYS_PER_YEAR:.4f} years) after the warm-up")]
    return [("run.warmup_weeks", f"a warm-up of {s.run.warmup_weeks:g} weeks leaves {max(measured, 0):.3g} of the "
             f"{horizon_weeks:.4g} simulated weeks to measure; keep at least 1 week "
             "(shorten the warm-up or lengthen run.horizon_years)")]


def _check_peak_referrals(s: Scenario) -> list[Problem]:
    """Seasonality and compound growth multiply the rate: bound the peak, not only the base."""
    ref = s.referrals
    peak_multiplier = max(ref.monthly_multipliers) if ref.monthly_multipliers else 1.0
    if ref.rate_per_week == 0 or peak_multiplier == 0:
        return []
    growth = max(ref.growth_per_year_pct, 0.0)
    log_peak = (math.log(ref.rate_per_week) + math.log(peak_multiplier)
                + s.run.horizon_years * math.log1p(growth / 100))
    if log_peak <= math.log(MAX_REFERRALS_PER_WEEK):
        return []
    peak = f"{math.exp(log_peak):.3g}" if log_peak < 700 else "more than 1e300"
    path = "referrals.growth_per_year_pct" if growth else "referrals.monthly_multipliers"
    return [(path, f"the referral rate would peak at {peak} per week (rate x seasonal peak x growth over "
             f"{s.run.horizon_years:g} years); at most {MAX_REFERRALS_PER_WEEK:g} per week is supported")]


def _check_shares(s: Scenario) -> list[Problem]:
    out = []
    mix = s.eligibility.severity_mix
    total = mix.mild + mix.moderate + mix.severe
    if abs(total - 1) > TOLERANCE:
        out.append(("eligibility.severity_mix", f"mild + moderate + severe must sum to 1, got {total:g}"))
    ref = s.referrals
    if ref.arrival_process == "fixed_interval" and (ref.monthly_multipliers or ref.growth_per_year_pct):
        out.append(("referrals.arrival_process", "fixed_interval arrivals cannot have seasonality or growth"))
    pol = s.relapse.policy
    total = pol.repeat_phase + pol.step_back + pol.discharge + pol.step_up
    if abs(total - 1) > TOLERANCE:
        out.append(("relapse.policy", f"repeat_phase + step_back + discharge + step_up must sum to 1, got {total:g}"))
    att = s.attendance
    mean, sd = att.group_attendance_prob, att.propensity_sd
    if sd > 0 and sd * sd >= mean * (1 - mean):
        limit = (mean * (1 - mean)) ** 0.5
        out.append(("attendance.propensity_sd", f"a Beta distribution with mean {mean:g} needs a standard deviation "
                    f"below {limit:.3g}, got {sd:g}"))
    return out


def _check_names(s: Scenario) -> list[Problem]:
    out = []
    seen: set[str] = set()
    for i, p in enumerate(s.phases):
        if p.name in (AFTERCARE, INTAKE):
            out.append((f"phases.{i}.name", f"{p.name!r} is reserved; choose another phase name"))
        if p.name in seen:
            out.append((f"phases.{i}.name", f"phase name {p.name!r} is used twice"))
        seen.add(p.name)
    rooms: set[str] = set()
    for i, r in enumerate(s.rooms):
        if r.name in rooms:
            out.append((f"rooms.{i}.name", f"room name {r.name!r} is used twice"))
        rooms.add(r.name)
    if s.groups.min_size > s.groups.max_size:
        out.append(("groups.min_size", f"min_size {s.groups.min_size} exceeds max_size {s.groups.max_size}"))
    return out


def _session_kind(serves: list[str]) -> str:
    if INTAKE in serves:
        return INTAKE
    if AFTERCARE in serves:
        return AFTERCARE
    return "phase"


def _check_timetable(s: Scenario) -> list[Problem]:
    out: list[Problem] = []
    phase_names = set(s.phase_names())
    seats = {r.name: r.seats for r in s.rooms}
    group_kind: dict[str, str] = {}
    # (group, phase) -> list of session indices, to compare with the phase's weekly dose
    dose: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, sess in enumerate(s.timetable):
        path = f"timetable.{i}"
        if sess.room is not None and sess.room not in seats:
            out.append((f"{path}.room", f"room {sess.room!r} does not exist (rooms: {', '.join(sorted(seats))})"))
        for name in sess.serves:
            if name not in phase_names and name not in (AFTERCARE, INTAKE):
                out.append((f"{path}.serves", f"{name!r} is not a phase, 'aftercare' or 'intake'"))
        kind = _session_kind(sess.serves)
        if kind != "phase" and len(sess.serves) > 1:
            out.append((f"{path}.serves", f"an {kind} session cannot also serve {', '.join(sess.serves)}"))
        previous = group_kind.setdefault(sess.group, kind)
        if previous != kind:
            out.append((f"{path}.group", f"group {sess.group!r} mixes {previous} and {kind} sessions"))
        cap = sess.max_size or s.groups.max_size
        if kind != INTAKE and sess.max_size is not None and sess.max_size < s.groups.min_size:
            out.append((f"{path}.max_size", f"max_size {sess.max_size} is below groups.min_size "
                        f"{s.groups.min_size}, so this group could never run"))
        if kind != INTAKE and sess.room_seats_cap and sess.room in seats and cap > seats[sess.room]:
            out.append((f"{path}.room", f"group size {cap} exceeds the {plural(seats[sess.room], 'seat')} of {sess.room!r}"))
        if kind == INTAKE and sess.hours < s.intake.appointment_hours:
            out.append((f"{path}.hours", f"shorter than one intake appointment ({s.intake.appointment_hours} h)"))
        for name in sess.serves:
            if name in phase_names:
                dose[(sess.group, name)].append(i)
    out += _check_doses(s, dose)
    served = {name for sess in s.timetable for name in sess.serves}
    for i, p in enumerate(s.phases):
        if p.name not in served:
            out.append((f"phases.{i}.name", f"phase {p.name!r} has no session in the timetable"))
    if s.aftercare.enabled and AFTERCARE not in served:
        out.append(("aftercare.enabled", "aftercare is enabled but no timetable session serves 'aftercare'"))
    if s.intake.mode == "timetable_slots" and INTAKE not in served:
        out.append(("intake.mode", "timetable_slots needs at least one timetable session serving 'intake'"))
    if s.intake.mode == "dedicated_assessors" and s.intake.assessors < 1:
        out.append(("intake.assessors", "dedicated_assessors mode needs at least 1 assessor"))
    out += _check_room_overlaps(s)
    return out


def _check_program_and_timetable(s: Scenario) -> list[Problem]:
    """A template that does not fit leaves a partial timetable: report the template, not its gaps."""
    if s.program_problems:
        return list(s.program_problems)
    if not s.timetable:
        return [("timetable", "no sessions: write a timetable or a program template")]
    return _check_timetable(s) + _check_room_hours(s)


def _check_room_hours(s: Scenario) -> list[Problem]:
    booked: dict[str, float] = defaultdict(float)
    for sess in s.timetable:
        if sess.room is not None:
            booked[sess.room] += sess.hours
    out = []
    for i, room in enumerate(s.rooms):
        if booked[room.name] > room.available_hours_per_week + TOLERANCE:
            out.append((
                f"rooms.{i}.available_hours_per_week",
                f"room {room.name!r} is booked {booked[room.name]:g} h/week by the timetable but available "
                f"{room.available_hours_per_week:g} h/week",
            ))
    return out


def _check_doses(s: Scenario, dose: dict[tuple[str, str], list[int]]) -> list[Problem]:
    out = []
    by_name = {p.name: (i, p) for i, p in enumerate(s.phases)}
    for (group, phase_name), indices in dose.items():
        i, phase = by_name[phase_name]
        if len(indices) != phase.group_sessions_per_week:
            out.append((
                f"timetable.{indices[0]}.serves",
                f"group {group!r} offers phase {phase_name!r} {plural(len(indices), 'session')} a week but "
                f"phases.{i}.group_sessions_per_week is {phase.group_sessions_per_week}",
            ))
        for j in indices:
            if abs(s.timetable[j].hours - phase.session_hours) > TOLERANCE:
                out.append((
                    f"timetable.{j}.hours",
                    f"{s.timetable[j].hours} h but phase {phase_name!r} has session_hours {phase.session_hours}",
                ))
    return out


def _check_room_overlaps(s: Scenario) -> list[Problem]:
    out = []
    week_hours = len(DAYS) * 24
    spans = []
    for i, sess in enumerate(s.timetable):
        start = sess.week_offset_days * 24
        if sess.room is not None:  # virtual sessions take no room
            spans.append((sess.room, start, start + sess.hours, i))
    for a in range(len(spans)):
        for b in range(a + 1, len(spans)):
            room_a, s_a, e_a, i_a = spans[a]
            room_b, s_b, e_b, i_b = spans[b]
            if room_a != room_b:
                continue
            for shift in (-week_hours, 0, week_hours):
                if s_a < e_b + shift - TOLERANCE and s_b + shift < e_a - TOLERANCE:
                    out.append((
                        f"timetable.{i_b}.start",
                        f"overlaps timetable.{i_a} in room {room_a!r}",
                    ))
                    break
    return out


def _check_staff(s: Scenario) -> list[Problem]:
    out = []
    c = s.counselors
    if c.other_duties_hours_per_week >= c.contracted_hours_per_week:
        out.append(("counselors.other_duties_hours_per_week", "leaves no clinical hours; must be below contracted hours"))
    needs_counselor = any(_session_kind(x.serves) != INTAKE or s.intake.mode == "timetable_slots" for x in s.timetable)
    if c.count == 0 and needs_counselor:
        out.append(("counselors.count", "the timetable needs at least one counselor"))
    return out


def _check_tracks(s: Scenario) -> list[Problem]:
    """With tracks declared every phase group belongs to one, and every track can take a patient
    through every phase (else its patients would wait for a seat forever)."""
    if not s.tracks:
        return []
    out: list[Problem] = []
    names = [t.name for t in s.tracks]
    for k, name in enumerate(names):
        if name in names[:k]:
            out.append((f"tracks.{k}.name", f"track name {name!r} is used twice"))
    total = sum(t.only_share + t.prefers_share for t in s.tracks)
    if abs(total - 1) > TOLERANCE:
        out.append(("tracks", f"only_share + prefers_share over all tracks must sum to 1, got {total:g}"))
    if s.program_problems:
        return out
    out += _check_program_tracks(s, names)
    phase_names = set(s.phase_names())
    group_track: dict[str, str | None] = {}
    served: dict[str, set[str]] = {name: set() for name in names}
    written = s.written_sessions
    for i, sess in enumerate(s.timetable):
        if i >= written:  # generated: its block's track, checked above
            if sess.track in served and _session_kind(sess.serves) == "phase":
                served[sess.track].update(n for n in sess.serves if n in phase_names)
            continue
        path = f"timetable.{i}.track"
        if sess.track is not None and sess.track not in names:
            out.append((path, f"{sess.track!r} is not a track (tracks: {', '.join(names)})"))
            continue
        kind = _session_kind(sess.serves)
        if kind == "phase" and sess.track is None:
            out.append((path, f"group {sess.group!r} has no track; with tracks declared every phase group "
                              f"belongs to one ({', '.join(names)})"))
            continue
        previous = group_track.setdefault(sess.group, sess.track)
        if previous != sess.track:
            out.append((path, f"group {sess.group!r} is in track {previous!r} in an earlier session, here {sess.track!r}"))
        if kind == "phase" and sess.track is not None:
            served[sess.track].update(n for n in sess.serves if n in phase_names)
    for k, name in enumerate(names):
        missing = [p.name for p in s.phases if p.name not in served[name]]
        if missing:
            out.append((f"tracks.{k}.name", f"track {name!r} has no group serving phase {', '.join(missing)}: "
                                            "its patients could never move on"))
    return out


def _check_program_tracks(s: Scenario, names: list[str]) -> list[Problem]:
    """A template's blocks name declared tracks; every phase block names one."""
    if s.program is None:
        return []
    out: list[Problem] = []
    blocks = [(f"program.phases.{phase}.{b}", block.track, True)
              for phase, phase_blocks in s.program.phases.items() for b, block in enumerate(phase_blocks)]
    blocks += [(f"program.aftercare.{b}", block.track, False) for b, block in enumerate(s.program.aftercare)]
    blocks += [(f"program.intake.{b}", block.track, False) for b, block in enumerate(s.program.intake)]
    blocks += [(f"program.joins.{j}", join.track, False) for j, join in enumerate(s.program.joins)]
    for path, track, needs_track in blocks:
        if track is None and needs_track:
            out.append((f"{path}.track", f"no track; with tracks declared every phase block belongs to one "
                                         f"({', '.join(names)})"))
        elif track is not None and track not in names:
            out.append((f"{path}.track", f"{track!r} is not a track (tracks: {', '.join(names)})"))
    return out


def _check_shifts(s: Scenario) -> list[Problem]:
    """Shifts add up to the team, and every session a counselor runs falls inside some shift."""
    c = s.counselors
    if not c.shifts:
        return []
    out: list[Problem] = []
    seen: set[str] = set()
    for k, shift in enumerate(c.shifts):
        path = f"counselors.shifts.{k}"
        if shift.name in seen:
            out.append((f"{path}.name", f"shift name {shift.name!r} is used twice"))
        seen.add(shift.name)
        if shift.end_hours <= shift.start_hours:
            out.append((f"{path}.end", f"{shift.end} is not after start {shift.start}"))
        contracted, other = c.shift_hours(shift)
        if other >= contracted:
            out.append((f"{path}.other_duties_hours_per_week", "leaves no clinical hours; must be below contracted hours"))
    total = sum(shift.count for shift in c.shifts)
    if c.count != total:
        out.append(("counselors.count", f"{plural(c.count, 'counselor')} but the shifts add up to {total} (leave count "
                                        "out or make them agree)"))
    if s.program_problems:
        return out
    windows = "; ".join(f"{x.name}: {','.join(x.days)} {x.start}-{x.end}" for x in c.shifts)
    written = s.written_sessions
    for i, sess in enumerate(s.timetable):
        if _session_kind(sess.serves) == INTAKE and s.intake.mode != "timetable_slots":
            continue
        if not any(x.covers(sess.day, sess.start_hours, sess.hours) for x in c.shifts):
            end = sess.start_hours + sess.hours
            when = f"on {sess.day} {sess.start}-{int(end):02d}:{round(end % 1 * 60):02d}"
            if i < written:
                out.append((f"timetable.{i}.start", f"group {sess.group!r} {when} is outside every counselor "
                                                    f"shift ({windows})"))
            else:  # generated from the program template: no timetable line to point at
                out.append(("counselors.shifts", f"generated group {sess.group!r} {when} is outside every "
                                                 f"shift ({windows})"))
    return out
