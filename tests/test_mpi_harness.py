"""The multi-rank test harness: a case failing on one rank ends its launch at once and is reported
with that rank's traceback; the cases after it still run (in a new launch)."""
import textwrap

import pytest

from tests import mpi_harness

CASES = textwrap.dedent('''
    import torch
    from automatedparallelization import comm

    def case_passes_first():
        assert comm.size() == 2

    def case_one_rank_fails_while_the_other_waits():
        if comm.rank() == 1:
            raise AssertionError("deliberate failure on rank 1")
        comm.allreduce_(torch.ones(3))      # rank 0 waits here for a rank that never comes

    def case_after_the_failure():
        t = torch.ones(1)
        comm.allreduce_(t)
        assert t.item() == 2.0
''')


@pytest.mark.mpi
def test_failing_rank_ends_the_launch_and_later_cases_still_run(tmp_path):
    path = tmp_path / "harness_cases.py"
    path.write_text(CASES)
    # the hard timeout is far longer than an abort takes: reaching it would mean rank 0 waited it out
    results, outputs = mpi_harness.run_all(path, 2, timeout=120)
    assert results["case_passes_first"][0]["status"] == "pass"
    failed = results["case_one_rank_fails_while_the_other_waits"]
    assert failed[1]["status"] == "fail" and "deliberate failure on rank 1" in failed[1]["message"]
    assert 0 not in failed                                   # rank 0 was ended inside the collective
    assert "exit timeout" not in outputs["case_one_rank_fails_while_the_other_waits"]
    assert {r: e["status"] for r, e in results["case_after_the_failure"].items()} == {0: "pass", 1: "pass"}
