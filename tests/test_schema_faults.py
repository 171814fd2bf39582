"""The schema check names the fault on real databases: a separate database on the stack's
PostgreSQL (never the stack's own) stamped with alembic at an older revision, set to a
revision the package does not know, left without alembic_version, and a dead database."""

import secrets
import time
from dataclasses import replace

import pytest
import sqlalchemy

from mlflow_conformance.compat import backend_schema
from mlflow_conformance.findings import Outcome
from tests.fault_servers import closed_port

FACTS_317 = {"version": {"status": 200, "body_start": "3.17.2"}}
OLDER = "0584bdc529eb"  # the head of MLflow 2.22: a real, older revision of 3.17's history


@pytest.fixture
def scratch_database(deployment):
    """A new, empty database on the stack's PostgreSQL, dropped afterwards."""
    import psycopg2

    url = sqlalchemy.engine.make_url(deployment.backend_db_uri)
    name = f"conformance_schema_{secrets.token_hex(4)}"

    def admin(statement):
        conn = psycopg2.connect(host=url.host, port=url.port, user=url.username,
                                password=url.password, dbname="postgres", connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield replace(deployment, backend_db_uri=url.set(database=name).render_as_string(
            hide_password=False))
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stamp(db_uri, revision):
    """What `alembic stamp` does to an MLflow database, with MLflow's own migrations."""
    from alembic import command

    config = backend_schema.alembic_config()
    config.set_main_option("sqlalchemy.url", db_uri.replace("%", "%%"))
    command.stamp(config, revision)


def test_the_stacks_own_database_is_at_the_head(deployment):
    finding = backend_schema.schema_of(deployment, FACTS_317)
    assert finding.outcome is Outcome.PASS, finding.message


@pytest.mark.fault("SCH-001", "schema_behind")
def test_database_stamped_at_an_older_revision_is_behind(scratch_database):
    stamp(scratch_database.backend_db_uri, OLDER)
    finding = backend_schema.schema_of(scratch_database, FACTS_317)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "schema_behind")
    assert finding.evidence["database"]["revisions"] == [OLDER]
    assert finding.remedy.startswith("run 'mlflow db upgrade")


@pytest.mark.fault("SCH-001", "schema_unknown")
def test_database_at_an_unknown_revision_is_unknown(scratch_database):
    stamp(scratch_database.backend_db_uri, OLDER)
    engine = sqlalchemy.create_engine(scratch_database.backend_db_uri)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = 'feedc0ffee42'"))
    engine.dispose()
    finding = backend_schema.schema_of(scratch_database, FACTS_317)
    assert finding.code == "schema_unknown"
    assert "newer than the server" in finding.message


@pytest.mark.fault("SCH-001", "schema_missing")
def test_database_without_alembic_version_is_missing(scratch_database):
    assert backend_schema.schema_of(scratch_database, FACTS_317).code == "schema_missing"


@pytest.mark.fault("SCH-001", "db_unreachable")
def test_dead_database_is_unreachable_within_the_bound(deployment):
    url = sqlalchemy.engine.make_url(deployment.backend_db_uri).set(port=closed_port())
    dead = replace(deployment, backend_db_uri=url.render_as_string(hide_password=False))
    began = time.monotonic()
    finding = backend_schema.schema_of(dead, FACTS_317)
    assert finding.code == "db_unreachable"
    assert time.monotonic() - began < 10
    assert url.password
    assert str(url.password) not in finding.message
