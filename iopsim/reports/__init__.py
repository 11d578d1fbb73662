"""What users read: tables, charts, comparisons and reports built from run folders."""
