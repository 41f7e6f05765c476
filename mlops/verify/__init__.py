"""Verification of a running platform: the embedded one (`local`) and a live cluster."""
