"""What a planner fills in: the scenario, as pydantic models with units in the field names.

Conventions: `_prob` fields are probabilities in 0..1; `_pct` fields are percentages 0..100;
times carry their unit (`_days`, `_weeks`, `_hours`, `_minutes`). Inside the model one time
unit is used, days; conversion happens only at the edges.

Cross-field checks (timetable covers every phase, rooms exist, ...) live in `checks.py` so
that each problem can be reported with its own dotted path and line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from .distributions import Distribution, Fixed, Text, Triangular
from .finance_schema import Finance
from .phase_schema import Advancement, Phase  # noqa: F401  (re-exported)
from .program_generate import generate_timetable
from .program_schema import Program
from .progression_schema import Progression
from .sections import (
    MAX_COUNT,
    MAX_REFERRALS_PER_WEEK,
    drop_if,
    prob,
)
from .sections import Section as _Section
from .staffing_schema import (  # noqa: F401  (re-exported: the staffing models are imported from here)
    CLOCK_END,
    WEEKDAYS,
    Counselors,
    Shift,
    Track,
    clock_hours,
)
from .timetable_schema import DAYS, Closures, MmDd, Room, Session  # noqa: F401  (re-exported)


class RunSettings(_Section):
    """How long to simulate and how many times."""

    horizon_years: float = Field(10.0, gt=0, le=200, description="Simulated length of each replication, years (365 days).")
    warmup_weeks: float = Field(
        52.0, ge=0, le=200 * 53, description="Initial period excluded from every KPI, weeks (must leave >= 1 week)."
    )
    replications: int = Field(10, ge=1, le=100_000, description="Default number of independent replications.")
    seed: int = Field(20261127, ge=0, le=2**63 - 1, description="Default base seed; replication r uses stream (seed, r).")


class Referrals(_Section):
    """Who knocks on the door."""

    rate_per_week: float = Field(8.0, ge=0, le=MAX_REFERRALS_PER_WEEK, description="Mean referrals per week.")
    arrival_process: Literal["poisson", "fixed_interval"] = Field(
        "poisson", description="poisson: random arrivals; fixed_interval: exactly 1/rate weeks apart (for checks)."
    )
    monthly_multipliers: list[float] | None = Field(
        None, description="Optional 12 multipliers (Jan..Dec) on the rate, for seasonality."
    )
    growth_per_year_pct: float = Field(0.0, gt=-100, le=100, description="Compound growth of the referral rate, % per year.")
    step_down_share: float = Field(
        0.0, ge=0, le=1, exclude_if=lambda v: v == 0,
        description="Share of admissions stepping down from partial hospitalization or residential care, who "
        "enter at `step_down_phase` instead of the first phase.",
    )
    step_down_phase: Text | None = Field(
        None, exclude_if=lambda v: v is None, description="The phase step-down admissions enter (default: the second)."
    )

    @field_validator("monthly_multipliers")
    @classmethod
    def _twelve(cls, v: list[float] | None) -> list[float] | None:
        if v is not None:
            if len(v) != 12:
                raise ValueError(f"needs 12 values (Jan..Dec), got {len(v)}")
            if any(not 0 <= m <= 100 for m in v):
                raise ValueError("multipliers must be between 0 and 100")
        return v


class Intake(_Section):
    """The intake assessment every referral needs before an admission decision."""

    mode: Literal["timetable_slots", "dedicated_assessors"] = Field(
        "timetable_slots",
        description="timetable_slots: counselors assess in the timetable's intake sessions; "
        "dedicated_assessors: a pool of assessors, always available, serves a FIFO queue.",
    )
    assessors: int = Field(0, ge=0, le=MAX_COUNT, description="Size of the dedicated assessor pool (dedicated_assessors mode).")
    appointment_hours: float = Field(2.0, gt=0, le=12, description="Length of one booked intake appointment, hours (slots mode).")
    assessment_hours: Distribution = Field(
        default_factory=lambda: Triangular(low=1.0, mode=1.5, high=2.0),
        description="Counselor time per completed assessment incl. scoring, hours.",
    )
    no_show_prob: float = prob(0.2, "Probability a booked patient does not attend the appointment.")
    max_rebookings: int = Field(1, ge=0, le=100, description="Rebookings offered after a no-show before the referral is closed.")
    patience_days: Distribution | None = Field(
        None, description="Time a referral will wait for intake before giving up, days (none: waits forever)."
    )


class SeverityMix(_Section):
    mild: float = prob(0.15, "Share assessed as mild SUD (referred to standard outpatient).")
    moderate: float = prob(0.40, "Share assessed as moderate SUD.")
    severe: float = prob(0.45, "Share assessed as severe SUD.")


class Eligibility(_Section):
    """The article's admission criteria: moderate/severe SUD, no detox need, supportive home."""

    severity_mix: SeverityMix = Field(default_factory=SeverityMix)
    unsupportive_home_prob: float = prob(
        0.08, "Probability the home environment does not support recovery (referred to a higher level of care)."
    )
    needs_detox_prob: float = prob(0.10, "Probability the patient first needs medical detox.")
    detox_return_prob: float = prob(0.5, "Probability a patient sent to detox comes back for admission.")
    detox_return_delay_days: Distribution = Field(
        default_factory=lambda: Triangular(low=5, mode=7, high=14),
        description="Time from referral to detox until return, days.",
    )


class Admission(_Section):
    """Waiting for a seat in a phase-1 group and a primary counselor."""

    patience_days: Distribution | None = Field(
        None, description="Time an eligible patient will wait for admission before giving up, days."
    )
    detox_returners_first: bool = Field(True, description="Patients returning from detox go to the head of the waitlist.")
    waitlist_capacity: int | None = Field(
        None, ge=0, le=10_000_000,
        description="Longest waitlist accepted; beyond it eligible patients are referred elsewhere "
        "(null: no limit; 0: no waitlist, admit only when a seat and a counselor are free).",
    )


class Attendance(_Section):
    """How patients use the program between the scheduled events."""

    group_attendance_prob: float = prob(0.85, "Probability an enrolled patient attends a given group session.")
    dropout_prob_per_missed_session: float = prob(0.02, "Extra chance of dropping out after each missed session.")
    self_help_relapse_multiplier_per_meeting: float = Field(
        0.9, gt=0, le=2,
        description="Relapse risk is multiplied by this for each weekly self-help meeting attended (dose-response).",
    )
    propensity_sd: float = Field(
        0.0, ge=0, le=0.5,
        description="Spread of patients' own attendance probabilities (Beta, mean group_attendance_prob); "
        "0: every patient attends each session with the same probability.",
    )
    non_starter_prob: float = prob(0.0, "Share of admitted patients who never attend a group (non-starters).")
    non_starter_discharge_days: float = Field(
        14.0, ge=0, le=365, description="Days a non-starter keeps the seat before the program discharges them."
    )


class RelapsePolicy(_Section):
    repeat_phase: float = prob(0.5, "Share of detected relapses that restart the current phase.")
    step_back: float = prob(0.3, "Share that step back one phase.")
    discharge: float = prob(0.2, "Share discharged by the program (TEDS 'terminated by facility').")
    step_up: float = prob(0.0, "Share transferred at once to a higher level of care (TEDS 'transferred').")


class Relapse(_Section):
    """How relapses come to light and what the program does about them."""

    drug_test_sensitivity: float = prob(0.85, "Probability one urine test detects use within its window.")
    drug_test_window_days: float = Field(3.0, ge=0, le=365, description="How long after use a urine test can detect it.")
    breathalyzer_sensitivity: float = prob(0.95, "Probability a breathalyzer detects use within its window.")
    breathalyzer_window_days: float = Field(0.5, ge=0, le=365, description="How long after drinking a breathalyzer detects it.")
    policy: RelapsePolicy = Field(default_factory=RelapsePolicy)
    max_relapses_before_discharge: int = Field(
        3, ge=0, le=1000, description="A detected relapse beyond this count always ends the episode (see after_max_relapses)."
    )
    after_max_relapses: Literal["discharge", "step_up"] = Field(
        "discharge", description="What a relapse beyond the maximum leads to: discharge by the program, or a "
        "step-up transfer to a higher level of care (residential, partial hospitalization)."
    )


class Aftercare(_Section):
    """The weekly relapse-prevention group attended after graduation."""

    enabled: bool = True
    uptake_prob: float = prob(0.8, "Probability a graduate joins the aftercare group.")
    duration_weeks: Distribution = Field(default_factory=lambda: Fixed(value=52))
    dropout_prob_per_week: float = prob(0.02, "Weekly probability of leaving aftercare early.")
    relapse_prob_per_week: float = prob(0.01, "Weekly probability of relapse while in aftercare (recorded).")
    patience_weeks: float = Field(
        4.0, ge=0, le=520, description="How long a graduate waits for an aftercare seat, weeks (at most 10 years)."
    )


class Readmission(_Section):
    """Patients who leave can come back as new referrals after a delay, carrying their episode count."""

    after_dropout_prob: float = prob(0.0, "Probability a dropout (or non-starter) is referred again.")
    after_relapse_discharge_prob: float = prob(0.0, "Probability a patient discharged after relapse is referred again.")
    after_transfer_prob: float = prob(0.0, "Probability a patient transferred elsewhere is referred back again.")
    after_aftercare_relapse_prob: float = prob(
        0.0, "Probability a relapse in aftercare sends the graduate back to treatment (a new referral)."
    )
    delay_days: Distribution = Field(
        default_factory=lambda: Fixed(value=180), description="Days from leaving to the new referral."
    )

    @property
    def enabled(self) -> bool:
        return max(self.after_dropout_prob, self.after_relapse_discharge_prob, self.after_transfer_prob,
                   self.after_aftercare_relapse_prob) > 0


class Groups(_Section):
    min_size: int = Field(3, ge=0, le=MAX_COUNT, description="A session with fewer enrolled patients expected is cancelled.")
    max_size: int = Field(12, ge=1, le=MAX_COUNT, description="Most patients enrolled in one group (Matrix Model: 8-12).")
    min_size_counts: Literal["enrolled", "expected_attendees"] = Field(
        "enrolled", description="What is compared with min_size: patients enrolled, or the attendees expected "
        "(the sum of their attendance probabilities)."
    )


class Scenario(_Section):
    """An IOP to simulate: demand, pathway, capacity."""

    # The `type: ignore[arg-type]`s below: mypy's dataclass_transform reads a positional default,
    # `Field(10.0, ...)`, as no default, so it thinks these sections' constructors need arguments
    # (pydantic does apply the defaults).
    name: Text = Field("scenario", min_length=1)
    description: Text = ""
    run: RunSettings = Field(default_factory=RunSettings)  # type: ignore[arg-type]
    referrals: Referrals = Field(default_factory=Referrals)  # type: ignore[arg-type]
    intake: Intake = Field(default_factory=Intake)  # type: ignore[arg-type]
    eligibility: Eligibility = Field(default_factory=Eligibility)
    admission: Admission = Field(default_factory=Admission)  # type: ignore[arg-type]
    phases: list[Phase] = Field(min_length=1)
    attendance: Attendance = Field(default_factory=Attendance)  # type: ignore[arg-type]
    relapse: Relapse = Field(default_factory=Relapse)  # type: ignore[arg-type]
    progression: Progression | None = Field(  # left out of dumps when absent: fingerprints stay as they were
        None, exclude_if=lambda v: v is None, description="Each patient's own pace through the phases (optional)."
    )
    aftercare: Aftercare = Field(default_factory=Aftercare)  # type: ignore[arg-type]
    readmission: Readmission = Field(default_factory=Readmission)
    groups: Groups = Field(default_factory=Groups)  # type: ignore[arg-type]
    timetable: list[Session] = Field(
        default_factory=list, description="Weekly sessions written by hand; `program` adds generated ones."
    )
    rooms: list[Room] = Field(min_length=1)
    counselors: Counselors
    closures: Closures = Field(default_factory=Closures)
    finance: Finance | None = Field(  # left out of dumps when absent: fingerprints stay as they were
        None, exclude_if=lambda v: v is None, description="Costs and revenue (optional; adds the money KPIs)."
    )
    tracks: list[Track] = Field(
        default_factory=list,
        description="Tracks (e.g. day, evening): every phase group belongs to one and each patient stays in theirs; "
        "none: every group is open to every patient.",
    )

    @model_serializer(mode="wrap")
    def _without_empty_tracks(self, handler: SerializerFunctionWrapHandler) -> dict:
        """Scenarios without tracks dump (and fingerprint) as before tracks existed."""
        return drop_if(handler(self), "tracks", not self.tracks)

    # --- program template (engineer E): kept together so it merges apart from the fields above.
    # exclude=True: a dumped scenario carries the generated timetable instead, so it reloads to the
    # same sessions, and scenarios without a template keep their fingerprints.
    program: Program | None = Field(
        None, exclude=True, description="Program template; its groups are generated into `timetable`."
    )
    _program_problems: tuple[tuple[str, str], ...] = PrivateAttr(default=())
    _written_sessions: int | None = PrivateAttr(default=None)  # hand-written sessions ahead of generated ones

    @model_validator(mode="wrap")
    @classmethod
    def _generate_program(cls, data: object, handler: ModelWrapValidatorHandler[Scenario]) -> Scenario:
        """Fill `timetable` from `program`; why it does not fit is kept for checks.py to report with lines."""
        if isinstance(data, Scenario):
            return handler(data)  # already expanded: expanding again would book every group twice
        scenario = handler(data)
        if scenario.program is None:
            return scenario
        generated = generate_timetable(
            scenario.program, scenario.phases, scenario.rooms, scenario.groups.max_size, scenario.timetable
        )
        expanded = scenario.model_copy(update={"timetable": [*scenario.timetable, *generated.sessions]})
        expanded._program_problems = generated.problems
        expanded._written_sessions = len(scenario.timetable)
        return expanded

    def with_week_written_out(self) -> Scenario:
        """The same scenario with its program template's week written out as a hand-written timetable
        (no `program:`): it simulates the same, and rooms and counselors can be copied and counted in it."""
        data = self.model_dump(mode="json", by_alias=True)
        data.pop("program", None)
        return Scenario.model_validate(data)

    @property
    def written_sessions(self) -> int:
        """How many `timetable` sessions were written by hand (the rest were generated from `program`)."""
        return len(self.timetable) if self._written_sessions is None else self._written_sessions

    @property
    def program_problems(self) -> tuple[tuple[str, str], ...]:
        """(dotted path, problem) for each template block that could not be placed."""
        return self._program_problems

    def phase_names(self) -> list[str]:
        return [p.name for p in self.phases]
