"""The one redaction point: everything written anywhere passes through a Redactor.

Rules: known secret values (registered by the target that holds them), values under
secret-looking keys, and passwords embedded in URIs. Each replacement is counted per rule,
so a bundle can carry an audit of what was removed without carrying what it was.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .findings import Finding

MASK = "[REDACTED]"
_SECRET_KEY = re.compile(r"(secret|password|passwd|token|authorization|credential|private[-_]?key"
                         r"|(^|[-_.])key$)", re.IGNORECASE)
# Public halves of credentials are evidence a support engineer needs (which identity?).
_PUBLIC_KEYS = re.compile(r"(access[-_.]?key([-_.]?id)?$|^identity$|key_id$)", re.IGNORECASE)
_URI_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]+:)(?P<pw>[^@\s/]+)(?P<at>@)",
                           re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    """A key whose value is a secret (the public half of a credential is not)."""
    return bool(_SECRET_KEY.search(key)) and not _PUBLIC_KEYS.search(key)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []  # longest first: a secret inside another goes second
        self.audit: Counter[str] = Counter()
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        # Very short values would mask ordinary words; nobody uses them as real secrets.
        known = {*self._secrets, *(s for s in secrets if s and len(s) >= 4)}
        self._secrets = sorted(known, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                self.audit["known-secret"] += value.count(secret)
                value = value.replace(secret, MASK)
        value, count = _URI_PASSWORD.subn(lambda m: m["head"] + MASK + m["at"], value)
        self.audit["uri-password"] += count
        return value

    def scrub(self, value: Any, key: str = "") -> Any:
        """A redacted deep copy of JSON-like data."""
        if isinstance(value, dict):
            return {k: self.scrub(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(v, key) for v in value]
        if isinstance(value, str):
            if key and value and is_secret_key(key):
                self.audit["secret-key"] += 1
                return MASK
            return self.text(value)
        return value

    def finding(self, finding: Finding) -> Finding:
        """The finding with its message, evidence and remedy redacted (outcome and code are
        vocabulary, never secret)."""
        return replace(finding, message=self.text(finding.message),
                       evidence=self.scrub(dict(finding.evidence)),
                       remedy=self.text(finding.remedy))
