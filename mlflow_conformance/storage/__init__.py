"""Storage checks: S3 access from driver and executors, artifact round trips, S3A."""
