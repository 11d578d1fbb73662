"""Records: one flat row per finished patient, handed to the KPI sink in chunks."""

from __future__ import annotations

import math

import numpy as np

from iopsim.model.patient import Patient
from iopsim.model.records import FIELDS, Outcome, Records


def patient(pid: int, phase_starts: list[float]) -> Patient:
    p = Patient(pid, referred := 1.5 * pid)
    p.outcome = Outcome.GRADUATED
    p.relapses = pid + 1
    p.drug_tests = 2.5
    p.phase_starts = phase_starts
    assert p.referred == referred
    return p


def test_rows_come_back_as_typed_columns_with_phase_starts_padded():
    r = Records(n_phases=3)
    r.add(patient(0, [2.0, 30.0, 58.0]))
    r.add(patient(4, [9.0]))
    cols = r.to_numpy()
    assert len(r) == 2
    assert set(cols) == set(FIELDS) | {"phase_start_0", "phase_start_1", "phase_start_2"}
    assert cols["pid"].tolist() == [0, 4] and cols["pid"].dtype.kind == "i"
    assert cols["outcome"].tolist() == [Outcome.GRADUATED] * 2
    assert cols["relapses"].tolist() == [1, 5]
    assert cols["referred"].tolist() == [0.0, 6.0]
    assert cols["drug_tests"].tolist() == [2.5, 2.5]
    assert cols["phase_start_0"].tolist() == [2.0, 9.0]
    assert math.isnan(cols["phase_start_1"][1]) and math.isnan(cols["phase_start_2"][1])
    assert math.isnan(cols["admitted"][0])


def test_the_sink_gets_each_row_once_and_unkept_rows_are_dropped():
    chunks: list[dict[str, np.ndarray]] = []
    r = Records(n_phases=1, sink=chunks.append, keep=False)
    r.add(patient(0, [1.0]))
    r.add(patient(1, []))
    r.flush()
    r.add(patient(2, [3.0]))
    r.flush()
    assert [c["pid"].tolist() for c in chunks] == [[0, 1], [2]]
    assert len(r) == 0 and len(r.to_numpy()["pid"]) == 0


def test_kept_rows_stay_and_only_new_rows_are_sunk():
    chunks: list[dict[str, np.ndarray]] = []
    r = Records(n_phases=1, sink=chunks.append, keep=True)
    r.add(patient(0, [1.0]))
    r.flush()
    r.add(patient(1, [2.0]))
    r.flush()
    r.flush()  # nothing new: no empty chunk
    assert [c["pid"].tolist() for c in chunks] == [[0], [1]]
    assert r.to_numpy()["pid"].tolist() == [0, 1]
