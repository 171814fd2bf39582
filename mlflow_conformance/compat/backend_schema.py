"""The backend store's alembic revision against the head of the server's MLflow version.

The installed mlflow's migration scripts say which revisions exist and how they descend;
for a server of another version, its head comes from a table of known heads (the installed
package cannot know revisions newer than itself).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ..deployment import Deployment
from ..findings import Finding, Outcome, passed
from .versions import parse

# Heads of released MLflow versions (FAILURE-MODES B1), by major.minor.
KNOWN_HEADS = {(2, 22): "0584bdc529eb", (3, 5): "bf29a5ff90ea", (3, 7): "bf29a5ff90ea",
               (3, 9): "d3e4f5a6b7c8", (3, 10): "1b5f0d9ad7c1", (3, 18): "f4a9b2c7d1e6"}


@cache
def alembic_config() -> Any:
    """An alembic Config on the installed mlflow's own migrations."""
    import mlflow
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", os.path.join(
        os.path.dirname(mlflow.__file__), "store", "db_migrations"))
    return config


def migrations() -> dict[str, Any]:
    """Heads and every revision (with its parents) of the installed mlflow's migrations.

    Read from each script's ``revision``/``down_revision`` assignments rather than by
    alembic, which imports every script (and with them MLflow's ORM models): a second of a
    smoke run's few."""
    from importlib import metadata

    parents: dict[str, list[str]] = {}
    for path in sorted(migrations_dir().glob("*.py")):
        declared = _declared(path)
        if "revision" in declared:
            parents[str(declared["revision"])] = _listed(declared.get("down_revision"))
    children = {parent for listed in parents.values() for parent in listed}
    return {"mlflow": metadata.version("mlflow"),
            "heads": sorted(set(parents) - children), "parents": parents}


def migrations_dir() -> Path:
    """Where the installed mlflow keeps its alembic migration scripts (not imported)."""
    from importlib.util import find_spec

    spec = find_spec("mlflow")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("mlflow is not installed")
    return Path(spec.origin).parent / "store" / "db_migrations" / "versions"


def _declared(path: Path) -> dict[str, Any]:
    """The module-level ``revision`` and ``down_revision`` of a migration script, as
    literals (plain or annotated assignments, as alembic's templates write them)."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                found[target.id] = ast.literal_eval(value)
    return found


def _listed(down: str | Sequence[str] | None) -> list[str]:
    # alembic: None at the base, a tuple after a merge, else one revision.
    return [] if down is None else [down] if isinstance(down, str) else sorted(down)


def ancestors(revision: str, parents: Mapping[str, list[str]]) -> set[str]:
    found: set[str] = set()
    todo = list(parents.get(revision, []))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += parents.get(current, [])
    return found


def read_revision(db_uri: str, timeout: int = 5) -> dict[str, Any]:
    """SELECT version_num FROM alembic_version, bounded by a connect timeout."""
    import sqlalchemy
    from sqlalchemy.exc import NoSuchTableError, ProgrammingError, SQLAlchemyError

    args = {"connect_timeout": timeout} if db_uri.startswith("postgresql") else {}
    try:
        engine = sqlalchemy.create_engine(db_uri, connect_args=args,
                                          poolclass=sqlalchemy.pool.NullPool)
    except (SQLAlchemyError, ImportError, ValueError) as exc:  # never the URI: it has a password
        return {"error": f"{type(exc).__name__}: the database URI is not usable"}
    try:
        with engine.connect() as conn:
            if not sqlalchemy.inspect(conn).has_table("alembic_version"):
                return {"revisions": None}
            rows = conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version"))
            return {"revisions": sorted(str(r[0]) for r in rows)}
    except (NoSuchTableError, ProgrammingError):
        return {"revisions": None}
    except SQLAlchemyError as exc:
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}
    finally:
        engine.dispose()


def expected_head(server_version: str | None, package: Mapping[str, Any]) -> str | None:
    server = parse(server_version)
    if server is not None and server == parse(package["mlflow"]) and len(package["heads"]) == 1:
        return str(package["heads"][0])
    return KNOWN_HEADS.get(server[:2]) if server else None


def judge(db: Mapping[str, Any], server_version: str | None,
          package: Mapping[str, Any]) -> Finding:
    head = expected_head(server_version, package)
    evidence = {"database": dict(db), "server_version": server_version, "expected_head": head,
                "package_mlflow": package["mlflow"], "package_heads": package["heads"]}
    upgrade = f"run 'mlflow db upgrade <database_uri>' with mlflow {server_version}, after a backup"
    if "error" in db:
        return Finding(Outcome.FAIL, "db_unreachable", f"could not read the schema revision: "
                       f"{db['error']}", evidence, "check the backend URI, credentials and "
                       "network path to the database")
    if db["revisions"] is None:
        return Finding(Outcome.FAIL, "schema_missing", "the database has no alembic_version "
                       "table", evidence, "point the server at its MLflow database, or "
                       "initialise it by starting the server once")
    if head is None:
        return Finding(Outcome.WARN, "schema_head_unknown", f"no known head revision for server "
                       f"version {server_version}; database at {db['revisions']}", evidence,
                       "run the harness with the server's mlflow version installed")
    current = db["revisions"][0] if len(db["revisions"]) == 1 else None
    if current == head:
        return passed(f"database at {head}, the head of mlflow {server_version}", **evidence)
    if current is not None and current in ancestors(head, package["parents"]):
        return Finding(Outcome.FAIL, "schema_behind", f"database at {current}, older than "
                       f"{head} that mlflow {server_version} expects", evidence, upgrade)
    return Finding(Outcome.FAIL, "schema_unknown", f"database at {db['revisions']}, a revision "
                   f"mlflow {server_version} does not know (head {head}): the database is newer "
                   "than the server", evidence, "run the server's newer MLflow version again, "
                   "or restore the database backup that matches this server")


def schema_of(deployment: Deployment, facts: Mapping[str, Any]) -> Finding:
    """Collect and judge: the server's own /version decides which head applies."""
    answer = facts["version"]
    said = answer.get("body_start") if answer.get("status") == 200 else None
    version = said if parse(said) else deployment.server_version
    assert deployment.backend_db_uri
    return judge(read_revision(deployment.backend_db_uri), version, migrations())
