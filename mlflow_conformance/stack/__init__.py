"""The embedded reference stack: real PostgreSQL, SeaweedFS S3 and `mlflow server` on loopback."""

from mlflow_conformance.stack.lifecycle import StackError, StackState

__all__ = ["StackError", "StackState"]
