"""numkeras_mpi.run's report, on the text MPICH's mpiexec (hydra 5.0) really prints.

The launcher's end-to-end tests (a rank SIGKILLed or exiting under a real ``mpiexec``) are in
test_mpi.py; these check the parsing and the blame rules on every case, without MPI. The
``HYDRA_*`` strings were copied from ``mpiexec -n 3 -print-all-exitcodes`` runs of pip's
mpich 5.0.2 wheel, where rank 1 exited with code 3 or was SIGKILLed.
"""

import importlib
import os
import signal
import sys

import pytest
from hypothesis import given, strategies as st

from .conftest import CONTRIB

HYDRA_EXIT_3 = "[mpiexec@vm] Exit codes: [vm] 0,768,0\n"
HYDRA_SIGKILL = """
===================================================================================
=   BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES
=   PID 21940 RUNNING AT vm
=   EXIT CODE: 9
=   CLEANING UP REMAINING PROCESSES
=   YOU CAN IGNORE THE BELOW CLEANUP MESSAGES
===================================================================================
[mpiexec@vm] Exit codes: [vm] 0,9,0
YOUR APPLICATION TERMINATED WITH THE EXIT STRING: Killed (signal 9)
"""
HYDRA_SIGKILL_CLEANUP = HYDRA_SIGKILL.replace("[vm] 0,9,0", "[vm] 9,9,9")
# Rank 1 exited with code 3 and hydra did not end the job (CI saw this once; ``-disable-auto-cleanup``
# makes it happen every time): the survivors' watchdogs ended it, and hydra printed no exit codes.
WATCHDOGS_ENDED_IT = """\
rank 1 (pid 101): fault exit now
numkeras_mpi.comm.RankFailedError: numkeras_mpi: rank 2 stopped in allreduce 'gradient allreduce': \
rank 1 sent no heartbeat for 5 s (limit 5 s): it died or hangs
numkeras_mpi: rank 2 on vm: stopping the job: rank 2 stopped in allreduce 'gradient allreduce': \
rank 1 sent no heartbeat for 5 s (limit 5 s): it died or hangs
numkeras_mpi.comm.RankFailedError: numkeras_mpi: rank 0 stopped in allreduce 'gradient allreduce': \
rank 1 sent no heartbeat for 5 s (limit 5 s): it died or hangs
numkeras_mpi: rank 0 on vm: stopping the job: rank 0 stopped in allreduce 'gradient allreduce': \
rank 1 sent no heartbeat for 5 s (limit 5 s): it died or hangs
Abort(1) on node 2 (rank 2 in comm 0): application called MPI_Abort(MPI_COMM_WORLD, 1) - process 2
"""
# Rank 1 raised: it reported first and aborted; hydra printed no exit codes.
A_RANK_RAISED = """\
RuntimeError: an error in this replica's batch
numkeras_mpi: rank 1 on vm: stopping the job: rank 1 raised RuntimeError: an error in this replica's batch
numkeras_mpi: rank 2 on vm: stopping the job: rank 2 stopped in allreduce 'gradient allreduce': \
rank 1 raised RuntimeError: an error in this replica's batch
numkeras_mpi: rank 0 on vm: stopping the job: rank 0 stopped in allreduce 'gradient allreduce': \
rank 1 raised RuntimeError: an error in this replica's batch
Abort(1) on node 1 (rank 1 in comm 0): application called MPI_Abort(MPI_COMM_WORLD, 1) - process 1
"""


@pytest.fixture(scope="module")
def run():
    """``numkeras_mpi.run`` from the source folder (it imports neither mpi4py nor MPI)."""
    sys.path.insert(0, os.path.join(CONTRIB, "numkeras-mpi"))
    try:
        yield importlib.import_module("numkeras_mpi.run")
    finally:
        sys.path.remove(os.path.join(CONTRIB, "numkeras-mpi"))
        for name in [name for name in sys.modules if name.split(".")[0] == "numkeras_mpi"]:
            del sys.modules[name]


def records(*pids, host="vm"):
    return {rank: {"rank": rank, "size": len(pids), "pid": pid, "host": host} for rank, pid in enumerate(pids)}


def test_parse_exit_codes_reads_hydras_line(run):
    assert run.parse_exit_codes(HYDRA_EXIT_3) == {"vm": [0, 768, 0]}
    assert run.parse_exit_codes(HYDRA_SIGKILL) == {"vm": [0, 9, 0]}
    assert run.parse_exit_codes("[mpiexec@a] Exit codes: [node1] 0,0 [node2] 9,0\n") == {"node1": [0, 0],
                                                                                         "node2": [9, 0]}
    assert run.parse_exit_codes("no such line") == {}


def test_describe_tells_a_signal_from_an_exit_code(run):
    assert run.describe(9) == "was killed by signal 9 (SIGKILL)"
    assert run.describe(15) == "was killed by signal 15 (SIGTERM)"
    assert run.describe(768) == "exited with code 3"  # a wait status: the code is in the high byte
    assert run.describe(256) == "exited with code 1"


def test_an_exit_code_is_blamed_on_its_rank(run):
    lines = run.report_lines(records(100, 101, 102), HYDRA_EXIT_3)
    assert lines == ["numkeras-mpi: rank 1 (pid 101 on vm) exited with code 3"]


def test_one_sigkill_is_blamed_without_doubt(run):
    lines = run.report_lines(records(100, 21940, 102), HYDRA_SIGKILL)
    assert lines == ["numkeras-mpi: rank 1 (pid 21940 on vm) was killed by signal 9 (SIGKILL)"]


def test_sigkills_of_the_cleanup_are_flagged_as_unsure(run):
    lines = run.report_lines(records(100, 21940, 102), HYDRA_SIGKILL_CLEANUP)
    assert len(lines) == 3
    assert all(line.endswith("(or mpiexec killed it when another rank died)") for line in lines)


def test_an_own_failure_outranks_the_cleanups_sigkills(run):
    # rank 2 raised (exit 1); mpiexec then SIGKILLed ranks 0 and 1: only rank 2 is to blame
    lines = run.report_lines(records(100, 101, 102), "[mpiexec@vm] Exit codes: [vm] 9,9,256\n")
    assert lines == ["numkeras-mpi: rank 2 (pid 102 on vm) exited with code 1"]


def test_ranks_are_matched_to_hosts_in_rank_order(run):
    ranks = {0: {"rank": 0, "pid": 10, "host": "a"}, 1: {"rank": 1, "pid": 11, "host": "b"},
             2: {"rank": 2, "pid": 12, "host": "a"}, 3: {"rank": 3, "pid": 13, "host": "b"}}
    lines = run.report_lines(ranks, "Exit codes: [a] 0,0 [b] 0,768\n")
    assert lines == ["numkeras-mpi: rank 3 (pid 13 on b) exited with code 3"]


def test_a_single_host_named_differently_by_mpiexec_still_matches(run):
    lines = run.report_lines(records(100, 101, host="vm.example.org"), "Exit codes: [10.0.0.7] 0,768\n")
    assert lines == ["numkeras-mpi: rank 1 (pid 101 on vm.example.org) exited with code 3"]


def test_without_exit_codes_the_pid_report_is_translated(run):
    text = HYDRA_SIGKILL.replace("[mpiexec@vm] Exit codes: [vm] 0,9,0\n", "")
    assert run.report_lines(records(100, 21940, 102), text) == [
        "numkeras-mpi: rank 1 (pid 21940 on vm) ended with exit code 9"]
    assert run.report_lines({}, text) == [
        "numkeras-mpi: a process that had not called init() (pid 21940 on vm) ended with exit code 9"]


def test_without_any_status_from_mpiexec_the_ranks_reports_name_the_rank(run):
    assert run.report_lines(records(100, 101, 102), WATCHDOGS_ENDED_IT) == [
        "numkeras-mpi: rank 1 (pid 101 on vm) sent no heartbeat for 5 s: it died or hangs "
        "(mpiexec reported no exit status for it)"]
    assert run.report_lines(records(100, 101, 102), A_RANK_RAISED) == [
        "numkeras-mpi: rank 1 (pid 101 on vm) raised RuntimeError: an error in this replica's batch "
        "(mpiexec reported no exit status for it)"]
    assert run.report_lines({}, WATCHDOGS_ENDED_IT)[0].startswith("numkeras-mpi: rank 1 (host unknown) sent no")


def test_the_ranks_reports_are_read_with_hydras_rank_prefix_and_windows_line_ends(run):
    text = A_RANK_RAISED.replace("numkeras_mpi: rank", "[1] numkeras_mpi: rank").replace("\n", "\r\n")
    assert run.report_lines(records(100, 101, 102), text) == [
        "numkeras-mpi: rank 1 (pid 101 on vm) raised RuntimeError: an error in this replica's batch "
        "(mpiexec reported no exit status for it)"]


def test_mpiexecs_statuses_outrank_the_ranks_reports(run):
    assert run.report_lines(records(100, 101, 102), WATCHDOGS_ENDED_IT + HYDRA_EXIT_3) == [
        "numkeras-mpi: rank 1 (pid 101 on vm) exited with code 3"]


def test_a_report_that_blames_no_rank_names_nobody(run):
    text = "numkeras_mpi: rank 0 on vm: stopping the job: MPI reported a broken connection on rank 0 (x)\n"
    assert run.report_lines(records(100, 101), text) == []


@given(st.lists(st.sampled_from([0, 256, 768, 9, 15]), min_size=1, max_size=6))
def test_every_failed_rank_and_only_those_are_named(run, statuses):
    ranks = records(*range(100, 100 + len(statuses)))
    text = "Exit codes: [vm] " + ",".join(map(str, statuses)) + "\n"
    named = [int(line.split()[2]) for line in run.report_lines(ranks, text)]
    failed = [rank for rank, status in enumerate(statuses) if status]
    own = [rank for rank in failed if statuses[rank] != signal.SIGKILL]
    assert named == (own or failed)


@pytest.mark.parametrize("argv, expected", [
    (["-np", "2", "python", "t.py"], (2, None, [], ["python", "t.py"])),
    (["-n", "3", "-H", "a,b", "-verbose", "python", "t.py", "-x"], (3, "a,b", ["-verbose"], ["python", "t.py", "-x"])),
])
def test_parse_arguments(run, argv, expected):
    assert run.parse_arguments(argv) == expected


@pytest.mark.parametrize("argv, says", [
    (["python", "t.py"], "give -np N"), (["-np", "0", "python"], "give -np N"),
    (["-np", "two", "python"], "needs a number of processes, got 'two'"), (["-np"], "-np needs a value"),
    (["-np", "2"], "give -np N")])
def test_bad_arguments_say_what_is_wrong(run, argv, says):
    with pytest.raises(SystemExit) as raised:
        run.parse_arguments(argv)
    assert says in str(raised.value)
