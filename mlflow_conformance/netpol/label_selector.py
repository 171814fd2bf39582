"""Label selectors (metav1.LabelSelector): matchLabels AND matchExpressions.

An empty selector matches every label set; what "every" covers (the policy's namespace, all
namespaces) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidObject

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
Labels = tuple[tuple[str, str], ...]


def label_value(value: Any) -> str:
    """A label value as the API stores it: YAML's unquoted true/1 are the strings "true"/"1"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def label_map(mapping: Any, where: str) -> dict[str, str]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise InvalidObject(f"{where}: must be an object of label values, not {mapping!r}")
    return {str(k): label_value(v) for k, v in mapping.items()}


def describe_labels(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":  # an absent key is "not in" any set
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        return not present  # DoesNotExist

    def describe(self) -> str:
        if self.operator in ("Exists", "DoesNotExist"):
            return f"{self.key} {self.operator}"
        return f"{self.key} {self.operator} ({','.join(self.values)})"


@dataclass(frozen=True)
class LabelSelector:
    match_labels: Labels = ()
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        return (all(labels.get(k) == v for k, v in self.match_labels)
                and all(r.matches(labels) for r in self.match_expressions))

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels]
        parts += [r.describe() for r in self.match_expressions]
        return "{" + ", ".join(parts) + "}"


def parse_selector(data: Any, where: str) -> LabelSelector:
    """A selector from its API form; ``where`` names the field for error messages."""
    if data is None:
        return LabelSelector()
    if not isinstance(data, Mapping):
        raise InvalidObject(f"{where}: a label selector must be an object, not {data!r}")
    match_labels = label_map(data.get("matchLabels"), f"{where}.matchLabels")
    expressions = []
    for i, expr in enumerate(data.get("matchExpressions") or ()):
        expressions.append(_requirement(expr, f"{where}.matchExpressions[{i}]"))
    return LabelSelector(tuple(sorted(match_labels.items())), tuple(expressions))


def _requirement(expr: Any, where: str) -> Requirement:
    if not isinstance(expr, Mapping) or "key" not in expr:
        raise InvalidObject(f"{where}: needs key and operator")
    operator = expr.get("operator")
    if operator not in OPERATORS:
        raise InvalidObject(f"{where}.operator: {operator!r} is not one of {', '.join(OPERATORS)}")
    values = tuple(label_value(v) for v in expr.get("values") or ())
    # The API server's validation: sets need values, existence tests must have none.
    if operator in ("In", "NotIn") and not values:
        raise InvalidObject(f"{where}.values: {operator} needs at least one value")
    if operator in ("Exists", "DoesNotExist") and values:
        raise InvalidObject(f"{where}.values: {operator} takes no values")
    return Requirement(str(expr["key"]), operator, values)
