"""What the evaluator answers: per direction, whether the policies admit the connection and
which rule did (or that nothing did); per connection, both directions together."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .policy import INGRESS


@dataclass(frozen=True)
class RuleRef:
    policy: str  # namespace/name
    direction: str  # Ingress | Egress
    rule: int  # index into the policy's ingress or egress list

    def describe(self) -> str:
        return f"{self.policy} {self.direction.lower()} rule {self.rule}"


@dataclass(frozen=True)
class Decision:
    """One direction: ingress is decided at the destination pod, egress at the source pod."""

    direction: str
    subject: str  # the pod whose policies decide
    allowed: bool
    selecting: tuple[str, ...] = ()  # the policies that isolate the subject in this direction
    allowed_by: tuple[RuleRef, ...] = ()
    misses: tuple[str, ...] = ()  # per selecting policy and rule: why it did not admit

    @property
    def isolated(self) -> bool:
        return bool(self.selecting)

    @property
    def deciding(self) -> RuleRef | None:
        return self.allowed_by[0] if self.allowed_by else None

    def reason(self) -> str:
        way, role = self.direction.lower(), "destination" if self.direction == INGRESS \
            else "source"
        if not self.selecting:
            return f"{way}: no policy selects the {role} {self.subject}: not isolated"
        if self.allowed_by:
            return f"{way}: allowed by {self.allowed_by[0].describe()}"
        names = ", ".join(self.selecting)
        which = "policy" if len(self.selecting) == 1 else "policies"
        verb = "selects" if len(self.selecting) == 1 else "select"
        return (f"{way}: {which} {names} {verb} the {role} {self.subject} for {way} and none "
                f"of their rules admits this peer/port")


@dataclass(frozen=True)
class Verdict:
    source: str
    destination: str
    port: int
    protocol: str
    allowed: bool
    egress: Decision | None = None  # None: the source is outside the cluster
    ingress: Decision | None = None  # None: the destination is outside the cluster
    note: str = ""  # a Service question that never reached a pod (no such port, no backends)
    backends: tuple[Verdict, ...] = ()  # a Service's answer: one verdict per backing pod

    @property
    def deciding(self) -> RuleRef | None:
        """The rule that admitted the connection: the destination's, else the source's. None
        when denied: a rule admitting one direction did not decide a blocked connection."""
        if not self.allowed:
            return None
        if self.backends:
            return next((b.deciding for b in self.backends if b.deciding), None)
        for decision in (self.ingress, self.egress):
            if decision is not None and decision.deciding is not None:
                return decision.deciding
        return None

    def reasons(self) -> list[str]:
        """Every direction's reason; denied first, so a reader sees the blocker first."""
        if self.note:
            return [self.note]
        if self.backends:
            shown = [b for b in self.backends if b.allowed == self.allowed]
            lines = [f"backend {shown[0].destination} port {shown[0].port}/{self.protocol}: "
                     f"{shown[0].reason()}"]
            admitted = sum(b.allowed for b in self.backends)
            if 0 < admitted < len(self.backends):
                lines.append(f"{admitted} of {len(self.backends)} backends admit it")
            return lines
        decisions = [d for d in (self.egress, self.ingress) if d is not None]
        lines = [d.reason() for d in sorted(decisions, key=lambda d: d.allowed)]
        if self.egress is None:
            lines.append("egress: the source is outside the cluster: no policy applies")
        if self.ingress is None:
            lines.append("ingress: the destination is outside the cluster: no policy applies")
        return lines

    def reason(self) -> str:
        return "; ".join(self.reasons())

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "reason": self.reason()}
