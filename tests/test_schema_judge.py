"""The schema judgement over recorded revisions: which head applies, behind or unknown."""

from typing import Any

from mlflow_conformance.compat import backend_schema
from mlflow_conformance.findings import Outcome

# base <- a <- b <- c (head of the installed package, mlflow 3.17.2)
PACKAGE: dict[str, Any] = {
    "mlflow": "3.17.2", "heads": ["c"],
    "parents": {"base": [], "a": ["base"], "b": ["a"], "c": ["b"]}}


def judge(revisions, server="3.17.2"):
    return backend_schema.judge({"revisions": revisions}, server, PACKAGE)


def test_the_installed_head_applies_to_a_server_of_the_same_version():
    assert judge(["c"]).outcome is Outcome.PASS


def test_an_ancestor_of_the_head_is_behind():
    finding = judge(["a"])
    assert (finding.code, finding.evidence["expected_head"]) == ("schema_behind", "c")


def test_a_revision_the_package_does_not_know_is_unknown():
    assert judge(["zzz"]).code == "schema_unknown"


def test_a_database_ahead_of_an_older_server_is_unknown_to_it():
    # Server 2.22's head comes from the table of known heads; "c" descends from nothing it
    # knows: the database was migrated by a newer MLflow.
    package = {**PACKAGE, "parents": {**PACKAGE["parents"], "0584bdc529eb": []}}
    finding = backend_schema.judge({"revisions": ["c"]}, "2.22.5", package)
    assert (finding.code, finding.evidence["expected_head"]) == ("schema_unknown", "0584bdc529eb")


def test_a_server_version_without_a_known_head_is_a_warning():
    finding = judge(["c"], server="4.1.0")
    assert (finding.outcome, finding.code) == (Outcome.WARN, "schema_head_unknown")


def test_missing_table_and_unreachable_database():
    assert judge(None).code == "schema_missing"
    unreachable = backend_schema.judge({"error": "OperationalError: refused"}, "3.17.2", PACKAGE)
    assert unreachable.code == "db_unreachable"


def test_two_revisions_at_once_are_not_a_head():
    assert judge(["b", "c"]).code == "schema_unknown"


def test_the_migrations_read_without_alembic_are_alembics():
    """The scripts' revision and down_revision read as literals give the same heads and
    parents as alembic, which imports every script (slow), gives."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(backend_schema.alembic_config())
    read = backend_schema.migrations()
    assert read["heads"] == sorted(scripts.get_heads())
    assert read["parents"] == {
        rev.revision: backend_schema._listed(rev.down_revision)
        for rev in scripts.walk_revisions()}
    assert len(read["parents"]) > 50
