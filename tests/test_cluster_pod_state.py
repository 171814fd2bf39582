"""A probe pod's status, as the API returns it, turned into 'wait', 'done' or the pod-level
verdict with its own code (pure; the end-to-end tests see the same from the node double)."""

import pytest

from mlflow_conformance.cluster import pod_state
from mlflow_conformance.findings import Outcome


def pod(phase="Pending", waiting=None, terminated=None, conditions=(), reason=None):
    state = {}
    if waiting:
        state["waiting"] = {"reason": waiting, "message": f"{waiting} says why"}
    if terminated:
        state["terminated"] = terminated
    status = {"phase": phase, "conditions": list(conditions)}
    if reason:
        status.update(reason=reason, message="Pod was active on the node longer than allowed")
    if state:
        status["containerStatuses"] = [{"name": "probe", "state": state}]
    return {"metadata": {"name": "p", "namespace": "ilum"},
            "spec": {"containers": [{"name": "probe", "image": "ilum/spark:3.5.3-mlflow"}]},
            "status": status}


UNSCHEDULED = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
               "message": "0/1 nodes are available: 1 node(s) had untolerated taint {a: b}."}


@pytest.mark.parametrize(("given", "overdue", "code"), [
    (pod(waiting="ErrImagePull"), False, "image_pull_failed"),
    (pod(waiting="ImagePullBackOff"), False, "image_pull_failed"),
    (pod(waiting="CreateContainerConfigError"), False, "pod_config_error"),
    (pod("Failed", reason="DeadlineExceeded"), False, "pod_deadline_exceeded"),
    (pod(conditions=[UNSCHEDULED]), True, "pod_unschedulable"),
    (pod("Running"), True, "pod_timeout"),
    (pod(), True, "pod_timeout"),
])
def test_pod_level_failures_have_their_own_code(given, overdue, code):
    found = pod_state.state(given, overdue=overdue).failure
    assert found is not None
    assert found.code == code
    assert found.outcome is Outcome.FAIL
    assert found.remedy == pod_state.REMEDIES[code]
    assert found.evidence["pod"] == "ilum/p"


def test_an_unscheduled_pod_is_waited_for_until_its_time_is_up():
    assert pod_state.state(pod(conditions=[UNSCHEDULED]), overdue=False).waiting
    failure = pod_state.state(pod(conditions=[UNSCHEDULED]), overdue=True).failure
    assert failure is not None
    assert "untolerated taint" in failure.message


@pytest.mark.parametrize("phase", ["Succeeded", "Failed"])
def test_a_finished_pod_is_read_from_its_log(phase):
    assert pod_state.state(pod(phase), overdue=False).done
    assert pod_state.state(pod(phase), overdue=True).done


@pytest.mark.parametrize(("reason", "code"), [("Error", "pod_crashed"),
                                              ("OOMKilled", "pod_oom_killed")])
def test_a_pod_without_a_result_is_a_crash_with_its_last_lines(reason, code):
    ended = pod("Failed", terminated={"exitCode": 137 if reason == "OOMKilled" else 1,
                                      "reason": reason})
    found = pod_state.crash(ended, "Traceback\nModuleNotFoundError: No module named 'boto3'\n")
    assert found.code == code
    assert found.evidence["log_tail"][-1] == "ModuleNotFoundError: No module named 'boto3'"
    assert "boto3" in found.message
