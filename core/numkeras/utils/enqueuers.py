"""Background queues that feed batches from a ``Sequence`` or a generator (Keras's enqueuers).

``OrderedEnqueuer`` runs ``sequence[i]`` on a pool of threads or processes, a
bounded number of batches ahead, and hands the batches back in order, so the
result does not depend on ``workers``. ``GeneratorEnqueuer`` runs a generator on
background threads (sharing it under a lock) or, with ``use_multiprocessing``, a
copy of it in each worker process, which is only safe for generators written for
it (each copy yields the same data unless it uses its own randomness).

Worker processes ignore SIGINT, so Ctrl-C reaches the main process, which stops the
workers on its way out. An exception raised by ``__getitem__`` or by the generator
is raised again in the main process; from a worker process, its remote traceback
is attached as ``__cause__``.
"""

import collections
import os
import queue
import signal
import sys
import threading
import time
import traceback

import numpy as np

from .random import generator as random_generator
from .sequence import Sequence

_WORKER_SEQUENCE = [None]


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _init_sequence_worker(sequence):
    _ignore_sigint()
    _WORKER_SEQUENCE[0] = sequence


def _get_item(index):
    return _WORKER_SEQUENCE[0][index]


def _process_context():
    """``fork`` where the platform has it (the Sequence need not be picklable), else the default."""
    import multiprocessing  # imported when first needed: it is slow to import

    if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class RemoteTraceback(Exception):
    """Carries the formatted traceback of an exception raised in a worker process."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return "\n\nTraceback in the worker process:\n" + self.text


class SequenceEnqueuer:
    """Base class of the enqueuers: ``start``, ``get`` (a generator of batches), ``stop``.

    Example:
        >>> enqueuer = OrderedEnqueuer(sequence, use_multiprocessing=True)
        >>> enqueuer.start(workers=4, max_queue_size=10)
        >>> batches = enqueuer.get()
        >>> for _ in range(steps):
        ...     x, y = next(batches)
        >>> enqueuer.stop()
    """

    def is_running(self):
        raise NotImplementedError

    def start(self, workers=1, max_queue_size=10):
        raise NotImplementedError

    def stop(self, timeout=None):
        raise NotImplementedError

    def get(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class OrderedEnqueuer(SequenceEnqueuer):
    """Fetches ``sequence[i]`` in the background, in order, pass after pass.

    After each complete pass it calls ``sequence.on_epoch_end()`` (in the main
    process) and, with processes, restarts them so they see the updated sequence.

    Arguments:
        sequence: a :class:`numkeras.utils.Sequence`.
        use_multiprocessing: worker processes instead of threads.
        shuffle: visit the indices of each pass in a new random order
            (from numkeras's seeded generator, see ``set_random_seed``).
    """

    def __init__(self, sequence, use_multiprocessing=False, shuffle=False):
        self.sequence = sequence
        self.use_multiprocessing = use_multiprocessing
        self.shuffle = shuffle
        self.workers = 0
        self.max_queue_size = 0
        self.executor = None
        self._batches = None

    def is_running(self):
        return self.executor is not None

    def start(self, workers=1, max_queue_size=10):
        """Starts ``workers`` threads or processes, keeping up to ``max_queue_size`` batches in flight."""
        if workers < 1:
            raise ValueError(f"OrderedEnqueuer.start needs workers >= 1, got {workers}.")
        self.workers = workers
        self.max_queue_size = max(int(max_queue_size), 1)
        self.executor = self._new_executor()

    def _new_executor(self):
        import concurrent.futures

        if self.use_multiprocessing:
            return concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=_process_context(), initializer=_init_sequence_worker,
                initargs=(self.sequence,))
        return concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="numkeras-enqueuer")

    def _submit(self, index):
        if self.use_multiprocessing:
            return self.executor.submit(_get_item, index)
        return self.executor.submit(self.sequence.__getitem__, index)

    def _pass_order(self):
        order = np.arange(len(self.sequence))
        if self.shuffle:
            random_generator().shuffle(order)
        return [int(i) for i in order]

    def get(self):
        """A generator of the sequence's batches, in order, forever (one pass after another)."""
        if not self.is_running():
            raise RuntimeError("OrderedEnqueuer.get() called before start().")
        self._batches = self._generate()
        return self._batches

    def _generate(self):
        while self.is_running():
            yield from self.pass_batches(len(self.sequence))
            self.end_pass()

    def pass_batches(self, count):
        """A generator of ``count`` batches from a new pass (or several, when ``count`` exceeds the length).

        At most ``max_queue_size`` batches are in flight, and no batch past ``count`` is
        fetched, so the sequence may change (:meth:`end_pass`) once they are consumed.
        """
        if not self.is_running():
            raise RuntimeError("OrderedEnqueuer.pass_batches() called before start().")
        indices = self._indices(count)
        pending = collections.deque()
        try:
            for index in indices:
                pending.append(self._submit(index))
                if len(pending) >= self.max_queue_size:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except GeneratorExit:  # the consumer let go of the pass: the workers stay for the next one
            for future in pending:
                future.cancel()
            raise
        except BaseException:
            for future in pending:
                future.cancel()
            self.stop()
            raise

    def _indices(self, count):
        indices = []
        while len(indices) < count:
            indices += self._pass_order()
        return indices[:count]

    def end_pass(self):
        """Calls ``sequence.on_epoch_end()`` (every batch fetched so far has been consumed).

        With processes, restarts them when the sequence overrides ``on_epoch_end``, so that
        they see the updated sequence.
        """
        self.sequence.on_epoch_end()
        if self.use_multiprocessing and self.is_running() and _overrides_on_epoch_end(self.sequence):
            self.executor.shutdown(wait=True)
            self.executor = self._new_executor()

    def stop(self, timeout=None):
        """Stops the workers (cancelling batches not started yet) and waits for them to exit."""
        executor, self.executor = self.executor, None
        batches, self._batches = self._batches, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if batches is not None:
            try:
                batches.close()
            except ValueError:  # closing it from inside itself (stop() in the except above)
                pass


def _overrides_on_epoch_end(sequence):
    return type(sequence).on_epoch_end is not Sequence.on_epoch_end


_END = "end"
_ERROR = "error"
_BATCH = "batch"


class GeneratorEnqueuer(SequenceEnqueuer):
    """Runs a generator in the background and queues its batches.

    With threads, all workers share the one generator, under a lock. With
    ``use_multiprocessing``, every worker process runs its own copy of it
    (forked), so the generator must be written for that.

    Arguments:
        generator: a generator (or any iterator) of batches.
        use_multiprocessing: worker processes instead of threads (needs ``fork``).
        wait_time: seconds between checks while waiting on a full or empty queue.
        seed: worker process ``i`` seeds NumPy's global RNG with ``seed + i``;
            without it, each worker process draws a fresh seed.
    """

    def __init__(self, generator, use_multiprocessing=False, wait_time=0.05, seed=None):
        self._generator = generator
        self._use_multiprocessing = use_multiprocessing
        self.wait_time = wait_time
        self.seed = seed
        self._workers = []
        self._stop_event = None
        self._lock = threading.Lock()
        self.queue = None

    def is_running(self):
        return self._stop_event is not None and not self._stop_event.is_set()

    def start(self, workers=1, max_queue_size=10):
        """Starts ``workers`` threads or processes filling a queue of ``max_queue_size`` batches."""
        if workers < 1:
            raise ValueError(f"GeneratorEnqueuer.start needs workers >= 1, got {workers}.")
        maxsize = max(int(max_queue_size), 1)
        if self._use_multiprocessing:
            context = _process_context()
            if context.get_start_method() != "fork":
                raise ValueError(
                    "GeneratorEnqueuer with use_multiprocessing=True needs the 'fork' start method, "
                    "which this platform lacks: generators cannot be sent to other processes. Use a "
                    "numkeras.utils.Sequence, or use_multiprocessing=False.")
            self._stop_event = context.Event()
            self.queue = context.Queue(maxsize)
            for index in range(workers):
                seed = None if self.seed is None else self.seed + index
                worker = context.Process(target=self._run_process, args=(seed,), daemon=True,
                                         name=f"numkeras-generator-{index}")
                self._workers.append(worker)
            for worker in self._workers:
                worker.start()
        else:
            self._stop_event = threading.Event()
            self.queue = queue.Queue(maxsize)
            for index in range(workers):
                worker = threading.Thread(target=self._run_thread, daemon=True,
                                          name=f"numkeras-generator-{index}")
                self._workers.append(worker)
                worker.start()

    def _put(self, item):
        while not self._stop_event.is_set():
            try:
                self.queue.put(item, timeout=self.wait_time)
                return True
            except queue.Full:
                continue
        return False

    def _run_thread(self):
        while not self._stop_event.is_set():
            try:
                with self._lock:
                    batch = next(self._generator)
            except StopIteration:
                self._put((_END, None))
                return
            except BaseException as error:  # handed to the main thread, traceback included
                self._put((_ERROR, error))
                return
            if not self._put((_BATCH, batch)):
                return

    def _run_process(self, seed):
        _ignore_sigint()
        np.random.seed(seed if seed is not None else int.from_bytes(os.urandom(4), "little"))
        iterator = iter(self._generator)
        while not self._stop_event.is_set():
            try:
                batch = next(iterator)
            except StopIteration:
                self._put((_END, None))
                break
            except BaseException as error:
                text = traceback.format_exc()
                try:
                    self._put((_ERROR, (error, text)))
                except Exception:  # the exception itself does not pickle
                    self._put((_ERROR, (None, text)))
                break
            if not self._put((_BATCH, batch)):
                break
        self.queue.close()
        self.queue.join_thread()

    def get(self):
        """A generator of batches, until every worker's generator is exhausted.

        Raises:
            The generator's exception, as soon as a worker reports it.
        """
        ended = 0
        try:
            while ended < len(self._workers):
                try:
                    kind, payload = self.queue.get(timeout=self.wait_time)
                except queue.Empty:
                    if self._use_multiprocessing and not any(w.is_alive() for w in self._workers):
                        if self.queue.empty():
                            raise RuntimeError("The generator's worker processes exited without a result.")
                    continue
                if kind == _BATCH:
                    yield payload
                elif kind == _END:
                    ended += 1
                else:
                    self._raise(payload)
        except BaseException:
            self.stop()
            raise

    def _raise(self, payload):
        if not self._use_multiprocessing:
            raise payload
        error, text = payload
        if error is None:
            raise RuntimeError("The generator raised an exception in a worker process.") from RemoteTraceback(text)
        raise error from RemoteTraceback(text)

    def stop(self, timeout=None):
        """Signals the workers to stop, and waits up to ``timeout`` seconds (processes are then killed)."""
        if self._stop_event is None:
            return
        self._stop_event.set()
        deadline = time.monotonic() + (timeout if timeout is not None else 5.0)
        for worker in self._workers:
            while worker.is_alive() and time.monotonic() < deadline:
                self._drain()  # a worker blocked on a full queue can see the stop signal
                worker.join(self.wait_time)
        if self._use_multiprocessing:
            for worker in self._workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join()
            self.queue.cancel_join_thread()
            self.queue.close()
        self._workers = []
        self._stop_event = None
        self.queue = None

    def _drain(self):
        try:
            while True:
                self.queue.get_nowait()
        except (queue.Empty, OSError, ValueError):
            pass


__all__ = ["SequenceEnqueuer", "OrderedEnqueuer", "GeneratorEnqueuer", "RemoteTraceback"]
