"""Everything the cluster target creates, as pure manifests: valid against the official
Kubernetes schemas (strict), labelled with the run id, and shaped as the platform's Spark pods
with the least privilege a probe needs."""

import kubernetes_validate
import pytest

from mlflow_conformance.cluster import dry_run, manifests, rbac
from mlflow_conformance.cluster.discovery import Discovered, describe
from mlflow_conformance.cluster.probe_plan import ProbePlan
from mlflow_conformance.cluster.probe_pods import PodPlan, ProbeObjects

RUN_ID = "mc20261203120000abcdef"
PLAN = PodPlan(image="ilum/spark:3.5.3-mlflow", driver_account="ilum-spark",
               executor_account="ilum-spark-exec",
               driver_settings=(("configmap", "job-env"), ("secret", "job-credentials")),
               executor_settings=(("secret", "executor-credentials"),), pod_timeout=90)


def probe_plan(deployment):
    return ProbePlan(deployment, ("ilum", "spark-jobs"), 3.0, f"conformance/{RUN_ID}/", "ilum",
                     "ilum-mlflow-tracking", "default")


def planned():
    deployment = describe(Discovered("ilum"), "ilum", "ilum-mlflow-tracking", {})
    return dry_run.plan(ProbeObjects(RUN_ID, PLAN, owner="main"), probe_plan(deployment))


def test_every_planned_manifest_is_valid_against_the_official_schemas():
    documents = planned()
    # connectivity from each namespace; s3 and versions as driver and executor; isolation
    # from each namespace and the outsider
    assert [d["kind"] for d in documents].count("Pod") == 9
    outsider = documents[-1]
    assert outsider["metadata"]["namespace"] == "default"
    assert outsider["spec"]["serviceAccountName"] == "default"
    assert outsider["spec"]["containers"][0]["envFrom"] == []
    for document in documents:
        kubernetes_validate.validate(document, dry_run.SCHEMA_VERSION, strict=True)
        assert dry_run.schema_problem(document) is None


def test_the_schema_check_refuses_an_unknown_field():
    pod = planned()[-1]
    pod["spec"]["containers"][0]["bogus"] = True
    assert "bogus" in str(dry_run.schema_problem(pod))


def test_every_object_carries_the_run_label_and_a_dns_name():
    for document in planned():
        meta = document["metadata"]
        assert meta["labels"][manifests.RUN_LABEL] == RUN_ID
        assert len(meta["name"]) <= 63
        assert meta["name"] == meta["name"].lower()
        assert RUN_ID in meta["name"]


@pytest.mark.parametrize("role", ["driver", "executor"])
def test_a_probe_pod_looks_like_the_platform_spark_pod_with_least_privilege(role):
    objects = ProbeObjects(RUN_ID, PLAN, owner="gw1")
    secret, pod = objects.manifests("s3", {"checks": []}, "ilum", role)
    spec, container = pod["spec"], pod["spec"]["containers"][0]
    assert container["image"] == "ilum/spark:3.5.3-mlflow"
    assert spec["serviceAccountName"] == ("ilum-spark" if role == "driver" else "ilum-spark-exec")
    assert pod["metadata"]["labels"]["spark-role"] == role
    refs = [next(iter(s.values()))["name"] for s in container["envFrom"]]
    assert refs == (["job-env", "job-credentials"] if role == "driver"
                    else ["executor-credentials"])
    assert spec["restartPolicy"] == "Never"
    assert spec["activeDeadlineSeconds"] == 90
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"] == {"allowPrivilegeEscalation": False,
                                            "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert spec["automountServiceAccountToken"] is False
    assert container["resources"]["limits"]["memory"]
    # Inputs travel in the Secret named like the pod, mounted read-only; never on the
    # command line.
    assert secret["metadata"]["name"] == pod["metadata"]["name"]
    assert {"name": "input", "secret": {"secretName": secret["metadata"]["name"],
                                        "defaultMode": 0o440}} in spec["volumes"]
    assert all("{" not in word for word in container["command"])


def test_names_are_unique_per_probe_and_per_worker():
    first = ProbeObjects(RUN_ID, PLAN, owner="gw0")
    second = ProbeObjects(RUN_ID, PLAN, owner="gw1")
    names = {first.manifests("connectivity", {}, "ilum", "driver")[1]["metadata"]["name"]
             for _ in range(3)}
    names.add(second.manifests("connectivity", {}, "ilum", "driver")[1]["metadata"]["name"])
    assert len(names) == 4
    assert first.code_name != second.code_name


@pytest.mark.parametrize("read_only", [False, True])
def test_the_printed_roles_are_valid_and_cover_exactly_what_is_needed(read_only):
    documents = rbac.roles("ilum", ["ilum", "spark-jobs"], read_only=read_only,
                           subject=rbac.subject_of("User", "support", "ilum"))
    for document in documents:
        kubernetes_validate.validate(document, dry_run.SCHEMA_VERSION, strict=True)
    granted = {(d["metadata"].get("namespace", ""), group, resource, verb)
               for d in documents if d["kind"] in ("Role", "ClusterRole")
               for rule in d["rules"]
               for group in rule["apiGroups"] for resource in rule["resources"]
               for verb in rule["verbs"]}
    wanted = {(ns, p.group, p.resource_path, p.verb) for p in rbac.ALL
              if not (read_only and p.writes)
              for ns in rbac.namespaces_of(p, "ilum", ["ilum", "spark-jobs"])}
    assert granted == wanted
    verbs = {verb for _, _, _, verb in granted}
    assert ("create" in verbs) is not read_only


def test_the_probe_code_a_pod_gets_runs_on_its_own(tmp_path, deployment):
    """The ConfigMap's files alone (no mlflow_conformance installed beside them) run each probe
    as the pod's command does: `python3 PROBE INPUT_FILE`, one JSON result on stdout."""
    import json
    import subprocess
    import sys

    code = ProbeObjects(RUN_ID, PLAN, owner="main").code_manifest("ilum")
    for name, text in code["data"].items():
        (tmp_path / name).write_text(text)
    inputs = tmp_path / "input.json"
    inputs.write_text(json.dumps({"tracking_uri": deployment.tracking_uri, "timeout": 3}))
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}  # nothing of ours on it
    outputs = {}
    for probe in ("connectivity", "versions"):
        script = str(tmp_path / f"{probe}.py")
        done = subprocess.run([sys.executable, "-E", "-s", script, str(inputs)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs[probe] = json.loads(done.stdout.strip().splitlines()[-1])
    assert [s["code"] for s in outputs["connectivity"]["steps"]] == ["ok"] * 5
    server = outputs["versions"]["server"]
    assert server["version"]["status"] == 200
    assert server["version"]["body_start"] == deployment.server_version
    assert outputs["versions"]["environment"]["packages"]["mlflow"]


def test_the_pod_inputs_carry_the_bundles_pem_and_no_path_of_this_machine(tmp_path):
    """A CA bundle (--tracking-ca-bundle, --s3-ca-bundle, also inside the s3 probe's checks)
    and a client certificate travel as files of the pod's input Secret; the inputs name where
    the pod mounts them. The probe-code ConfigMap never holds them (a key is a secret)."""
    import json
    from dataclasses import replace

    pems = {}
    for name in ("tracking-ca", "s3-ca", "client"):
        pems[name] = tmp_path / f"{name}.pem"
        pems[name].write_text(f"-----BEGIN CERTIFICATE-----\n{name}\n-----END CERTIFICATE-----\n")
    deployment = replace(describe(Discovered("ilum"), "ilum", "ilum-mlflow-tracking", {}),
                         tracking_ca_bundle=str(pems["tracking-ca"]),
                         tracking_client_cert=str(pems["client"]),
                         s3_ca_bundle=str(pems["s3-ca"]))
    documents = dry_run.plan(ProbeObjects(RUN_ID, PLAN, owner="main"), probe_plan(deployment))
    assert str(tmp_path) not in json.dumps(documents)
    secrets = [d for d in documents if d["kind"] == "Secret"]
    assert len(secrets) == 9
    for secret in secrets:
        data = secret["stringData"]
        given = json.loads(data["input.json"])
        named = [given.get("ca_bundle"), given.get("client_cert")] + [
            check["ca_bundle"] for check in given.get("checks", [])]
        for path in filter(None, named):
            folder, _, file = path.rpartition("/")
            assert folder == manifests.INPUT_DIR
            assert data[file] in {p.read_text() for p in pems.values()}
        shipped = {data[f] for f in data if f != "input.json"}
        expected = ({pems["s3-ca"].read_text()} if "checks" in given
                    else {pems["tracking-ca"].read_text(), pems["client"].read_text()})
        assert shipped == expected
        kubernetes_validate.validate(secret, dry_run.SCHEMA_VERSION, strict=True)
    for code in (d for d in documents if d["kind"] == "ConfigMap"):
        assert "BEGIN CERTIFICATE" not in json.dumps(code)


def test_one_bundle_is_shipped_once_and_an_unreadable_one_keeps_its_path(tmp_path):
    import json

    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
    missing = str(tmp_path / "nowhere.pem")
    checks = [{"ca_bundle": str(bundle)}, {"ca_bundle": str(bundle)}, {"ca_bundle": missing}]
    secret, _ = ProbeObjects(RUN_ID, PLAN, owner="gw0").manifests(
        "s3", {"checks": checks}, "ilum", "driver")
    given = json.loads(secret["stringData"]["input.json"])["checks"]
    assert given[0]["ca_bundle"] == given[1]["ca_bundle"] != str(bundle)
    assert len(secret["stringData"]) == 2  # input.json and the one bundle
    # The pod's probe then names the file it could not load (the harness's mistake).
    assert given[2]["ca_bundle"] == missing
