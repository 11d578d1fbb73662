"""The process pool against `--dask local`: `python benchmarks/executors.py` (docs/cluster.md's table).

Times the whole `iopsim sweep` command (start-up, cluster start and close, simulation, tables) on
`benchmarks/executor-grid.yaml` (15 points: counselors 3-7 x referrals 8-10 a week, 2-year baseline)
with each executor in turn, round after round, so that every executor sees the same machine; checks
that every run wrote the same results.csv (byte for byte); and prints the median (min-max) wall time
of each with its ratio to the process pool of the same worker count.

A dask worker count above the machine's cores only measures overhead; the script says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRID = HERE / "executor-grid.yaml"


def executors(workers: list[int]) -> list[tuple[str, list[str]]]:
    out = [("-j 1 (serial)", ["-j", "1"])]
    for n in workers:
        if n > 1:
            out.append((f"-j {n} (process pool)", ["-j", str(n)]))
        out.append((f"--dask local -j {n}", ["-j", str(n), "--dask", "local"]))
    return out


def time_sweep(args: list[str], replications: int, folder: Path) -> tuple[float, str]:
    """Wall seconds of one whole `iopsim sweep` and the SHA-256 of the results.csv it wrote."""
    shutil.rmtree(folder, ignore_errors=True)
    command = [sys.executable, "-m", "iopsim.cli", "sweep", str(_grid_with(replications, folder.parent)),
               "--out", str(folder), "--yes", *args]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, hashlib.sha256((folder / "results.csv").read_bytes()).hexdigest()


def _grid_with(replications: int, scratch: Path) -> Path:
    """The grid experiment with `replications` per point (its scenario path made absolute)."""
    path = scratch / f"grid-{replications}.yaml"
    if not path.exists():
        text = GRID.read_text().replace("replications: 12", f"replications: {replications}")
        text = text.replace("scenario: ../scenarios/baseline.yaml",
                            f"scenario: {(HERE.parent / 'scenarios' / 'baseline.yaml').as_posix()}")
        path.write_text(text)
    return path


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="timed runs of each executor (default 3)")
    ap.add_argument("--replications", type=int, default=12, help="replications per point (default 12: 180 simulations)")
    ap.add_argument("--workers", default="2", help="worker counts to compare, e.g. 1,2,4 (default 2)")
    ap.add_argument("--json", type=Path, help="write the timings here")
    opts = ap.parse_args(argv)
    workers = [int(w) for w in opts.workers.split(",")]
    cores = os.cpu_count() or 1
    runs = executors(workers)
    times: dict[str, list[float]] = {name: [] for name, _ in runs}
    hashes: set[str] = set()
    print(f"{15 * opts.replications} simulations a sweep, {opts.rounds} rounds, {cores} cores; "
          f"load average at start {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="iopsim-bench-") as scratch:
        for r in range(opts.rounds):
            for name, args in runs:
                seconds, digest = time_sweep(args, opts.replications, Path(scratch) / "out")
                times[name].append(seconds)
                hashes.add(digest)
                print(f"  round {r + 1}: {name:<24} {seconds:6.2f} s", flush=True)
    if len(hashes) != 1:
        raise SystemExit(f"results.csv differs between executors: {sorted(hashes)}")
    print(f"load average at end {os.getloadavg()[0]:.2f}; every run wrote the same results.csv ({hashes.pop()[:12]})")
    print("\n| executor | median (min-max) s | vs the pool with as many workers |\n| --- | --- | --- |")
    out = {}
    for name, _ in runs:
        t = times[name]
        n = int(name.split("-j ")[1].split()[0])
        pool = times.get(f"-j {n} (process pool)", times["-j 1 (serial)"])
        ratio = statistics.median(t) / statistics.median(pool)
        note = " (more workers than cores)" if n > cores else ""
        print(f"| {name}{note} | {statistics.median(t):.2f} ({min(t):.2f}-{max(t):.2f}) | {ratio:.3f}x |")
        out[name] = {"seconds": t, "median": statistics.median(t), "ratio_to_pool": ratio}
    if opts.json:
        opts.json.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
