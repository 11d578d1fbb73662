"""Experiments on a scenario: parameter sweeps, staffing/room sizing and sensitivity analysis.

One module per job: `schema` (experiment files), `resolve` (experiment file -> validated point
scenarios), `rooms` (the room-scaling rule), `design` (grid, LHS and Sobol points), `executors`
(KPI tasks for the execution engine in iopsim.execution: serial, process pool or dask), `store`
(atomic, resumable results), `sweep`, `sizing`, `targets`, `sensitivity` and `charts`. Heavy
libraries (pandas, scipy, SALib, dask, matplotlib) are imported inside the functions that need them.
"""
