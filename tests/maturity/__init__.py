"""Tests of the maturity assessment (mlops/maturity)."""
