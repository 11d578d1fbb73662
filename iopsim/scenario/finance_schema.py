"""The optional `finance:` section: what staff and rooms cost, what payers pay, in one currency.

Kept out of schema.py (which only imports it) so money can change without touching the clinical
model. Without `finance:` no money KPI is computed and every result is as before.

Revenue follows how US IOPs bill: a per-diem for each attended program day that reaches the
payer's minimum group hours (HCPCS H0015, "alcohol and/or drug services; intensive outpatient",
is billed per day of at least 3 hours in most state Medicaid plans), with individual sessions and
drug tests billed separately where the payer allows it, less a share of claims denied or unpaid.
Aftercare (continuing-care) groups are outpatient services outside the IOP per diem; where a payer
pays for them (commonly as HCPCS H0005, "alcohol and/or drug services; group counseling by a
clinician", or CPT 90853, group psychotherapy) each attended session earns its aftercare rate;
the default 0 assumes aftercare is not billed.
The payer mix is applied as shares of every billable unit (its expected value), not by drawing a
payer per patient, so it adds no random numbers and no variance between replications.
Rates vary by state and contract: the shipped figures are typical, verify them for your program.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from .sections import Section

CURRENCY = r"^[A-Z]{3}$"  # ISO 4217 code
MAX_AMOUNT = 1e10  # any one amount; beyond it a figure is a typo, not a budget
MAX_FTE = 10_000.0


def money(default: float | None, description: str) -> float:
    if default is None:
        return Field(ge=0, le=MAX_AMOUNT, description=description)
    return Field(default, ge=0, le=MAX_AMOUNT, description=description)


def pct(default: float, description: str) -> float:
    return Field(default, ge=0, le=100, description=description)


class Pay(Section):
    """Salary and benefits of one full-time equivalent (FTE)."""

    salary_per_year: float = money(None, "Gross salary of one FTE per year.")
    benefits_pct: float = Field(0.0, ge=0, le=200, description="Benefits and payroll taxes, % of salary.")

    @property
    def cost_per_fte(self) -> float:
        return self.salary_per_year * (1 + self.benefits_pct / 100)


class StaffRole(Pay):
    """A role besides counselors (supervisor, intake/admin): fixed FTEs plus FTEs per counselor FTE."""

    fte: float = Field(0.0, ge=0, le=MAX_FTE, description="FTEs the program needs whatever its size.")
    fte_per_counselor: float = Field(
        0.0, ge=0, le=100, description="FTEs per counselor FTE (e.g. one supervisor per 6 counselors: 0.1667)."
    )


class RoomCost(Section):
    """What one room costs, overriding the defaults of `finance`."""

    room: str = Field(min_length=1, description="A room name from `rooms:`.")
    cost_per_month: float | None = Field(None, ge=0, le=MAX_AMOUNT, description="Rent or share of the lease per month.")
    cost_per_booked_hour: float | None = Field(None, ge=0, le=MAX_AMOUNT, description="Cost per hour the room is in use.")


class Payer(Section):
    """One payer: its share of patients and what it pays for."""

    name: str = Field(min_length=1)
    share: float = Field(ge=0, le=1, description="Share of patient days, sessions and tests this payer covers.")
    iop_day_rate: float = money(0.0, "Paid per attended program day that reaches iop_day_min_hours (H0015 per diem).")
    iop_day_min_hours: float = Field(3.0, ge=0, le=24, description="Group hours a patient must attend that day to bill it.")
    individual_session_rate: float = money(0.0, "Paid per individual counseling session (0 if bundled in the per diem).")
    drug_test_rate: float = money(0.0, "Paid per urine drug test (0 if bundled in the per diem).")
    aftercare_session_rate: float = money(
        0.0, "Paid per attended aftercare group session (e.g. H0005 or CPT 90853); 0 if the payer does not pay for it.")
    denied_pct: float = pct(0.0, "Share of billed amounts denied or never paid, %.")


class Finance(Section):
    """Costs and revenue of the program, in one currency."""

    currency: str = Field("USD", pattern=CURRENCY, description="ISO 4217 code money is stated in.")
    fte_hours_per_week: float = Field(40.0, gt=0, le=80, description="Contracted hours of one FTE per week.")
    overtime_pay_multiplier: float = Field(
        1.5, ge=0, le=5,
        description="Counselor overtime is paid at salary / (fte_hours_per_week x 52) x this per hour (1.5: FLSA "
        "time-and-a-half for non-exempt staff; 1 for straight time; 0 if unpaid, e.g. exempt staff).",
    )
    counselor: Pay = Field(description="Counselor pay; FTEs = counselors.count x contracted hours / fte_hours_per_week.")
    supervisor: StaffRole | None = Field(None, description="Clinical supervisor(s).")
    intake_admin: StaffRole | None = Field(None, description="Intake coordinators, front desk and billing staff.")
    assessor: Pay | None = Field(
        None, description="Pay of dedicated intake assessors (intake.mode dedicated_assessors), one FTE each; "
        "not given: they are not costed (the budget says so).")
    room_cost_per_month: float = money(0.0, "Default monthly cost of every room (rent or share of the lease).")
    room_cost_per_booked_hour: float = money(0.0, "Default cost of every room per hour it is in use.")
    rooms: list[RoomCost] = Field(default_factory=list, description="Rooms whose cost differs from the defaults.")
    other_fixed_costs_per_year: float = money(0.0, "Everything else that does not scale with use (EHR, insurance, ...).")
    payers: list[Payer] = Field(default_factory=list, description="Payer mix; shares must sum to 1.")

    @field_validator("payers")
    @classmethod
    def _unique_payers(cls, v: list[Payer]) -> list[Payer]:
        names = [p.name for p in v]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"payer name {twice[0]!r} is used twice")
        return v

    def room_rates(self, room: str) -> tuple[float, float]:
        """(cost per month, cost per booked hour) of a room: its override or the defaults."""
        for r in self.rooms:
            if r.room == room:
                return (self.room_cost_per_month if r.cost_per_month is None else r.cost_per_month,
                        self.room_cost_per_booked_hour if r.cost_per_booked_hour is None else r.cost_per_booked_hour)
        return self.room_cost_per_month, self.room_cost_per_booked_hour


SHARE_TOLERANCE = 1e-6


def check_finance(finance: Finance | None, room_names: list[str]) -> list[tuple[str, str]]:
    """(dotted path, problem) for what needs the rest of the scenario: room names, payer shares."""
    if finance is None:
        return []
    out = []
    known = set(room_names)
    seen: set[str] = set()
    for i, r in enumerate(finance.rooms):
        if r.room not in known:
            out.append((f"finance.rooms.{i}.room", f"unknown room {r.room!r}; rooms are {', '.join(room_names)}"))
        elif r.room in seen:
            out.append((f"finance.rooms.{i}.room", f"room {r.room!r} is listed twice"))
        seen.add(r.room)
    if finance.payers:
        total = sum(p.share for p in finance.payers)
        if abs(total - 1) > SHARE_TOLERANCE:
            out.append(("finance.payers", f"payer shares must sum to 1, got {total:g}"))
    return out
