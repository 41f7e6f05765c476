"""Offline plan: the Pulumi program run under mocks, capturing every resource it declares."""
