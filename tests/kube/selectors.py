"""Label and field selectors as the Kubernetes API server parses them (`labelSelector=` and
`fieldSelector=` query parameters): requirements joined by commas, all of which must hold."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Matcher = Callable[[Mapping[str, str]], bool]

# One label requirement: `key in (a,b)`, `key notin (a)`, `key=v`, `key==v`, `key!=v`, `key`, `!key`
_SET_REQUIREMENT = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQUALITY_REQUIREMENT = re.compile(r"^\s*([^\s!=(),]+)\s*(==|!=|=)\s*([^\s!=(),]*)\s*$")
_EXISTS_REQUIREMENT = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


class SelectorError(ValueError):
    """The selector does not parse; the API server answers 400 BadRequest."""


def _split_requirements(selector: str) -> list[str]:
    """Commas separate requirements except inside the parentheses of a set requirement."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in parts if part.strip()]


def _label_requirement(text: str) -> Matcher:
    if match := _SET_REQUIREMENT.match(text):
        key, operator = match.group(1), match.group(2)
        values = {value.strip() for value in match.group(3).split(",") if value.strip()}
        if operator == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := _EQUALITY_REQUIREMENT.match(text):
        key, operator, value = match.groups()
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS_REQUIREMENT.match(text):
        negated, key = match.group(1) == "!", match.group(2)
        return lambda labels: (key in labels) != negated
    raise SelectorError(f"unable to parse requirement: {text.strip()!r}")


def label_matcher(selector: str | None) -> Matcher:
    """A predicate over an object's labels; an empty selector matches everything."""
    requirements = [_label_requirement(part) for part in _split_requirements(selector or "")]
    return lambda labels: all(requirement(labels) for requirement in requirements)


def field_matcher(selector: str | None, supported: frozenset[str]) -> Matcher:
    """A predicate over an object's selectable fields (`=`, `==`, `!=` only, as the server).

    A field outside `supported` is refused as the real server does for that resource."""
    requirements: list[Matcher] = []
    for part in _split_requirements(selector or ""):
        match = _EQUALITY_REQUIREMENT.match(part)
        if not match:
            raise SelectorError(f"invalid selector: '{part.strip()}'; can't understand "
                                f"'{part.strip()}'")
        key, operator, value = match.groups()
        if key not in supported:
            raise SelectorError(f'field label not supported: {key}')
        requirements.append(_field_requirement(key, operator, value))
    return lambda fields: all(requirement(fields) for requirement in requirements)


def _field_requirement(key: str, operator: str, value: str) -> Matcher:
    if operator == "!=":
        return lambda fields: fields.get(key, "") != value
    return lambda fields: fields.get(key, "") == value
