"""Compatibility checks: client/server version skew, environments, backend schema."""
