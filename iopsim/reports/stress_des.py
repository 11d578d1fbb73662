"""The methods appendix, item by item as the STRESS-DES reporting checklist asks.

STRESS-DES (Strengthening the Reporting of Empirical Simulation Studies, discrete-event
simulation; Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE. J Simulation
2019;13(1):55-67, doi:10.1080/17477778.2018.1442155) lists what a DES study must report so that
others can judge and repeat it: objectives, logic, data, experimentation, implementation and
code access. Each item here is filled from the resolved scenarios and run settings in the run
folders, so the appendix describes exactly the runs in the report and can be cited as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis.bottleneck import RULE as BOTTLENECK_RULE
from .assumptions import assumptions, describe_distribution, plain_number
from .compare import Comparison
from .rundir import RunDir
from .style import KPI_DEFINITIONS, kpi_label, kpi_sections

CITATION = ("Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE. Strengthening the reporting of empirical "
            "simulation studies: Introducing the STRESS guidelines. Journal of Simulation 2019;13(1):55-67. "
            "doi:10.1080/17477778.2018.1442155")


@dataclass(frozen=True)
class Item:
    number: str
    name: str
    text: str


def _list(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _distributions(scenario, path: str = "") -> list[str]:
    """'phases[early].duration_weeks: triangular (low 3, mode 4, high 6)' for every sampled parameter."""
    out = []
    if isinstance(scenario, dict):
        if "kind" in scenario and path:
            return [f"{path}: {describe_distribution(scenario)}"] if scenario["kind"] != "fixed" else []
        for key, value in scenario.items():
            out += _distributions(value, f"{path}.{key}" if path else key)
    elif isinstance(scenario, list):
        for i, value in enumerate(scenario):
            name = value.get("name", i) if isinstance(value, dict) else i
            out += _distributions(value, f"{path}[{name}]")
    return out


def objectives(runs: Sequence[RunDir], comparisons: Sequence[Comparison]) -> list[Item]:
    s = runs[0].scenario
    purpose = ("To estimate how an addiction-treatment intensive outpatient program performs with its planned group "
               "rooms, counselors and weekly timetable: how long referrals wait, how full the groups are and "
               "whether staff and rooms meet the demand.")
    if s.get("description"):
        purpose += f" Scenario as described by its author: {s['description']}"
    sections = kpi_sections(runs[0].kpis)
    outputs = (f"{len(runs[0].kpis)} indicators per replication, each over the observation window after the warm-up: "
               + "; ".join(f"{title.lower()} ({len(names)})" for title, names in sections)
               + ". Flows are counts per year of the window; waits, lengths of stay and outcome shares belong to the "
               "patients whose step ended in the window; stocks are exact time averages; hours and sessions add up "
               "whole weeks after the warm-up. Definitions of the shares: "
               + " ".join(f"{kpi_label(n)}: {d}" for n, d in KPI_DEFINITIONS.items() if n in runs[0].kpis))
    if comparisons:
        differ = [row["path"] for row in assumptions(runs) if row["differs"]]
        aims = (f"To compare {len(runs) - 1} variant{'s' if len(runs) > 2 else ''} with the reference A "
                f"({runs[0].label}), which differ in {_list(differ[:8]) if differ else 'no parameter'}"
                f"{' and more' if len(differ) > 8 else ''}: the difference of every indicator with its 95% CI.")
    else:
        aims = f"To estimate every indicator of the scenario {runs[0].name} as specified, with 95% confidence intervals."
    return [Item("1.1", "Purpose of the model", purpose), Item("1.2", "Model outputs", outputs),
            Item("1.3", "Experimentation aims", aims)]


def logic(runs: Sequence[RunDir]) -> list[Item]:
    s = runs[0].scenario
    phases = s["phases"]
    intake = s["intake"]["mode"].replace("_", " ")
    aftercare = s.get("aftercare") or {}
    process = {"poisson": "Poisson process"}.get(s["referrals"].get("arrival_process", "poisson"), "fixed interval")
    base = (f"Referrals arrive ({process}, "
            f"{plain_number(s['referrals']['rate_per_week'])} a week); each waits for an intake assessment ({intake}); "
            "the assessment decides eligibility (mild use disorders, homes that do not support recovery and those "
            "needing detox are referred elsewhere); eligible patients join the waitlist and are admitted when a seat "
            f"in a first-phase group and a counselor with caseload room are both free. They move through "
            f"{len(phases)} phases ({_list(p['name'] for p in phases)}) attending their timetabled groups, individual "
            "sessions and drug tests; they may relapse (detected or not), drop out or be discharged after relapse; "
            "those who complete every phase graduate"
            + (" and may join an aftercare group" if aftercare.get("enabled") else "") + ".")
    if len(runs) > 1:
        differ = [f"{row['path']} ({' vs '.join(row['values'])})" for row in assumptions(runs) if row["differs"]]
        scenario_logic = ("The variants share the model logic and differ only in parameters: "
                          + (_list(differ[:12]) if differ else "none") + (" and more." if len(differ) > 12 else "."))
    else:
        scenario_logic = "A single scenario: no scenario logic beyond the base model."
    dists = _distributions(s)
    algorithms = ("Sampled quantities and their distributions: " + ("; ".join(dists) if dists else "none")
                  + ". Yes/no events (eligibility, attendance, relapse, its detection, dropout, aftercare uptake) are "
                  "Bernoulli draws with the probabilities in the Assumptions table. When referrals vary by month or "
                  "grow, arrivals are drawn by thinning (Lewis & Shedler 1979). A resource is reported as binding when "
                  + BOTTLENECK_RULE + ".")
    groups = {t["group"] for t in s["timetable"] if "intake" not in t["serves"]}
    resources = (f"{s['counselors']['count']} counselors ({plain_number(s['counselors']['contracted_hours_per_week'])} h a "
                 f"week, caseload up to {s['counselors']['max_caseload']}); rooms: "
                 + "; ".join(f"{r['name']} ({r['seats']} seats, {plain_number(r['available_hours_per_week'])} h a week)"
                             for r in s["rooms"])
                 + f"; {len(groups)} groups (default size limit {s['groups']['max_size']}, capped by the room's seats)")
    if s["intake"]["mode"] == "dedicated_assessors":
        resources += f"; {s['intake'].get('assessors', '?')} dedicated intake assessors"
    return [
        Item("2.1", "Base model overview diagram", "The patient-flow chart of each run (section Charts, 'Patient "
             "flow') shows the pathway with the yearly number of patients at each step."),
        Item("2.2", "Base model logic", base),
        Item("2.3", "Scenario logic", scenario_logic),
        Item("2.4", "Algorithms", algorithms),
        Item("2.5.1", "Entities", "Patients, from referral to leaving the program (each keeps its phase, track, "
             "counselor, relapses and attendance); group sessions, one per timetable row and week."),
        Item("2.5.2", "Activities", "Intake assessment; group sessions of the weekly timetable; individual "
             "counseling; documentation; drug tests; aftercare groups."),
        Item("2.5.3", "Resources", resources + "."),
        Item("2.5.4", "Queues", "The intake queue and the waitlist (first come, first served within a track; "
             "returners from detox may go first), queues for a seat in the next phase's groups and in aftercare; "
             "where the scenario gives a patience, patients give up after waiting that long."
             + (f" The waitlist holds at most {s['admission']['waitlist_capacity']}."
                if (s.get("admission") or {}).get("waitlist_capacity") else "")),
        Item("2.5.5", "Entry and exit points", "Entry: referrals. Exits: referred elsewhere (mild, home, detox, "
             "waitlist full), closed after intake no-shows, gave up waiting, graduated (then aftercare), dropped "
             "out, discharged after relapse."),
    ]


def data(runs: Sequence[RunDir]) -> list[Item]:
    n = len(assumptions(runs))
    return [
        Item("3.1", "Data sources", "Parameters as written in the scenario file; the shipped scenarios cite a "
             "public source for each default in their comments (TIP 47/51, TEDS, state rules, published studies)."),
        Item("3.2", "Pre-processing", "None inside iopsim: parameters are entered as the scenario states them, "
             "validated against the schema (types, bounds, cross-checks) before a run."),
        Item("3.3", "Input parameters", f"All {n} parameters of the resolved scenario{'s' if len(runs) > 1 else ''}, "
             "with their values and meanings, are in the Assumptions table of this report."),
        Item("3.4", "Assumptions", "Counselor and room capacity is as timetabled and contracted; closures are "
             "whole days; a payer mix, where given, applies as shares "
             "of every billable unit (its expected value). Every other assumption is a parameter in the "
             "Assumptions table."),
    ]


def experimentation(runs: Sequence[RunDir], comparisons: Sequence[Comparison]) -> list[Item]:
    runs_text = "; ".join(f"{r.label}: {r.replications} replications, base seed {r.seed}"
                          + ("" if r.complete else " (interrupted: fewer than planned)") for r in runs)
    estimation = (f"{runs_text}. Each indicator is computed once per replication and reported as the mean across "
                  "replications with a 95% confidence interval from Student's t distribution.")
    if comparisons:
        paired = any(c.paired for c in comparisons)
        estimation += (" Variants with the same seed use common random numbers (one stream per purpose); their "
                       "differences are paired by replication." if paired else "")
        estimation += (" Variants with different seeds are compared with Welch's interval."
                       if any(not c.paired for c in comparisons) else "")
    return [
        Item("4.1", "Initialisation", "Each replication starts empty and idle; the first "
             + _list(sorted({plain_number(r.summary['warmup_weeks']) for r in runs})) + " weeks are a warm-up left "
             "out of every indicator (`iopsim warmup` suggests a length by MSER-5 and draws Welch's plot)."),
        Item("4.2", "Run length", "Simulated length " + _list(sorted({plain_number(r.summary['horizon_years']) for r in runs}))
             + " years, so each indicator covers " + _list(sorted({f'{r.window_years:.2f}' for r in runs}))
             + " years after the warm-up."),
        Item("4.3", "Estimation approach", estimation + " `iopsim replications` reports how many replications "
             "reach a chosen precision."),
    ]


def implementation(runs: Sequence[RunDir]) -> list[Item]:
    versions = _list(sorted({r.version for r in runs}))
    sha = "; ".join(f"{r.label}: {r.summary.get('scenario_sha256', 'not recorded')}" for r in runs)
    return [
        Item("5.1", "Software or programming language", f"iopsim {versions}, open source, in Python with the SimPy "
             "discrete-event library, numpy and scipy."),
        Item("5.2", "Random sampling", "numpy Generators seeded from (base seed, replication, purpose) through "
             "SeedSequence: one independent stream per stochastic purpose, so a replication's draws do not depend "
             "on where or in what order it runs."),
        Item("5.3", "Model execution", "Next-event time advance (SimPy's event queue); replications run "
             "independently, in parallel processes when asked, with identical results whatever the number of "
             "processes."),
        Item("5.4", "System specification", "Not recorded in the run folder; results do not depend on the "
             "machine: the same scenario, seed and iopsim version give the same numbers."),
        Item("6.1", "Computer model sharing statement", "iopsim is open-source software (MIT licence). Every run "
             "folder holds the fully resolved scenario (summary.json) and its SHA-256 (" + sha + "); `iopsim run "
             "SCENARIO --seed S -n N` with the same iopsim version repeats every number in this report."),
    ]


def stress_des(runs: Sequence[RunDir], comparisons: Sequence[Comparison]) -> list[tuple[str, list[Item]]]:
    """The appendix: (section, items) in the checklist's order."""
    impl = implementation(runs)
    return [("1. Objectives", objectives(runs, comparisons)), ("2. Logic", logic(runs)), ("3. Data", data(runs)),
            ("4. Experimentation", experimentation(runs, comparisons)), ("5. Implementation", impl[:4]),
            ("6. Code access", impl[4:])]
