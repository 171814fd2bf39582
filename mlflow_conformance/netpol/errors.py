"""The one error the NetworkPolicy model raises: an object the API server would reject."""

from __future__ import annotations


class InvalidObject(ValueError):
    """A Kubernetes object (policy, pod, service, namespace) that is malformed or fails the
    API server's validation; the message names the object and the field."""
