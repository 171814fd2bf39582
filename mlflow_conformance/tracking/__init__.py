"""Tracking and registry checks: the deep-health canary and the registry lifecycle."""
