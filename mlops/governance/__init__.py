"""Governance: the continuous-audit evidence log, its Audit API and the five audit stages (IML4E 4.4).

Producers of evidence import `mlops.governance.client` (small, stable); the rest is the service.
"""
