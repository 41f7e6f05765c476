"""Tests of the governance service (evidence log, Audit API, audit stages)."""
