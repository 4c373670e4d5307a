"""``python -m numkeras_mpi.run -np N python train.py``: mpiexec, plus a report naming the ranks that died.

A rank killed outright (SIGKILL, the kernel's out-of-memory killer) cannot tell anyone it
is dying, and MPICH's ``mpiexec`` (hydra) ends the whole job about a second later,
reporting at best a process ID, and often the ID of a process that its own clean-up
killed. This launcher runs the same ``mpiexec`` and fills the gap:

* it creates a directory and names it to the ranks in ``$NUMKERAS_MPI_RANKS_DIR``;
  :func:`numkeras_mpi.init` writes one small file per rank there (rank, pid, host);
* it asks hydra for every process's exit status (``-print-all-exitcodes``);
* when the job ends badly it prints one line per failed process, e.g.
  ``numkeras-mpi: rank 1 (pid 1234 on node7) was killed by signal 9 (SIGKILL)``,
  and exits with ``mpiexec``'s status. The directory is removed in every case;
* when hydra reports no process that failed by itself (a rank raised and aborted, or,
  rarely and only seen on a loaded CI machine, hydra missed a rank's death and the job
  ended by the other ranks' heartbeat watchdogs), the line comes from the ranks' own
  reports: ``numkeras-mpi: rank 1 (pid 1234 on node7) sent no heartbeat for 30 s: it died
  or hangs (mpiexec reported no exit status for it)``.

Options before the command: ``-np N`` / ``-n N``, ``--host H1,H2`` / ``-H``; any other
option starting with ``-`` is passed to ``mpiexec`` as it is. ``$MPIEXEC`` names the
``mpiexec`` to run (default: the one beside this Python, else the one on ``PATH``).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from .rank_records import RANKS_DIR_VARIABLE, read_ranks


USAGE = """usage: python -m numkeras_mpi.run -np N [--host H1,H2,...] [mpiexec options] command [args ...]

Runs `mpiexec -n N command args` and, when the job fails, names the ranks that died or
failed, with their pid, host and signal or exit code. $MPIEXEC selects the mpiexec."""


# -- what mpiexec says ---------------------------------------------------------------------
def find_mpiexec():
    """``$MPIEXEC``, else the ``mpiexec`` beside this Python (pip's mpich wheel puts it there), else PATH's."""
    named = os.environ.get("MPIEXEC")
    if named:
        return named
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.exists(beside) else shutil.which("mpiexec")


def is_hydra(mpiexec):
    """Whether ``mpiexec`` is MPICH's hydra (which understands ``-print-all-exitcodes``)."""
    try:
        result = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return "HYDRA" in result.stdout + result.stderr


def parse_exit_codes(output):
    """``{host: [wait status of each of its processes, in rank order]}`` from hydra's ``Exit codes:`` line.

    Hydra prints a raw wait status for a process that exited (``768`` is exit code 3) and
    the signal number for one that was killed by a signal (``9``).
    """
    lines = re.findall(r"Exit codes: (.*)", output)
    if not lines:
        return {}
    return {host: [int(code) for code in codes.split(",") if code.strip()]
            for host, codes in re.findall(r"\[([^\]]+)\]\s*([-\d,]+)", lines[-1])}


def describe(status):
    """``'was killed by signal 9 (SIGKILL)'`` or ``'exited with code 3'`` for one of hydra's statuses."""
    if 0 < status < 128:
        try:
            name = f" ({signal.Signals(status).name})"
        except ValueError:
            name = ""
        return f"was killed by signal {status}{name}"
    return f"exited with code {status >> 8}"


# -- the report ----------------------------------------------------------------------------
def failures(ranks, statuses):
    """``[(rank, record, status)]`` of the processes that failed by themselves, as far as can be told.

    ``mpiexec`` ends the remaining processes with SIGKILL once one fails, so a SIGKILL is the
    cause only when no process failed in another way (and then it cannot tell which came first).
    """
    by_rank = {}
    record_hosts = {record["host"] for record in ranks.values()}
    for host, codes in statuses.items():
        if host not in record_hosts and len(statuses) == len(record_hosts) == 1:
            host = next(iter(record_hosts))  # one host, named by mpiexec otherwise (an address, a short name)
        on_host = sorted(r for r, record in ranks.items() if record["host"] == host)
        for rank, status in zip(on_host, codes):
            by_rank[rank] = status
    failed = {rank: status for rank, status in by_rank.items() if status != 0}
    own = {rank: status for rank, status in failed.items() if status != signal.SIGKILL}
    chosen = own or failed
    return [(rank, ranks.get(rank), chosen[rank]) for rank in sorted(chosen)]


def report_lines(ranks, output):
    """The lines naming the failed processes, from the rank records and ``mpiexec``'s output."""
    lines = []
    failed = failures(ranks, parse_exit_codes(output))
    # several SIGKILLs: mpiexec's clean-up killed all but one of them, and its statuses cannot tell which
    unsure = len(failed) > 1 and all(status == signal.SIGKILL for _, _, status in failed)
    for rank, record, status in failed:
        where = f"pid {record['pid']} on {record['host']}" if record else "host unknown"
        fate = describe(status)
        fate += " (or mpiexec killed it when another rank died)" if unsure else ""
        lines.append(f"numkeras-mpi: rank {rank} ({where}) {fate}")
    if not lines:  # no per-rank statuses (not hydra, or it printed none): translate its PID report
        pid_to_rank = {record["pid"]: rank for rank, record in ranks.items()}
        for pid, host, code in re.findall(r"PID (\d+) RUNNING AT (\S+)\s*=\s*EXIT CODE: (\d+)", output):
            rank = pid_to_rank.get(int(pid))
            name = f"rank {rank}" if rank is not None else "a process that had not called init()"
            lines.append(f"numkeras-mpi: {name} (pid {pid} on {host}) ended with exit code {code}")
    if not lines:  # mpiexec saw no process fail by itself: the ranks' own reports name the one they stopped for
        for rank, fate in blamed_by_the_ranks(output):
            record = ranks.get(rank)
            where = f"pid {record['pid']} on {record['host']}" if record else "host unknown"
            lines.append(f"numkeras-mpi: rank {rank} ({where}) {fate} (mpiexec reported no exit status for it)")
    return lines


def blamed_by_the_ranks(output):
    """``[(rank, what it did)]`` from the ranks' ``stopping the job:`` reports, first report first.

    Hydra ends the job by itself only when it sees a process fail; when it does not (a rank
    that raised and aborted, or one whose death hydra missed, as on a loaded CI machine), the
    job ends with the survivors' watchdogs, whose reports name the rank that raised or went
    silent.
    """
    blamed = {}
    # (hydra's -l / -prepend-rank put "[r] " before each line)
    for message in re.findall(r"^(?:\[[^\]\n]*\]\s*)?numkeras_mpi: rank \d+ on \S+: stopping the job: ([^\r\n]*)",
                              output, re.MULTILINE):
        found = re.search(r"rank (\d+) (raised .*|sent no heartbeat for \d+ s)", message)
        if found:
            fate = found.group(2)
            fate += ": it died or hangs" if fate.startswith("sent no heartbeat") else ""
            blamed.setdefault(int(found.group(1)), fate)
    return list(blamed.items())


# -- the launcher --------------------------------------------------------------------------
def parse_arguments(argv):
    """``(processes, hosts, other mpiexec options, command)``; raises SystemExit with the usage."""
    processes, hosts, extra = None, None, []
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        option = argv[index]
        if option in ("-h", "--help"):
            print(USAGE)
            raise SystemExit(0)
        if option in ("-np", "-n", "--np", "-H", "--host", "-host"):
            if index + 1 >= len(argv):
                raise SystemExit(f"numkeras-mpi: {option} needs a value\n{USAGE}")
            value = argv[index + 1]
            if option in ("-H", "--host", "-host"):
                hosts = value
            else:
                try:
                    processes = int(value)
                except ValueError:
                    raise SystemExit(f"numkeras-mpi: {option} needs a number of processes, got {value!r}") from None
            index += 2
        else:
            extra.append(option)
            index += 1
    command = argv[index:]
    if processes is None or processes < 1 or not command:
        raise SystemExit(f"numkeras-mpi: give -np N (N >= 1) and a command\n{USAGE}")
    return processes, hosts, extra, command


def _pump(source, sink, keep):
    """Copies ``source`` to ``sink`` as it arrives, keeping the last 64 KiB in ``keep`` for the report."""
    while True:
        chunk = os.read(source.fileno(), 65536)
        if not chunk:
            return
        sink.write(chunk)
        sink.flush()
        keep.append(chunk)
        while sum(map(len, keep)) > 65536 and len(keep) > 1:
            keep.pop(0)


def main(argv=None):
    processes, hosts, extra, command = parse_arguments(sys.argv[1:] if argv is None else argv)
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise SystemExit("numkeras-mpi: no mpiexec found (pip install mpich, or set $MPIEXEC)")
    arguments = [mpiexec, "-n", str(processes)] + (["-hosts", hosts] if hosts else [])
    if is_hydra(mpiexec):
        arguments.append("-print-all-exitcodes")
    directory = tempfile.mkdtemp(prefix="numkeras-mpi-ranks-")
    try:
        environment = dict(os.environ, **{RANKS_DIR_VARIABLE: directory})
        job = subprocess.Popen(arguments + extra + command, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kept = {"out": [], "err": []}
        pumps = [threading.Thread(target=_pump, args=(job.stdout, sys.stdout.buffer, kept["out"]), daemon=True),
                 threading.Thread(target=_pump, args=(job.stderr, sys.stderr.buffer, kept["err"]), daemon=True)]
        for pump in pumps:
            pump.start()
        previous = signal.signal(signal.SIGTERM, lambda number, frame: job.send_signal(number))
        try:
            status = job.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)
        for pump in pumps:
            pump.join()
        if status != 0:
            output = (b"".join(kept["out"]) + b"\n" + b"".join(kept["err"])).decode("utf-8", "replace")
            lines = report_lines(read_ranks(directory), output)
            sys.stderr.write("".join(line + "\n" for line in lines))
            sys.stderr.flush()
        return status if status >= 0 else 128 - status
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
