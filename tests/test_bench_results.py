"""benchmarks/_results.py: a benchmark run with --write-results replaces its own section of
benchmarks/RESULTS.md and leaves the rest of the file (hand-written notes, other benchmarks) alone."""
import argparse
import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import _results  # noqa: E402 - from the benchmarks folder put on sys.path above

NOTES = "# Results\n\nA note written by hand.\n"


def test_first_run_appends_a_section_then_replaces_only_it(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text(NOTES)
    _results.write("bench_a", "| a | 1 |\n", "python benchmarks/bench_a.py", path)
    _results.write("bench_b", "b: 2\n", "python benchmarks/bench_b.py --n 3", path)
    first = path.read_text()
    assert first.startswith(NOTES + "\n<!-- results: bench_a -->\n`python benchmarks/bench_a.py`, ")
    assert "```text\n| a | 1 |\n```\n<!-- /results: bench_a -->\n" in first
    assert "`python benchmarks/bench_b.py --n 3`, " in first and "```text\nb: 2\n```" in first

    _results.write("bench_a", "| a | 9 |\n", "python benchmarks/bench_a.py --rounds 1", path)
    second = path.read_text()
    assert "| a | 1 |" not in second and "```text\n| a | 9 |\n```" in second
    assert second.count("<!-- results: bench_a -->") == 1 and second.count("<!-- /results: bench_a -->") == 1
    assert second.index("bench_a") < second.index("bench_b")              # replaced in place
    assert second.startswith(NOTES) and "```text\nb: 2\n```\n<!-- /results: bench_b -->\n" in second


def test_a_section_without_its_end_marker_is_an_error():
    text = NOTES + "<!-- results: bench_a -->\nold\n"
    with pytest.raises(ValueError, match="<!-- results: bench_a --> has no matching <!-- /results: bench_a -->"):
        _results.replace_section(text, "bench_a", "new\n")


def test_recorded_prints_and_writes_only_after_success(tmp_path, capsys):
    path = tmp_path / "RESULTS.md"
    argv = ["benchmarks/bench_x.py", "--rounds", "2", "--write-results"]
    with _results.recorded("bench_x", True, path, argv):
        print("| x | 5 |")
    out = capsys.readouterr().out
    assert out.startswith("| x | 5 |\n") and "written into RESULTS.md, section bench_x" in out
    text = path.read_text()
    assert "`python benchmarks/bench_x.py --rounds 2`, " in text and "```text\n| x | 5 |\n```" in text

    with pytest.raises(RuntimeError):
        with _results.recorded("bench_x", True, path, argv):
            print("| x | 6 |")
            raise RuntimeError("the benchmark failed")
    assert path.read_text() == text                                        # a failed run writes nothing
    with _results.recorded("bench_x", False, path, argv):
        print("| x | 7 |")
    assert path.read_text() == text


def test_every_benchmark_takes_write_results():
    parser = argparse.ArgumentParser()
    _results.add_option(parser)
    assert parser.parse_args(["--write-results"]).write_results is True
    for script in sorted((REPO / "benchmarks").glob("bench_*.py")):
        source = script.read_text()
        assert "_results.add_option(" in source and f'_results.recorded("{script.stem}", ' in source, script.name
