"""What a probe pod's status says: still on its way, done, or failed in a way that is itself
the verdict (pure functions over the Pod object as the API returns it, as a dict).

A pod-level failure is the platform's (its image does not pull, its settings object is
missing, the cluster cannot schedule a Spark pod) and carries its own diagnosis code, with the
pod's own words (reason, message, last log lines) as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..findings import Finding, Outcome

# Waiting reasons that will not resolve by waiting (the kubelet backs off and retries, but the
# cause is in the spec or the registry).
IMAGE_REASONS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
CONFIG_REASONS = ("CreateContainerConfigError", "CreateContainerError")

REMEDIES = {
    "pod_unschedulable": "make room for Spark pods in the namespace (node selectors, taints, "
                         "quotas, capacity): `kubectl describe pod` names what did not fit",
    "image_pull_failed": "make the platform's Spark image pullable from the job namespaces "
                         "(name and tag, registry credentials in imagePullSecrets), or name "
                         "the right one with --probe-image",
    "pod_config_error": "create the settings the platform injects into jobs (the ConfigMap / "
                        "Secret and keys the message names), or name them with --job-settings",
    "pod_crashed": "read the probe pod's log lines in the evidence: the image's Python lacks a "
                   "module the platform promises (mlflow, boto3) or the probe crashed",
    "pod_oom_killed": "the probe pod ran out of memory: raise the namespace's LimitRange or "
                      "check the image",
    "pod_deadline_exceeded": "the probe ran past its activeDeadlineSeconds: a network step hung "
                             "inside the pod; raise --pod-timeout only if the cluster is slow",
    "pod_timeout": "the pod did not finish within --pod-timeout: see its phase and conditions "
                   "in the evidence (`kubectl describe pod`)",
}


@dataclass(frozen=True)
class PodState:
    done: bool  # the pod finished and its log holds the result (maybe)
    failure: Finding | None = None  # a pod-level failure: the verdict for its probe

    @property
    def waiting(self) -> bool:
        return not self.done and self.failure is None


WAITING = PodState(done=False)
FINISHED = PodState(done=True)


def _failure(code: str, message: str, **evidence: Any) -> PodState:
    return PodState(done=False, failure=Finding(Outcome.FAIL, code, message, evidence,
                                                REMEDIES[code]))


def _container_statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    status = pod.get("status") or {}
    return list(status.get("initContainerStatuses") or []) + list(
        status.get("containerStatuses") or [])


def _condition(pod: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return dict(condition)
    return None


def state(pod: dict[str, Any], *, overdue: bool) -> PodState:
    """Where the pod stands; `overdue` once its time budget is spent (then waiting is a
    verdict too)."""
    meta = pod.get("metadata") or {}
    name = f"{meta.get('namespace')}/{meta.get('name')}"
    status = pod.get("status") or {}
    phase = status.get("phase") or "Pending"
    image = next((c.get("image") for c in (pod.get("spec") or {}).get("containers") or []), None)
    for container in _container_statuses(pod):
        waiting = (container.get("state") or {}).get("waiting") or {}
        reason, message = waiting.get("reason"), waiting.get("message", "")
        if reason in IMAGE_REASONS:
            return _failure("image_pull_failed", f"pod {name}: image {image} does not pull "
                            f"({reason}: {message})", pod=name, image=image, reason=reason,
                            detail=message)
        if reason in CONFIG_REASONS:
            return _failure("pod_config_error", f"pod {name} cannot start its container "
                            f"({reason}: {message})", pod=name, reason=reason, detail=message)
    if phase == "Failed" and status.get("reason") == "DeadlineExceeded":
        return _failure("pod_deadline_exceeded", f"pod {name} ran past its deadline "
                        f"({status.get('message', '')})", pod=name, reason="DeadlineExceeded")
    if phase in ("Succeeded", "Failed"):
        return FINISHED
    if overdue:
        scheduled = _condition(pod, "PodScheduled") or {}
        if scheduled.get("status") == "False":
            return _failure("pod_unschedulable", f"pod {name} was not scheduled: "
                            f"{scheduled.get('message') or scheduled.get('reason')}",
                            pod=name, reason=scheduled.get("reason"),
                            detail=scheduled.get("message"))
        return _failure("pod_timeout", f"pod {name} was still {phase} when its time was up",
                        pod=name, phase=phase, conditions=status.get("conditions") or [])
    return WAITING


def terminated(pod: dict[str, Any]) -> dict[str, Any]:
    """The probe container's terminated state ({} if it has none)."""
    for container in _container_statuses(pod):
        if container.get("name") == "probe":
            return dict((container.get("state") or {}).get("terminated") or {})
    return {}


def crash(pod: dict[str, Any], log_tail: str) -> Finding:
    """The verdict for a pod that finished without printing a result."""
    meta = pod.get("metadata") or {}
    name = f"{meta.get('namespace')}/{meta.get('name')}"
    ended = terminated(pod)
    code = "pod_oom_killed" if ended.get("reason") == "OOMKilled" else "pod_crashed"
    lines = log_tail.strip().splitlines()[-10:]
    return Finding(Outcome.FAIL, code, f"probe pod {name} exited {ended.get('exitCode')} "
                   f"({ended.get('reason') or 'no reason'}) without a result"
                   + (f": {lines[-1]}" if lines else ""),
                   {"pod": name, "exit_code": ended.get("exitCode"),
                    "reason": ended.get("reason"), "log_tail": lines}, REMEDIES[code])
