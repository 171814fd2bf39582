"""The embedded reference stack: real PostgreSQL, SeaweedFS S3 and `mlflow server` on loopback."""

from .stack import StackError, StackState

__all__ = ["StackError", "StackState"]
