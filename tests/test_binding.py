"""Requirements are bound to their checks as data (mlflow_conformance.binding): every catalog
entry's `check` resolves, the suites call what the catalog names, a producer's findings are
picked by the catalog and never by a suite's key, and an undeclared code is a harness error."""

import ast

import pytest

from mlflow_conformance import binding, catalog
from mlflow_conformance.findings import Finding, Findings, Outcome
from tests.inner_session import ROOT

KNOWN = catalog.load()


@pytest.mark.parametrize("rid", sorted(KNOWN.requirements))
def test_every_catalog_check_resolves(rid):
    assert binding.CheckRef.of(KNOWN[rid]).problem() is None


def test_a_check_that_does_not_resolve_says_why():
    assert "does not import" in str(binding.CheckRef("tracking.nothing_here", "x").problem())
    problem = binding.CheckRef("tracking.canary", "experimnt").problem()
    assert problem is not None
    assert "no function 'experimnt'" in problem
    assert "FINDINGS" in problem


def _functions(paths):
    """name -> (argument names, source) of every top-level function in the files."""
    found = {}
    for path in paths:
        text = path.read_text()
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = ([a.arg for a in node.args.args],
                                    ast.get_source_segment(text, node), node)
    return found


def _requirement(node):
    for deco in node.decorator_list:
        if (isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "requirement"
                and isinstance(deco.args[0], ast.Constant)):
            return deco.args[0].value
    return None


def _reaches(name, function, functions, seen=frozenset()):
    """Whether the function's body, or a fixture it uses (transitively), names `name`."""
    args, source, _ = functions[function]
    if name in source.split("\n", 1)[1]:
        return True
    return any(_reaches(name, arg, functions, seen | {function})
               for arg in args if arg in functions and arg not in seen)


def test_each_suite_test_calls_the_check_its_catalog_entry_names():
    functions = _functions([*(ROOT / "fixtures").glob("*.py"), *(ROOT / "suites").glob("*.py")])
    tests = {_requirement(node): name for name, (_, _, node) in functions.items()
             if _requirement(node)}
    assert sorted(tests) == sorted(KNOWN.requirements)
    wrong = []
    for rid, test in sorted(tests.items()):
        ref = binding.CheckRef.of(KNOWN[rid])
        # A producer's findings are picked at run time (test_producer_findings_*); a judge
        # must be called by the test or one of its fixtures.
        target = ref.module.rsplit(".", 1)[-1] if _is_producer(ref) else ref.name
        if not _reaches(target, test, functions):
            wrong.append(f"{rid}: {test} never reaches {KNOWN[rid].check}")
    assert wrong == []


def _is_producer(ref):
    import importlib

    return ref.name in getattr(importlib.import_module(f"mlflow_conformance.{ref.module}"),
                               "FINDINGS", ())


def _finding(code, outcome=Outcome.FAIL):
    return Finding(outcome, code, f"concluded {code}")


def test_producer_findings_are_picked_by_the_catalog():
    findings = Findings("probes.connectivity", {
        "dns": _finding("ok", Outcome.PASS), "health": _finding("http_error")})
    assert binding.select(findings, KNOWN["NET-003"]).code == "http_error"
    assert binding.select(findings, KNOWN["NET-001"]).code == "ok"


def test_producer_findings_of_another_check_or_without_the_key_are_harness_errors():
    canary = Findings("tracking.canary", {"experiment": _finding("ok", Outcome.PASS)})
    wrong_source = binding.select(canary, KNOWN["NET-003"])
    assert (wrong_source.outcome, wrong_source.code) == (Outcome.ERROR, "harness_error")
    assert "tracking.canary" in wrong_source.message
    missing = binding.select(canary, KNOWN["TRK-002"])
    assert (missing.outcome, missing.code) == (Outcome.ERROR, "harness_error")
    assert "no finding 'logging'" in missing.message


@pytest.mark.parametrize(("rid", "code", "allowed"), [
    ("NET-003", "http_error", True),        # declared
    ("NET-001", "ok", True),                 # generic
    ("SPK-040", "timeout", True),            # the transport set
    ("NET-001", "http_error", False),        # another requirement's code
    ("TRK-001", "alias_not_found", False),   # a registry code on a tracking requirement
    ("CMP-005", "made_up", False),
])
def test_an_undeclared_code_is_a_harness_error(rid, code, allowed):
    guarded = binding.guard(_finding(code), KNOWN[rid], KNOWN)
    if allowed:
        assert guarded.code == code
    else:
        assert (guarded.outcome, guarded.code) == (Outcome.ERROR, "harness_error")
        assert guarded.evidence["undeclared"]["code"] == code


def test_code_sets_expand_in_place_and_unknown_sets_are_rejected():
    core = (catalog.CATALOG_DIR / "core.toml").read_text()
    entry = ('[[requirements]]\nid = "XYZ-001"\narea = "x"\ntitle = "t"\nstatement = "s"\n'
             'severity = "must"\npromises = ["P1.1"]\nfootprint = "read-only"\n'
             'remediation = "r"\ncheck = "x:y"\n')
    parsed = catalog.parse({"core.toml": core, "x.toml": '[code_sets]\npair = ["ok", "timeout"]\n'
                            + entry + 'diagnoses = ["skipped", "@pair", "ok"]\n'})
    assert parsed["XYZ-001"].diagnoses == ("skipped", "ok", "timeout")
    with pytest.raises(catalog.CatalogError, match="unknown code set '@nope'"):
        catalog.parse({"core.toml": core, "x.toml": entry + 'diagnoses = ["@nope"]\n'})


def test_registry_and_tracking_write_their_api_codes_once():
    for name in ("registry.toml", "tracking.toml"):
        text = (catalog.CATALOG_DIR / name).read_text()
        assert text.count('"roundtrip_mismatch"') <= 1, name

