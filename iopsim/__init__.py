"""iopsim: capacity simulation of an addiction-treatment Intensive Outpatient Program (IOP)."""

__version__ = "0.1.0"
