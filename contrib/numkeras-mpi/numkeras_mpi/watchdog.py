"""Liveness of the other ranks: a heartbeat around a ring, and failure notices to everyone.

A blocking MPI collective never returns when a peer has died or hangs, so numkeras_mpi
never blocks: every collective is non-blocking and polled (:func:`numkeras_mpi.comm.wait`),
and the poll gives up as soon as this watchdog knows of a failure.

Each rank's watchdog thread sends a heartbeat to the next rank of the ring every
``interval`` seconds and watches the previous one. A rank whose predecessor is silent
for ``timeout`` seconds declares it failed; a rank that raises declares itself failed.
A declaration is sent to every rank (one small message each, only then), so all of them
stop with the same message naming the failed rank. Messages travel on a communicator of
their own, so they never match the training's collectives.
"""

import threading
import time

BEAT, BYE, FAILED = 1, 2, 3


class Watchdog:
    """The heartbeat thread of one rank, and what it knows about failures.

    Arguments:
        comm: an mpi4py communicator used only by watchdogs (a ``Dup`` of the world),
            with ``MPI.ERRORS_RETURN`` so that a broken connection raises instead of aborting.
        interval: seconds between heartbeats.
        timeout: seconds of silence after which the predecessor counts as failed.
    """

    def __init__(self, comm, interval, timeout):
        from mpi4py import MPI

        self._mpi = MPI
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.successor = (self.rank + 1) % self.size
        self.predecessor = (self.rank - 1) % self.size
        self.interval = float(interval)
        self.timeout = float(timeout)
        self.failure = None  # the message naming the failed rank, once one is known
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._last_heard = time.monotonic()
        self._predecessor_done = False
        self._sends = []
        self._thread = threading.Thread(target=self._run, name="numkeras_mpi-watchdog", daemon=True)

    def start(self):
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self):
        """Sends one heartbeat, reads what arrived, and declares a silent predecessor failed."""
        with self._lock:
            if self.failure is not None:
                return
            try:
                self._send(self.successor, BEAT, None)
                self._receive()
            except self._mpi.Exception as error:
                self._declare_locked(f"MPI reported a broken connection on rank {self.rank} ({error})")
                return
            silent = time.monotonic() - self._last_heard
            if not self._predecessor_done and silent > self.timeout:
                self._declare_locked(f"rank {self.predecessor} sent no heartbeat for {silent:.0f} s "
                                     f"(limit {self.timeout:g} s): it died or hangs")

    def declare(self, message):
        """Records ``message`` as this job's failure and tells every other rank (once)."""
        with self._lock:
            self._declare_locked(message)

    def _declare_locked(self, message):
        if self.failure is not None:
            return
        self.failure = message
        for peer in range(self.size):
            if peer != self.rank:
                try:
                    self._send(peer, FAILED, message)
                except self._mpi.Exception:
                    pass  # that peer is the broken one; the others still hear

    def flush(self, seconds):
        """Gives the sends in flight up to ``seconds`` to leave (before this process aborts)."""
        deadline = time.monotonic() + seconds
        with self._lock:
            while self._sends and time.monotonic() < deadline:
                self._reap()
                time.sleep(0.001)

    def _send(self, peer, tag, payload):
        self._sends.append(self.comm.isend(payload, dest=peer, tag=tag))
        self._reap()

    def _reap(self):
        self._sends = [request for request in self._sends if not request.Test()]

    def _receive(self):
        status = self._mpi.Status()
        while self.comm.Iprobe(source=self._mpi.ANY_SOURCE, tag=self._mpi.ANY_TAG, status=status):
            source, tag = status.Get_source(), status.Get_tag()
            payload = self.comm.recv(source=source, tag=tag)
            if tag == FAILED and self.failure is None:
                self.failure = payload
            elif source == self.predecessor:
                self._last_heard = time.monotonic()
                self._predecessor_done = self._predecessor_done or tag == BYE

    def stop(self):
        """Ends the heartbeat cleanly: says goodbye to the successor and waits for the predecessor's.

        Returns False when the predecessor did not say goodbye within ``timeout``.
        """
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._lock:
            if self.failure is not None:
                return False
            try:
                self._send(self.successor, BYE, None)
                deadline = time.monotonic() + self.timeout
                while time.monotonic() < deadline and (self._sends or not self._predecessor_done):
                    self._receive()
                    self._reap()
                    time.sleep(0.001)
            except self._mpi.Exception:
                return False
            return self._predecessor_done and not self._sends
