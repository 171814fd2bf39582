"""`NS/key=value,key2=value` endpoint specs of `netpol explain`: a namespace and the labels of
a pod there (labels optional), `NS/service:NAME` for a Service, or a bare IP address."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}$")
_VALUE = re.compile(rf"^({_NAME})?$")
SERVICE_PREFIX = "service:"


class SpecError(ValueError):
    """A spec the user typed wrong; the message says what and where."""


@dataclass(frozen=True)
class EndpointSpec:
    text: str
    namespace: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    service: str | None = None
    ip: str | None = None


def parse_spec(text: str) -> EndpointSpec:
    try:
        return EndpointSpec(text, ip=str(ipaddress.ip_address(text)))
    except ValueError:
        pass
    namespace, _, rest = text.partition("/")
    if not _DNS_LABEL.match(namespace):
        raise SpecError(f"{text!r}: {namespace!r} is not a namespace name (NS/key=value,...)")
    if rest.startswith(SERVICE_PREFIX):
        name = rest[len(SERVICE_PREFIX):]
        if not _DNS_LABEL.match(name):
            raise SpecError(f"{text!r}: {name!r} is not a Service name")
        return EndpointSpec(text, namespace, service=name)
    labels: dict[str, str] = {}
    for item in filter(None, rest.split(",")):
        key, equals, value = item.partition("=")
        if not equals or not _KEY.match(key) or not _VALUE.match(value):
            raise SpecError(f"{text!r}: {item!r} is not a label key=value")
        if key in labels:
            raise SpecError(f"{text!r}: label {key!r} given twice")
        labels[key] = value
    return EndpointSpec(text, namespace, labels)
