"""Lua transcripts: each Lua case, translated by torchad-migrate and run, prints what Torch7 printed.

The cases and Torch7's stdout are the committed copies in ``fixtures/lua_transcripts/`` (see its
README); ``tools/check_transcripts.py`` translates, runs and compares them (standard library only,
see ``tools/check_transcripts.md``). The checker runs once per family, the first time a case of that
family is asked for, so ``pytest tests/test_transcripts.py -k random`` checks only the random family.

A case that does not pass yet is listed, with the status it had, in
``fixtures/lua_transcripts/known_failing/FAMILY.txt``: its test is a strict xfail, so a listed case
that starts passing fails the suite until its line is removed.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CASES = HERE / "fixtures" / "lua_transcripts"
CHECKER = HERE / "tools" / "check_transcripts.py"
CASE_COMMENT = re.compile(r"(?m)^-- @@@@ case (\S+)[ \t]*$")


def _case_ids():
    ids = []
    for lua in sorted(CASES.glob("*.lua")):
        ids.extend(CASE_COMMENT.findall(lua.read_text(encoding="utf-8")))
    return ids


def _known_failing():
    listed = {}
    for path in sorted((CASES / "known_failing").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            case, _, status = line.partition("#")
            if case.strip():
                listed[case.strip()] = status.strip()
    return listed


KNOWN_FAILING = _known_failing()
_results = {}


def _family_results(family, tmp_dir):
    """Run the checker on one family (all its files), once per session -> {case: result}."""
    if family not in _results:
        out = tmp_dir / f"{family}.json"
        migrate = f"{sys.executable} -m compat.migrate --strict"   # a translator failure is an error
        proc = subprocess.run(
            [sys.executable, str(CHECKER), str(CASES), "-k", f"{family}/", "-j", "2", "--timeout", "300",
             "--migrate", migrate, "--json", str(out)],
            capture_output=True, text=True, timeout=1800,
        )
        if not out.exists():
            pytest.fail(f"check_transcripts wrote no results for {family} (exit {proc.returncode}):\n"
                        f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        _results[family] = {r["case"]: r for r in json.loads(out.read_text())}
    return _results[family]


def _param(case):
    if case in KNOWN_FAILING:
        reason = f"listed in known_failing ({KNOWN_FAILING[case]})"
        return pytest.param(case, marks=pytest.mark.xfail(reason=reason, strict=True), id=case)
    return pytest.param(case, id=case)


def test_every_listed_failure_is_a_case():
    unknown = sorted(set(KNOWN_FAILING) - set(_case_ids()))
    assert not unknown, f"known_failing lists cases that do not exist: {unknown}"


@pytest.mark.parametrize("case", [_param(c) for c in _case_ids()])
def test_case_prints_what_torch7_printed(case, tmp_path_factory):
    results = _family_results(case.split("/")[0], tmp_path_factory.mktemp("transcripts"))
    result = results.get(case)
    assert result is not None, f"{case}: the checker reported nothing for it"
    assert result["status"] == "pass", (
        f"{case}: {result['status']}\n--- Torch7 printed:\n{result['expected']}\n--- Python printed:\n"
        f"{result['got']}\n{result['detail'][-3000:]}"
    )
