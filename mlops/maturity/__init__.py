"""MLOps maturity assessment after the IML4E scheme (D4.2 section 4.3): scheme, answers, report."""
