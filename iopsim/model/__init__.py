"""The simulation: only this package knows SimPy."""
