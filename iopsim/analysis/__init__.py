"""Output analysis for replicated simulation runs: confidence intervals, warm-up, replication count."""
