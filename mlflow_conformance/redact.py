"""The one redaction point: everything written anywhere passes through a Redactor.

Rules: known secret values (registered by the target that holds them), values under
secret-looking keys, PEM private keys and passwords embedded in URIs. Free text that is a
whole file (a server's log, a page) also gets the pattern rules of :meth:`Redactor.document`:
values after secret-looking names (``password=``, ``secret_key: ``), bearer and basic
credentials; they need no known secret, so they also serve a bundle made by another run.
Each replacement is counted per rule, so a bundle can carry an audit of what was removed
without carrying what it was; text that is already masked is not counted again.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from .findings import Finding

MASK = "[REDACTED]"
_SECRET_KEY = re.compile(r"(secret|password|passwd|token|authorization|credential|private[-_]?key"
                         r"|(^|[-_.])key$)", re.IGNORECASE)
# Public halves of credentials are evidence a support engineer needs (which identity?).
_PUBLIC_KEYS = re.compile(r"(access[-_.]?key([-_.]?id)?$|^identity$|key_id$)", re.IGNORECASE)
# Each name-like pattern starts only where a name can start (the look-behind): without it, a
# long run of letters (a log line of base64) is rescanned from every position, quadratic.
_URI_PASSWORD = re.compile(r"(?P<head>(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://[^/\s:@]+:)"
                           r"(?P<pw>[^@\s/]+)(?P<at>@)", re.IGNORECASE)


# Kubernetes' references to a key of a Secret or ConfigMap (secretKeyRef, configMapKeyRef,
# secretRef): their fields are names, never values.
_REFERENCE = re.compile(r"(KeyRef|secretRef|configMapRef)$")
# A name that says secret outright is never the public half (AWS_SECRET_ACCESS_KEY ends like
# an access key id but is the secret).
_OUTRIGHT_SECRET = re.compile(r"secret|password|passwd|token", re.IGNORECASE)
# Free-text rules (Redactor.document), in this order: a credential after its scheme first,
# so that "Authorization: Bearer x" loses x rather than only the word Bearer.
# A key block cut off by a log's tail (no END) is masked to the end of the text.
_PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE "
                                r"KEY-----|\Z)", re.DOTALL)
_SCHEME_CREDENTIAL = re.compile(r"(?P<head>\b(?:Bearer|Basic|Token)\s+)(?P<value>[A-Za-z0-9._~+/=-]"
                                r"{8,})", re.IGNORECASE)
_SCHEMES = frozenset({"bearer", "basic", "token"})  # "Authorization: Bearer [REDACTED]" keeps it
# name=value, name: value, "name": "value", name="value" (the name decides: is_secret_key).
_NAMED_VALUE = re.compile(r"(?P<name>(?<![\w.-])[A-Za-z_][\w.-]*)"
                          r"(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?P<value>[^\s\"'&,;<>]+)")


def basic_credentials(username: str | None, password: str | None) -> list[str]:
    """A password and the HTTP Basic credential made of it (what an Authorization header or a
    server echoing one shows): both are secrets."""
    if not password:
        return []
    return [password, base64.b64encode(f"{username or ''}:{password}".encode()).decode()]


def uri_credentials(uri: str | None) -> list[str]:
    """The password inside a URI (``scheme://user:password@host``) and its Basic form."""
    try:
        parsed = urlsplit(uri or "")
        return basic_credentials(unquote(parsed.username or ""), unquote(parsed.password or "")
                                 ) if parsed.password else []
    except ValueError:  # a malformed URI is the options' to reject, not ours
        return []


def is_secret_key(key: str) -> bool:
    """A key whose value is a secret (the public half of a credential is not)."""
    return bool(_SECRET_KEY.search(key)) and (not _PUBLIC_KEYS.search(key)
                                              or bool(_OUTRIGHT_SECRET.search(key)))


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
        # A private key is never evidence, wherever it shows (a client certificate's file
        # shipped to a pod, a manifest): no need to know it first. Also indented, as in YAML.
        if "PRIVATE KEY-----" in value:
            count = len(_PRIVATE_KEY_BLOCK.findall(value))
            self.audit["private-key"] += count
            value = _PRIVATE_KEY_BLOCK.sub(MASK, value)
        return self._sub(_URI_PASSWORD, "uri-password", "pw", value)

    def _sub(self, pattern: re.Pattern[str], rule: str, group: str, value: str,
             applies: Callable[[re.Match[str]], bool] = lambda _m: True) -> str:
        """``pattern``'s ``group`` masked wherever ``applies``, counted under ``rule``."""

        def mask(match: re.Match[str]) -> str:
            if match[group] == MASK or not applies(match):
                return match[0]
            self.audit[rule] += 1
            start, end = match.start(group) - match.start(), match.end(group) - match.start()
            return match[0][:start] + MASK + match[0][end:]

        return pattern.sub(mask, value)

    def document(self, value: str) -> str:
        """A whole text file redacted: :meth:`text`, then the free-text pattern rules."""
        value = self.text(value)
        value = self._sub(_SCHEME_CREDENTIAL, "scheme-credential", "value", value)
        return self._sub(_NAMED_VALUE, "named-secret", "value", value,
                         lambda m: is_secret_key(m["name"]) and not m["value"].startswith(MASK)
                         and m["value"].lower() not in _SCHEMES)

    def counted(self, redact: Callable[[], Any]) -> tuple[Any, dict[str, int]]:
        """``redact()``'s result and the replacements it made, per rule."""
        before = Counter(self.audit)
        done = redact()
        return done, dict(self.audit - before)

    def scrub(self, value: Any, key: str = "", strings: Callable[[str], str] | None = None
              ) -> Any:
        """A redacted deep copy of JSON-like data; each string goes through ``strings``
        (default :meth:`text`; :meth:`document` for a whole JSON file)."""
        if isinstance(value, dict):
            if _REFERENCE.search(key):
                # secretKeyRef: {name, key} names where a secret is, not the secret: keep it.
                return {k: v if isinstance(v, str) else self.scrub(v, str(k), strings)
                        for k, v in value.items()}
            return {k: self.scrub(v, str(k), strings) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(v, key, strings) for v in value]
        if isinstance(value, str):
            if key and value and is_secret_key(key):
                if value != MASK:
                    self.audit["secret-key"] += 1
                return MASK
            return (strings or self.text)(value)
        return value

    def finding(self, finding: Finding) -> Finding:
        """The finding with its message, evidence and remedy redacted (outcome and code are
        vocabulary, never secret)."""
        return replace(finding, message=self.text(finding.message),
                       evidence=self.scrub(dict(finding.evidence)),
                       remedy=self.text(finding.remedy))
