"""The embedded reference stack: real PostgreSQL, SeaweedFS S3 and `mlflow server` on loopback."""

from .stack import LocalStack, StackError, StackState

__all__ = ["LocalStack", "StackError", "StackState"]
