"""`sweep`: find what earlier (interrupted or killed) runs left on a deployment and remove it.

Harness-made entities are found without any ledger: experiments by their name prefix
(/conformance/) or the run tag, runs by the run tag, registered models by their name
(conformance_<run id> or conformance.<run id>) or the run tag, S3 objects under conformance/ in the
bucket. Removal is cleanup.remove_entries (soft delete, artifacts, then purge).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlflow_conformance.cleanup.ledger import NAME_PREFIX, RUN_TAG, Entry, Removal, s3_prefix
from mlflow_conformance.cleanup.removal import remove_entries, s3_client
from mlflow_conformance.transport.rest import Rest, RestError

from ..deployment import Deployment
from ..tracking.diagnosis import classify

_EXPERIMENT_RUN = re.compile(rf"^/{NAME_PREFIX}/(?:trash/)?([^/]+)/")
# ledger.model_name's "<name>.conformance_<run id>_<suffix>", or "conformance.<run id>.<name>"
_MODEL_RUN = re.compile(rf"(?:^|\.){NAME_PREFIX}[._]([A-Za-z0-9]+)(?:[._]|$)")
SEARCH_CHUNK = 100


@dataclass
class SweepReport:
    found: list[Entry] = field(default_factory=list)
    removal: Removal = field(default_factory=Removal)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "found": len(self.found), **self.removal.to_dict()}

    def lines(self) -> list[str]:
        if not self.found:
            return ["nothing harness-made found"]
        verb = "would remove" if self.dry_run else "removed"
        done = self.found if self.dry_run else self.removal.removed
        out = [f"{verb} {e.kind} {e.ident} (run {e.run_id})" for e in done]
        out += [f"FAILED {e.kind} {e.ident}: {why}" for e, why in self.removal.failed]
        return out + self.removal.notes


def _pages(rest: Rest, path: str, key: str, method: str = "POST", **body: Any
           ) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        query = {**body, **({"page_token": token} if token else {})}
        page = rest.post(path, **query) if method == "POST" else rest.get(path, **query)
        yield from page.get(key, [])
        token = page.get("next_page_token")
        if not token:
            return


def _tag(entity: dict[str, Any]) -> str | None:
    return next((t["value"] for t in entity.get("tags", []) if t["key"] == RUN_TAG), None)


def find_experiments(rest: Rest) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for query in (f"name LIKE '/{NAME_PREFIX}/%'", f"tags.`{RUN_TAG}` LIKE '%'"):
        for exp in _pages(rest, "/experiments/search", "experiments", view_type="ALL",
                          filter=query, max_results=1000):
            named = _EXPERIMENT_RUN.match(exp["name"])
            run_id = _tag(exp) or (named.group(1) if named else "")
            if exp["experiment_id"] != "0" and run_id:
                found[exp["experiment_id"]] = Entry("experiment", exp["experiment_id"], run_id,
                                                    {"name": exp["name"]})
    return found


def find_runs(rest: Rest, skip_experiments: Iterable[str]) -> list[Entry]:
    """Tagged runs in experiments that are not harness-made themselves."""
    skip = set(skip_experiments) | {""}
    others = [e["experiment_id"] for e in _pages(rest, "/experiments/search", "experiments",
                                                 view_type="ALL", max_results=1000)
              if e["experiment_id"] not in skip]
    found = []
    for start in range(0, len(others), SEARCH_CHUNK):
        for run in _pages(rest, "/runs/search", "runs", run_view_type="ALL",
                          experiment_ids=others[start:start + SEARCH_CHUNK],
                          filter=f"tags.`{RUN_TAG}` LIKE '%'", max_results=1000):
            tags = {t["key"]: t["value"] for t in run.get("data", {}).get("tags", [])}
            found.append(Entry("run", run["info"]["run_id"], tags.get(RUN_TAG, ""),
                               {"experiment_id": run["info"]["experiment_id"]}))
    return found


def find_models(rest: Rest) -> list[Entry]:
    found = []
    models = _pages(rest, "/registered-models/search", "registered_models", method="GET",
                    filter=f"name LIKE '%{NAME_PREFIX}%'", max_results=1000)
    try:
        for model in models:
            named = _MODEL_RUN.search(model["name"])
            run_id = _tag(model) or (named.group(1) if named else "")
            if run_id:
                found.append(Entry("registered_model", model["name"], run_id))
    except RestError as exc:
        if exc.status != 404:
            raise
        return []  # a server without the registry API holds no registered models
    return found


def find_s3_prefixes(deployment: Deployment) -> list[Entry]:
    """Run folders under conformance/ that hold objects (listing objects, not folders:
    some S3 servers list emptied folders as common prefixes)."""
    if not (deployment.s3_endpoint and deployment.bucket):
        return []
    s3 = s3_client(deployment, deployment.driver_identity)
    run_ids = set()
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=deployment.bucket, Prefix=f"{NAME_PREFIX}/"):
        run_ids |= {obj["Key"].split("/")[1] for obj in page.get("Contents", [])
                    if obj["Key"].count("/") >= 2}
    return [Entry("s3_prefix", f"{deployment.bucket}/{s3_prefix(run_id)}", run_id)
            for run_id in sorted(run_ids)]


def find_leftovers(deployment: Deployment, run_ids: Iterable[str] | None = None) -> list[Entry]:
    """Everything harness-made on the deployment (of these harness run ids, if given),
    in removal order reversed (cleanup.remove removes newest first)."""
    rest = Rest.for_deployment(deployment)
    experiments = find_experiments(rest)
    entries = [*find_s3_prefixes(deployment), *experiments.values(),
               *find_runs(rest, experiments), *find_models(rest)]
    wanted = set(run_ids) if run_ids is not None else None
    return [e for e in entries if wanted is None or e.run_id in wanted]


def sweep(deployment: Deployment, run_ids: Iterable[str] | None = None,
          dry_run: bool = False) -> SweepReport:
    found = find_leftovers(deployment, run_ids)
    if dry_run or not found:
        return SweepReport(found, dry_run=dry_run)
    return SweepReport(found, remove_entries(found, deployment))


# The run's options that name a deployment to sweep (the same names and environment mirrors).
TARGET_OPTIONS = ("tracking-uri", "s3-endpoint", "s3-bucket", "s3-access-key", "s3-secret-key",
                  "backend-db-uri", "tracking-ca-bundle", "tracking-insecure-tls",
                  "tracking-client-cert", "s3-ca-bundle")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from ..options import OPTIONS_BY_NAME

    parser = subparsers.add_parser(
        "sweep", help="remove what interrupted runs left (experiments, runs, registered "
        "models, S3 objects), found by name prefix and run tag")
    for name in TARGET_OPTIONS:
        spec = OPTIONS_BY_NAME[name]
        if spec.is_flag:  # None when not given: the environment may still set it
            parser.add_argument(f"--{name}", dest=name, action="store_const", const=True,
                                default=None, help=f"{spec.help} [env {spec.env}]")
        else:
            parser.add_argument(f"--{name}", dest=name, metavar=spec.metavar,
                                help=f"{spec.help} [env {spec.env}]")
    parser.add_argument("--cluster", action="store_true",
                        help="sweep a cluster instead: probe pods, Secrets and ConfigMaps "
                        "carrying the harness's labels, in --namespace and --job-namespaces")
    for name in ("kube-context", "namespace", "job-namespaces"):
        spec = OPTIONS_BY_NAME[name]
        parser.add_argument(f"--{name}", dest=name, metavar=spec.metavar,
                            help=f"{spec.help} [env {spec.env}]")
    parser.add_argument("--run-id", action="append", dest="run_ids", metavar="ID",
                        help="only what this harness run made (repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="list, remove nothing")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    """Sweep the deployment named like a pytest run names it (--tracking-uri, else the stack
    kept up by `stack up`). Exit 0 when nothing is left, 1 when something could not go,
    4 on a usage error, 3 when the deployment could not be searched (a run's codes)."""
    from mlflow_conformance.stack import lifecycle as local_stack

    from ..options import OptionError, resolve
    from ..report.gate import EXIT_INTERNAL, EXIT_USAGE
    from ..targets import remote_deployment

    try:
        settings = resolve({n: getattr(args, n, None) for n in TARGET_OPTIONS})
    except OptionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "cluster", False):
        return _sweep_cluster(args)
    # Servers a dead (SIGKILLed) run left on this machine, whatever deployment is swept.
    orphans = local_stack.find_orphans()
    if not args.dry_run:
        local_stack.stop_orphans()
    verb = "would stop" if args.dry_run else "stopped"
    orphan_lines = [f"{verb} the orphaned stack of a dead run (pid {o.owner}) at "
                    f"{o.tracking_uri} ({o.workdir})" for o in orphans]
    if settings.target == "remote":
        deployment = remote_deployment(settings)
    else:
        kept = local_stack.find_running()
        if kept is None:
            print("\n".join(orphan_lines) or "error: name a deployment with --tracking-uri "
                  "(no stack is kept up)", file=sys.stdout if orphan_lines else sys.stderr)
            return 0 if orphan_lines else EXIT_USAGE
        deployment = kept.deployment()
    try:
        report = sweep(deployment, args.run_ids, args.dry_run)
    except Exception as exc:  # noqa: BLE001 - one line for the operator, not a traceback
        print(f"error: sweeping {deployment.tracking_uri} failed: {classify(exc).message}",
              file=sys.stderr)
        return EXIT_INTERNAL
    if args.json:
        print(json.dumps({**report.to_dict(), "orphaned_stacks": orphan_lines}, indent=2))
    else:
        print("\n".join([*orphan_lines, *report.lines()]))
    return 1 if report.removal.failed else 0


def _sweep_cluster(args: argparse.Namespace) -> int:
    from ..cluster import leftovers
    from ..cluster.kube import KubeUnreachable, connect
    from ..options import OptionError, resolve
    from ..report.gate import EXIT_INTERNAL, EXIT_USAGE

    try:
        settings = resolve({"cluster": True, **{n: getattr(args, n, None) for n in (
            "kube-context", "namespace", "job-namespaces")}})
        kube = connect(settings["kube-context"])
    except (OptionError, KubeUnreachable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    namespaces = [settings["namespace"], *(settings["job-namespaces"] or ())]
    try:
        found = leftovers.find(kube, namespaces, args.run_ids)
        report = SweepReport(found, dry_run=args.dry_run)
        if found and not args.dry_run:
            report.removal = leftovers.remove(kube, found)
    except Exception as exc:  # noqa: BLE001 - one line for the operator, not a traceback
        print(f"error: sweeping the cluster ({kube.where}) failed: "
              f"{str(exc).splitlines()[0][:200]}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        kube.close()
    print(json.dumps(report.to_dict(), indent=2) if args.json else "\n".join(report.lines()))
    return 1 if report.removal.failed else 0
