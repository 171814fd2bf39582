"""What a run's probe pods run, in one table: each fixture takes its rows, and `--dry-run`
writes the manifests of all of them — so a dry run shows exactly what a full run creates.

A row is a job as PodProbes.run_many takes it: (probe, inputs, namespace, role).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..deployment import Deployment
from ..probes.runner import connectivity_inputs
from .isolation import TRACKING_PORT
from .probe_pods import Job

ROLES = ("driver", "executor")


@dataclass(frozen=True)
class ProbePlan:
    deployment: Deployment
    namespaces: tuple[str, ...]  # the job namespaces; the first also runs S3 and versions
    timeout: float  # --probe-timeout, each probe's network steps
    prefix: str  # the run's S3 prefix (cleanup.ledger.s3_prefix)
    platform: str  # the platform's namespace and its tracking Service
    service: str
    outsider: str  # where the isolation check's outsider runs

    def _inputs(self) -> dict[str, Any]:
        return connectivity_inputs(self.deployment, self.timeout)

    def connectivity(self) -> list[Job]:
        """NET-*: the connectivity probe in a driver pod of each job namespace."""
        return [("connectivity", self._inputs(), ns, "driver") for ns in self.namespaces]

    def versions(self) -> list[Job]:
        """CMP-*: a driver's and an executor's environments, in the first job namespace."""
        return [("versions", self._inputs(), self.namespaces[0], role) for role in ROLES]

    def s3(self, role: str) -> Job:
        """STO-*: the write plan with the credentials the platform injected into ``role``."""
        from ..storage import s3_matrix  # imports Spark's helpers: only when planned

        check = s3_matrix.inputs(self.deployment, f"{self.prefix}s3/{role}/", "write",
                                 "environment", self.timeout)
        return ("s3", {"checks": [check]}, self.namespaces[0], role)

    def isolation(self) -> dict[str, Job]:
        """ISO-001, by namespace: a driver in each job namespace and the outsider, each
        connecting to the Service by its cluster name (a short name resolves only in its
        own namespace)."""
        uri = (f"http://{self.service}.{self.platform}.svc.cluster.local:{TRACKING_PORT}")
        inputs = {**self._inputs(), "tracking_uri": uri}
        roles = {**{ns: "driver" for ns in self.namespaces}, self.outsider: "outsider"}
        return {ns: ("connectivity", inputs, ns, role) for ns, role in roles.items()}

    def every(self) -> Iterator[Job]:
        yield from self.connectivity()
        for role in ROLES:
            yield self.s3(role)
        yield from self.versions()
        yield from self.isolation().values()
