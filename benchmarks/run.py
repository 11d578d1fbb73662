"""iopsim's performance record: `python benchmarks/run.py` (or `make bench`).

Measures, for the baseline scenario and a large urban one (the baseline scaled 4x: see
`scaled_scenario`):
  (a) wall seconds per simulated year, one replication;
  (b) simulated referrals per second;
  (c) scheduler events per referral (SimPy's event counter), against a deliberately minimal
      plain-SimPy model of the same referral volume run in the same invocation
      (`reference.py`), and the ratio iopsim / reference in wall time per referral;
  (d) peak memory of one 10-year replication;
  (e) 100 replications x 10 years with --jobs 1 and --jobs 2, and the parallel efficiency;
  (f) CLI start-up (`iopsim --help`, `iopsim validate`) and that neither imports pandas, scipy
      or matplotlib;
  (g) peak memory over a 50-year horizon, with and without the event log;
  (h) the whole command, `iopsim run scenarios/baseline.yaml -n 20 -j 1` (start-up, simulation,
      KPIs, writing every file), against a fresh interpreter running the reference 20 times at
      the same referral rate, interleaved; the ratio per referral;
  (i) only when asked (`--only instructions`, needs valgrind): CPU instructions per referral of
      one baseline replication and of the reference, counted, not timed, so the same on a busy
      machine as on a quiet one: a yardstick for comparing commits when timings are too noisy.
Timings are the median of several runs, min-max alongside; the machine is named in the output.
Prints a table and writes JSON (`--json`); `--chart` draws cost against referrals and horizon.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from copy import deepcopy
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
# The iopsim of this checkout, here and in every child process, whichever checkout is installed (a
# git worktree measures its own code, not the editable install's).
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

from reference import Workload, run_reference  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
HEAVY = ("pandas", "scipy", "matplotlib")
SEED = 20261127
LARGE = 4  # the large urban scenario: the baseline times this


# --- scenarios ----------------------------------------------------------------------------------
def scaled_scenario(factor: int = 1, horizon_years: float | None = None):
    """The baseline scaled `factor` times: referrals, counselors, rooms and every timetable slot
    (each slot gets `factor` copies, each copy its own group and room). Everything else, rates
    and probabilities included, is the baseline's, so the clinic is `factor` baselines sharing
    one intake queue, waitlist and counselor team, and it does not just pile up on a waitlist."""
    from iopsim.scenario.checks import check_scenario
    from iopsim.scenario.loader import load_yaml, validate_data
    from iopsim.scenario.schema import Scenario

    data, lines = load_yaml(BASELINE)
    data = deepcopy(data)
    if factor != 1:
        data["name"] = f"{data['name']}-x{factor}"
        data["referrals"]["rate_per_week"] *= factor
        data["counselors"]["count"] *= factor
        if data.get("program"):  # the baseline's week is a template: scale the sessions it generates
            week = validate_data(data, Scenario, str(BASELINE), lines, check_scenario).timetable
            data["timetable"] = [x.model_dump(exclude_none=True) for x in week]
            del data["program"]
        rooms, slots = data["rooms"], data["timetable"]
        data["rooms"] = [{**r, "name": f"{r['name']} {k}"} for k in range(1, factor + 1) for r in rooms]
        data["timetable"] = [{**t, "group": f"{t['group']}-{k}", "room": f"{t['room']} {k}"}
                             for k in range(1, factor + 1) for t in slots]
        if data.get("finance", {}).get("rooms"):  # each copy of a room costs what the room costs
            data["finance"]["rooms"] = [{**r, "room": f"{r['room']} {k}"}
                                        for k in range(1, factor + 1) for r in data["finance"]["rooms"]]
    if horizon_years is not None:
        data["run"]["horizon_years"] = horizon_years
    return validate_data(data, Scenario, f"{BASELINE} x{factor}", lines, check_scenario)


# --- measurements -------------------------------------------------------------------------------
def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def time_one_replication(scenario, repeats: int) -> dict:
    """(a), (b), (c): the same replication `repeats` times, interleaved with the reference."""
    from iopsim.model.clinic import simulate

    workload = Workload.carrying(scenario.referrals.rate_per_week, years=scenario.run.horizon_years)
    walls, ref_walls, ref_per_referral = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = simulate(scenario, SEED, 0)
        walls.append(time.perf_counter() - t0)
        ref = run_reference(workload, seed=1)
        ref_walls.append(ref.wall_seconds)
        ref_per_referral.append(ref.wall_seconds / ref.referrals)
    referrals = len(result.records["pid"])
    years = scenario.run.horizon_years
    events = result.stats["scheduler_events"]
    per_referral = [w / referrals for w in walls]
    ratios = [a / b for a, b in zip(per_referral, ref_per_referral, strict=True)]
    return {
        "referrals_per_week": scenario.referrals.rate_per_week,
        "horizon_years": years,
        "referrals": referrals,
        "wall_seconds": spread(walls),
        "wall_seconds_per_simulated_year": spread([w / years for w in walls]),
        "referrals_per_second": spread([referrals / w for w in walls]),
        "microseconds_per_referral": spread([1e6 * x for x in per_referral]),
        "scheduler_events": events,
        "scheduler_events_per_referral": events / referrals,
        "reference": {
            "workload": workload.__dict__,
            "referrals": ref.referrals,
            "wall_seconds": spread(ref_walls),
            "microseconds_per_referral": spread([1e6 * x for x in ref_per_referral]),
            "scheduler_events_per_referral": ref.scheduler_events / ref.referrals,
        },
        "ratio_to_reference_per_referral": spread(ratios),
    }


def _rss_kib(field: str) -> int | None:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _child(argv: list[str]) -> None:
    """Runs in a fresh interpreter: one replication, then its memory as JSON on stdout.

    mode 'rss': resident set size when the run starts and its peak during the run (the peak is
    reset first, so importing numpy and pydantic does not count: Linux only);
    mode 'traced': peak of Python-level allocations during the run (tracemalloc; numpy's too).
    """
    mode, factor, years, events = argv[0], int(argv[1]), float(argv[2]), argv[3] == "events"
    keep = argv[3] != "no-patients"  # as `iopsim run --no-patients`: KPIs tallied, no per-patient table
    from iopsim.analysis.kpis import PatientTally
    from iopsim.model.clinic import simulate as simulate_one

    scenario = scaled_scenario(factor, years)
    tally = PatientTally(scenario.run.warmup_weeks * 7, years * 365)

    def simulate(scenario, seed, replication, events):
        return simulate_one(scenario, seed, replication, events, tally.fold, keep)

    peak = None
    if mode == "traced":
        import tracemalloc

        tracemalloc.start()
        result = simulate(scenario, SEED, 0, events)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        start = end = None
    else:
        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
        except OSError:
            pass
        start = _rss_kib("VmRSS")
        result = simulate(scenario, SEED, 0, events)
        end = _rss_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"referrals": int(result.series["referrals_total"][-1]),
                      "traced_peak_bytes": peak,
                      "rss_start_kib": start, "rss_peak_kib": end}))


def _count_child(argv: list[str]) -> None:
    """Runs under valgrind for (i): set up one side (import, build the scenario or workload) and,
    with "run", simulate it once; prints the referrals. Set-up alone is counted too, and subtracted."""
    side, run = argv[0], argv[1] == "run"
    referrals = 0
    if side == "iopsim":
        from iopsim.model.clinic import simulate

        scenario = scaled_scenario(1)
        if run:
            referrals = len(simulate(scenario, SEED, 0).records["pid"])
    else:
        workload = Workload.carrying(scaled_scenario(1).referrals.rate_per_week, years=10.0)
        if run:
            referrals = run_reference(workload, seed=1).referrals
    print(referrals)


def _instructions_of(argv: list[str]) -> tuple[int, int]:
    """(instructions, referrals) of a `_count_child` run under valgrind's cachegrind (no cache model)."""
    import shutil

    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           sys.executable, __file__, "--count", *argv]
    if shutil.which("setarch"):  # addresses without randomisation: the same hashes and layouts each run
        cmd = ["setarch", platform.machine(), "-R", *cmd]
    # String hashes vary per process, and with them the count (~1%); OpenBLAS's idle threads spin
    # under valgrind for a varying number of instructions (~3%).
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    refs = next(line for line in done.stderr.splitlines() if "I   refs:" in line or "I refs:" in line)
    return int(refs.split(":")[1].replace(",", "").split()[0]), int(done.stdout.split()[-1])


def instructions() -> dict:
    """(i): instructions per referral of one 10-year baseline replication (seed SEED, replication 0)
    and of the reference at its referral rate, each the count of a run less that of its set-up.

    Counts do not depend on what else runs on the machine. They are not the goals' measure (time):
    iopsim runs more varied code than the reference, and so completes fewer instructions per cycle
    (more branch and instruction-cache misses), so its time ratio is higher than this one."""
    import shutil

    if shutil.which("valgrind") is None:
        return {"skipped": "valgrind is not installed"}
    out: dict = {}
    for side in ("iopsim", "reference"):
        setup, _ = _instructions_of([side, "setup"])
        total, referrals = _instructions_of([side, "run"])
        out[side] = {"referrals": referrals, "instructions": total - setup,
                     "instructions_per_referral": (total - setup) / referrals}
    out["ratio_per_referral"] = out["iopsim"]["instructions_per_referral"] / out["reference"]["instructions_per_referral"]
    return out


def memory(factor: int, years: float, events: bool = False, patients: bool = True) -> dict:
    """(d), (g): peak memory of one replication, each measure in its own fresh interpreter."""
    out = {}
    variant = "events" if events else ("-" if patients else "no-patients")
    for mode in ("rss", "traced"):
        cmd = [sys.executable, __file__, "--child", mode, str(factor), str(years), variant]
        out.update({k: v for k, v in json.loads(subprocess.check_output(cmd, text=True)).items() if v is not None})
    out["traced_peak_mib"] = out["traced_peak_bytes"] / 2**20
    out["rss_peak_mib"] = out["rss_peak_kib"] / 1024
    out["rss_growth_mib"] = (out["rss_peak_kib"] - out.get("rss_start_kib", out["rss_peak_kib"])) / 1024
    out["traced_bytes_per_referral"] = out["traced_peak_bytes"] / out["referrals"]
    return out


def parallel(scenario, replications: int) -> dict:
    """(e): the same replications with one and two worker processes (results are identical).

    CPU seconds (this process and its workers) are kept too: when other programs share the
    cores the wall-clock efficiency drops, while the CPU-time ratio still shows what the
    parallel run itself costs (start-up, transfer, imbalance shows in wall time only).
    """
    import pickle

    from iopsim.runner import run_one, run_replications

    shipped = run_one(scenario, SEED, 0)  # what a worker sends back per replication
    t0 = time.perf_counter()
    blob = pickle.dumps(shipped, protocol=pickle.HIGHEST_PROTOCOL)
    pickle.loads(blob)
    transfer = time.perf_counter() - t0
    walls, cpus = {}, {}
    for jobs in (1, 2):
        t0, c0 = time.perf_counter(), os.times()
        run = run_replications(scenario, replications, SEED, jobs)
        walls[jobs], c1 = time.perf_counter() - t0, os.times()
        cpus[jobs] = (c1.user + c1.system + c1.children_user + c1.children_system
                      - c0.user - c0.system - c0.children_user - c0.children_system)
        assert run.complete and run.replications == replications
    return {"replications": replications, "years": scenario.run.horizon_years,
            "jobs1_seconds": walls[1], "jobs2_seconds": walls[2],
            "speedup": walls[1] / walls[2], "efficiency": walls[1] / (2 * walls[2]),
            "jobs1_cpu_seconds": cpus[1], "jobs2_cpu_seconds": cpus[2], "cpu_overhead": cpus[2] / cpus[1] - 1,
            "shipped_kib_per_replication": len(blob) / 1024, "pickle_round_trip_ms_per_replication": 1e3 * transfer}


def cli_startup(repeats: int) -> dict:
    """(f): wall time of `iopsim --help` and `iopsim validate`, and what they import."""
    exe = Path(sys.executable).with_name("iopsim")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "iopsim.cli"]
    out = {}
    for name, args in (("help", ["--help"]), ("validate", ["validate", str(BASELINE)])):
        walls = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(cli + args, check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
        probe = (
            "import sys, json\n"
            "from click.testing import CliRunner\n"
            "from iopsim.cli import main\n"
            f"r = CliRunner().invoke(main, {args!r})\n"
            "assert r.exit_code == 0, r.output\n"
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
        )
        heavy = json.loads(subprocess.check_output([sys.executable, "-c", probe], text=True))
        out[name] = {"wall_seconds": spread(walls), "heavy_imports": heavy}
    return out


WHOLE_REPLICATIONS = 20
SECTIONS = ("single", "memory", "parallel", "cli", "whole")  # measured by default
ON_REQUEST = ("instructions",)  # measured only when named in --only


def whole_run(repeats: int, replications: int = WHOLE_REPLICATIONS) -> dict:
    """(h): the whole `iopsim run` against the whole reference command, alternating, per referral.

    Both are fresh processes timed from outside, so interpreter start-up, imports, the KPI tally
    and writing the run folder all count for iopsim, as they do for someone running it."""
    import tempfile

    scenario = scaled_scenario(1)
    exe = Path(sys.executable).with_name("iopsim")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "iopsim.cli"]
    ref_cmd = [sys.executable, str(HERE / "reference.py"), "--rate", f"{scenario.referrals.rate_per_week:g}",
               "--replications", str(replications), "--years", f"{scenario.run.horizon_years:g}"]
    walls, ref_walls, ratios = [], [], []
    referrals = ref_referrals = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = cli + ["run", str(BASELINE), "-n", str(replications), "-j", "1", "--out", str(out), "--overwrite"]
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            printed = subprocess.run(ref_cmd, check=True, capture_output=True, text=True).stdout
            ref_walls.append(time.perf_counter() - t0)
            referrals = _referrals_in(out)
            ref_referrals = sum(int(line.split(", ")[2].split()[0]) for line in printed.splitlines())
            ratios.append((walls[-1] / referrals) / (ref_walls[-1] / ref_referrals))
        files = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file() and p.name[0] != "."}
    return {"command": " ".join(["iopsim"] + cmd[len(cli):-3]), "replications": replications,
            "referrals": referrals, "wall_seconds": spread(walls),
            "microseconds_per_referral": spread([1e6 * w / referrals for w in walls]),
            "reference": {"command": " ".join(["python"] + [Path(ref_cmd[1]).name] + ref_cmd[2:]),
                          "referrals": ref_referrals, "wall_seconds": spread(ref_walls),
                          "microseconds_per_referral": spread([1e6 * w / ref_referrals for w in ref_walls])},
            "ratio_to_reference_per_referral": spread(ratios), "file_bytes": files}


def _referrals_in(run_folder: Path) -> int:
    """Referrals over every replication of a run folder: the rows of patients.parquet (or of the
    patients.csv.gz of earlier versions, so that they can be measured the same way)."""
    import gzip

    import pyarrow.parquet as pq

    if (run_folder / "patients.parquet").is_file():
        return pq.ParquetFile(run_folder / "patients.parquet").metadata.num_rows
    with gzip.open(run_folder / "patients.csv.gz", "rt") as f:
        return sum(1 for _ in f) - 1


def scaling(factors: list[int], horizons: list[float], repeats: int) -> dict:
    """Cost against referrals per week (the baseline scaled) and against the horizon."""
    from iopsim.model.clinic import simulate

    def best_of(scenario) -> tuple[float, int]:
        walls = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = simulate(scenario, SEED, 0)
            walls.append(time.perf_counter() - t0)
        return statistics.median(walls), len(result.records["pid"])

    by_rate = []
    for f in factors:
        s = scaled_scenario(f)
        wall, referrals = best_of(s)
        ref = statistics.median(run_reference(Workload.carrying(s.referrals.rate_per_week), seed=1).wall_seconds
                                for _ in range(repeats))
        by_rate.append({"factor": f, "referrals_per_week": s.referrals.rate_per_week, "referrals": referrals,
                        "wall_seconds_per_year": wall / s.run.horizon_years,
                        "reference_wall_seconds_per_year": ref / s.run.horizon_years})
    by_horizon = []
    for years in horizons:
        wall, referrals = best_of(scaled_scenario(1, years))
        by_horizon.append({"horizon_years": years, "referrals": referrals, "wall_seconds": wall})
    return {"by_referral_rate": by_rate, "by_horizon": by_horizon}


def chart(scale: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    rate = scale["by_referral_rate"]
    x = [r["referrals_per_week"] for r in rate]
    left.plot(x, [r["wall_seconds_per_year"] for r in rate], "o-", label="iopsim")
    left.plot(x, [r["reference_wall_seconds_per_year"] for r in rate], "s--", label="minimal SimPy reference")
    left.set_xlabel("referrals per week (baseline scaled 1x-8x)")
    left.set_ylabel("wall seconds per simulated year")
    left.set_xlim(left=0)
    left.set_ylim(bottom=0)
    left.legend(frameon=False)
    hor = scale["by_horizon"]
    right.plot([h["horizon_years"] for h in hor], [h["wall_seconds"] for h in hor], "o-")
    right.set_xlabel("horizon, years (baseline, 9 referrals/week)")
    right.set_ylabel("wall seconds, one replication")
    right.set_xlim(left=0)
    right.set_ylim(bottom=0)
    fig.suptitle(f"iopsim run time against referrals and horizon ({_machine()['cpus']} cores)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


# --- report -------------------------------------------------------------------------------------
def _machine() -> dict:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy
    import simpy

    import iopsim

    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "simpy": simpy.__version__, "numpy": numpy.__version__, "iopsim": iopsim.__version__,
            "platform": platform.platform()}


def _fmt(s: dict, scale: float = 1.0, digits: int = 3) -> str:
    return f"{s['median'] * scale:.{digits}g} ({s['min'] * scale:.{digits}g}-{s['max'] * scale:.{digits}g})"


def _mem(m: dict) -> str:
    """Python allocations of the run (tracemalloc peak) / process RSS peak (+ growth during the run)."""
    return f"{m['traced_peak_mib']:.1f} / {m['rss_peak_mib']:.0f} MiB (+{m['rss_growth_mib']:.0f})"


def table(res: dict) -> str:
    """The results as a table; sections left out with --only are left out of it too."""
    m = res["machine"]
    rows = [("", "baseline", f"large urban ({LARGE}x)")]
    runs = res["settings"]["repeats"]
    if "single" in res:
        b, u = res["single"]["baseline"], res["single"]["large_urban"]
        rows += [
            ("referrals per week", f"{b['referrals_per_week']:g}", f"{u['referrals_per_week']:g}"),
            ("(a) wall s per simulated year", _fmt(b["wall_seconds_per_simulated_year"]),
             _fmt(u["wall_seconds_per_simulated_year"])),
            ("(b) simulated referrals per s", _fmt(b["referrals_per_second"]), _fmt(u["referrals_per_second"])),
            ("(c) scheduler events per referral", f"{b['scheduler_events_per_referral']:.2f}",
             f"{u['scheduler_events_per_referral']:.2f}"),
            ("    reference: events per referral", f"{b['reference']['scheduler_events_per_referral']:.2f}",
             f"{u['reference']['scheduler_events_per_referral']:.2f}"),
            ("    iopsim, us per referral", _fmt(b["microseconds_per_referral"]),
             _fmt(u["microseconds_per_referral"])),
            ("    reference, us per referral", _fmt(b["reference"]["microseconds_per_referral"]),
             _fmt(u["reference"]["microseconds_per_referral"])),
            ("    iopsim / reference per referral", _fmt(b["ratio_to_reference_per_referral"]),
             _fmt(u["ratio_to_reference_per_referral"])),
        ]
    if "memory" in res:
        mb, mu = res["memory"]["baseline_10y"], res["memory"]["large_urban_10y"]
        rows.append(("(d) peak memory, 10 y: model / process", _mem(mb), _mem(mu)))
    if "parallel" in res:
        pb, pu = res["parallel"]["baseline"], res["parallel"].get("large_urban")
        for label, key, f in (("(e) {n} reps x {y:g} y, jobs 1", "jobs1_seconds", "{:.1f} s"),
                              ("    jobs 2", "jobs2_seconds", "{:.1f} s"),
                              ("    parallel efficiency", "efficiency", "{:.0%}"),
                              ("    extra CPU time with jobs 2", "cpu_overhead", "{:+.0%}"),
                              ("    shipped per replication, KiB", "shipped_kib_per_replication", "{:.0f}"),
                              ("    its pickle round trip, ms", "pickle_round_trip_ms_per_replication", "{:.1f}")):
            rows.append((label.format(n=pb["replications"], y=pb["years"]), f.format(pb[key]),
                         f.format(pu[key]) if pu else "not run"))
    if "cli" in res:
        c = res["cli"]
        rows += [
            ("(f) iopsim --help, s", _fmt(c["help"]["wall_seconds"], digits=2),
             "imports " + (", ".join(c["help"]["heavy_imports"]) or "none of " + "/".join(HEAVY))),
            ("    iopsim validate, s", _fmt(c["validate"]["wall_seconds"], digits=2),
             "imports " + (", ".join(c["validate"]["heavy_imports"]) or "none of " + "/".join(HEAVY))),
        ]
    if "memory" in res:
        g, ge = res["memory"]["baseline_50y"], res["memory"]["baseline_50y_events"]
        rows += [
            ("(g) 50 y peak memory: model / process", _mem(g), f"with --events: {_mem(ge)}"),
            ("    model bytes per referral, 10 y / 50 y", f"{mb['traced_bytes_per_referral']:.0f} / "
             f"{g['traced_bytes_per_referral']:.0f}", f"with --events: {ge['traced_bytes_per_referral']:.0f}"),
        ]
        n10, n50 = res["memory"].get("baseline_10y_no_patients"), res["memory"].get("baseline_50y_no_patients")
        if n10 and n50:
            rows.append(("    --no-patients: model, 10 y / 50 y", f"{n10['traced_peak_mib']:.1f} / "
                         f"{n50['traced_peak_mib']:.1f} MiB", "only the weekly series grows"))
    if "instructions" in res:
        i = res["instructions"]
        if "skipped" in i:
            rows.append(("(i) instructions per referral", i["skipped"], ""))
        else:
            rows += [
                ("(i) instructions per referral, iopsim", f"{i['iopsim']['instructions_per_referral']:,.0f}",
                 f"{i['iopsim']['referrals']} referrals"),
                ("    reference", f"{i['reference']['instructions_per_referral']:,.0f}",
                 f"{i['reference']['referrals']} referrals"),
                ("    iopsim / reference per referral", f"{i['ratio_per_referral']:.2f}", "counted, not timed"),
            ]
    if "whole" in res:
        w = res["whole"]
        rows += [
            (f"(h) whole `iopsim run -n {w['replications']} -j 1`, s", _fmt(w["wall_seconds"]),
             f"{w['referrals']} referrals"),
            (f"    reference x {w['replications']}, s", _fmt(w["reference"]["wall_seconds"]),
             f"{w['reference']['referrals']} referrals"),
            ("    iopsim, us per referral", _fmt(w["microseconds_per_referral"]), ""),
            ("    reference, us per referral", _fmt(w["reference"]["microseconds_per_referral"]), ""),
            ("    iopsim / reference per referral", _fmt(w["ratio_to_reference_per_referral"]), ""),
        ]
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"iopsim {m['iopsim']} on {m['cpus']} cores ({m['cpu']}), Python {m['python']}, "
             f"SimPy {m['simpy']}, numpy {m['numpy']}; median (min-max) of {runs} runs; "
             f"load average {res['load_average']['start']:.2f} at start, {res['load_average']['end']:.2f} at end"]
    lines += ["  ".join(cell.ljust(width[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and replications (about a minute)")
    ap.add_argument("--repeats", type=int, help="timed runs per measure (default 5, quick 3)")
    ap.add_argument("--replications", type=int, help="replications for (e) (default 100, quick 20)")
    ap.add_argument("--no-large-parallel", action="store_true", help="(e) for the baseline only")
    ap.add_argument("--json", type=Path, help="where to write the results (default: benchmarks/results.json for a "
                                               "full run; a run with --only writes only where --json says)")
    ap.add_argument("--chart", type=Path, help="draw cost vs referrals and horizon here (e.g. docs/perf-scaling.png)")
    ap.add_argument("--only", type=lambda v: set(v.split(",")), default=set(SECTIONS),
                    help=f"measure only these, comma-separated: {','.join(SECTIONS + ON_REQUEST)} "
                         f"(default: all but {','.join(ON_REQUEST)})")
    args = ap.parse_args(argv)
    unknown = args.only - set(SECTIONS + ON_REQUEST)
    if unknown:
        ap.error(f"--only: unknown {', '.join(sorted(unknown))} (choose from {', '.join(SECTIONS + ON_REQUEST)})")
    repeats = args.repeats or (3 if args.quick else 5)
    reps = args.replications or (20 if args.quick else 100)

    t_start = time.perf_counter()
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}: other programs share the cores, timings will be slower "
              "and parallel efficiency lower than on a quiet machine", file=sys.stderr)
    res: dict = {"machine": _machine(), "settings": {"repeats": repeats, "replications": reps, "seed": SEED,
                                                     "large_urban_factor": LARGE}}
    base, large = scaled_scenario(1), scaled_scenario(LARGE)
    if "whole" in args.only:
        print("(h) the whole command ...", file=sys.stderr)
        res["whole"] = whole_run(repeats)
    if "single" in args.only:
        print("(a)-(c) one replication ...", file=sys.stderr)
        res["single"] = {"baseline": time_one_replication(base, repeats),
                         "large_urban": time_one_replication(large, repeats)}
    if "memory" in args.only:
        print("(d), (g) memory ...", file=sys.stderr)
        res["memory"] = {"baseline_10y": memory(1, 10), "large_urban_10y": memory(LARGE, 10),
                         "baseline_50y": memory(1, 50), "baseline_50y_events": memory(1, 50, events=True),
                         "baseline_10y_no_patients": memory(1, 10, patients=False),
                         "baseline_50y_no_patients": memory(1, 50, patients=False)}
    if "parallel" in args.only:
        print("(e) parallel ...", file=sys.stderr)
        res["parallel"] = {"baseline": parallel(base, reps)}
        if not args.no_large_parallel:
            res["parallel"]["large_urban"] = parallel(large, reps)
    if "cli" in args.only:
        print("(f) CLI ...", file=sys.stderr)
        res["cli"] = cli_startup(repeats)
    if "instructions" in args.only:
        print("(i) instructions, under valgrind ...", file=sys.stderr)
        res["instructions"] = instructions()
    if args.chart:
        print("scaling chart ...", file=sys.stderr)
        res["scaling"] = scaling([1, 2, 4, 6, 8], [5, 10, 20, 35, 50], max(1, repeats - 2))
        chart(res["scaling"], args.chart)
    res["benchmark_seconds"] = time.perf_counter() - t_start
    res["load_average"] = {"start": load, "end": os.getloadavg()[0]}
    text = table(res)
    print(text)
    if "scaling" in res:
        print("\nscaling (wall s per simulated year vs referrals/week):")
        for r in res["scaling"]["by_referral_rate"]:
            print(f"  {r['referrals_per_week']:5g}/week  iopsim {r['wall_seconds_per_year']:.4f}  "
                  f"reference {r['reference_wall_seconds_per_year']:.4f}")
        for h in res["scaling"]["by_horizon"]:
            print(f"  {h['horizon_years']:5g} years  {h['wall_seconds']:.3f} s  ({h['referrals']} referrals)")
    res["table"] = text
    # A partial run (--only) must not replace the full record in results.json unless asked to.
    path = args.json or (HERE / "results.json" if args.only == set(SECTIONS) else None)
    if path is None:
        print(f"\nnot written (--only without --json) in {res['benchmark_seconds']:.0f} s", file=sys.stderr)
        return res
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2) + "\n")
    print(f"\nwritten {path} in {res['benchmark_seconds']:.0f} s", file=sys.stderr)
    return res


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--count":
        _count_child(sys.argv[2:])
    else:
        main()
