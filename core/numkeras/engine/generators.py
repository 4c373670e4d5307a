"""Data adapters for generators, ``Sequence``s and step-limited arrays, for the one training loop.

Every adapter has the interface of :class:`~numkeras.engine.data_adapter.ArrayBatches`
that the loops of :mod:`numkeras.engine.loop` consume (through :func:`numkeras.engine.data_adapter.adapt`):
``steps``, ``num_samples`` (None when unknown) and ``epoch()``, which yields
``(xs, ys, ws)`` lists for one epoch; plus ``close()``, which stops background
workers (call it through :func:`closing`).

Semantics (Keras 2.2):

- A generator must yield ``(x, y)`` or ``(x, y, sample_weight)`` for ``fit`` /
  ``evaluate`` (``x`` alone, or a tuple whose first item is ``x``, for ``predict``);
  ``steps_per_epoch`` (``validation_steps``, ``steps``) is required, since a
  generator has no length. A ``Sequence``'s default is ``len(sequence)``.
- The generator is shared by all epochs: epoch 2 continues where epoch 1 stopped.
- ``workers=0`` runs the generator in the main thread; ``workers >= 1`` uses a
  background queue (:class:`~numkeras.utils.data_utils.OrderedEnqueuer` for a
  Sequence, which keeps order, :class:`~numkeras.utils.data_utils.GeneratorEnqueuer`
  for a generator), of threads, or of processes with ``use_multiprocessing=True``.
- A ``Sequence`` starts a new (reshuffled, with ``shuffle``) pass every epoch, and its
  ``on_epoch_end()`` runs once after every epoch, for training and validation data,
  with any number of workers.
- A generator that runs out of data before ``steps`` ends the epoch early with a
  warning and, in ``fit``, stops training.
"""

import contextlib
import inspect
import warnings

import numpy as np

from ..utils.data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence
from ..utils.random import generator as random_generator


def is_generator_like(data):
    """Whether ``data`` is a generator, an iterator or a ``Sequence`` rather than arrays."""
    if data is None or isinstance(data, (np.ndarray, list, tuple, dict, str, bytes)):
        return False
    if isinstance(data, Sequence) or inspect.isgenerator(data):
        return True
    return hasattr(data, "__next__") and hasattr(data, "__iter__") and not hasattr(data, "shape")


def unpack(output, mode, where="generator"):
    """``(x, y, sample_weight)`` from one generator output (``mode``: 'train', 'test' or 'predict')."""
    if mode == "predict":
        if isinstance(output, tuple) and len(output) in (1, 2, 3):
            return output[0], None, None
        return output, None, None
    if not isinstance(output, tuple) or len(output) not in (2, 3):
        described = f"a {type(output).__name__}" + (f" of length {len(output)}" if hasattr(output, "__len__") else "")
        raise ValueError(
            f"Output of {where} should be a tuple (x, y, sample_weight) or (x, y). Found: {described}. "
            f"(A list is taken to be the inputs of a multi-input model, not (x, y).)"
        )
    return output[0], output[1], output[2] if len(output) == 3 else None


@contextlib.contextmanager
def closing(*adapters):
    """Closes every adapter that has a ``close()`` (stopping its workers) when the block exits."""
    try:
        yield
    finally:
        for adapter in adapters:
            close = getattr(adapter, "close", None)
            if close is not None:
                close()


class GeneratorBatches:
    """Batches from a generator or a ``Sequence``, standardized by the model like arrays are.

    Arguments:
        model: the model (its ``_prepare`` checks and converts each batch).
        data: a generator, an iterator or a :class:`~numkeras.utils.Sequence`.
        steps: batches per epoch; required unless ``data`` is a Sequence.
        mode: ``'train'``, ``'test'`` or ``'predict'``.
        steps_name: the argument to name in errors (``'steps_per_epoch'`` …).
        class_weight: ``{class: weight}`` applied to the targets (training).
        shuffle: visit a Sequence's batches in a new order each pass.
        workers: background workers; 0 runs the generator in the main thread.
        use_multiprocessing: processes instead of threads.
        max_queue_size: batches prepared ahead.
    """

    def __init__(self, model, data, steps=None, mode="train", steps_name="steps_per_epoch", class_weight=None,
                 shuffle=False, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.model = model
        self.data = data
        self.mode = mode
        self.class_weight = class_weight
        self.is_sequence = isinstance(data, Sequence)
        if steps is None:
            if not self.is_sequence:
                raise ValueError(
                    f"{steps_name}=None is only valid for a generator based on the "
                    f"numkeras.utils.Sequence class. Please specify {steps_name} or use the Sequence class."
                )
            steps = len(data)
        steps = int(steps)
        if steps < 1:
            raise ValueError(f"{steps_name} must be a positive integer, got {steps}.")
        if workers is None or workers < 0:
            raise ValueError(f"workers must be an integer >= 0, got {workers!r}.")
        self.steps = steps
        self.num_samples = None
        self.shuffle = bool(shuffle) and self.is_sequence
        self.workers = int(workers)
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size
        self.exhausted = False
        self._enqueuer = None
        self._iterator = None
        self._started = False
        self._peeked = None

    def _start(self):
        """Starts the background workers (if any); a generator's batches flow from then on."""
        if self.workers > 0:
            if self.is_sequence:
                self._enqueuer = OrderedEnqueuer(self.data, use_multiprocessing=self.use_multiprocessing,
                                                 shuffle=self.shuffle)
            else:
                self._enqueuer = GeneratorEnqueuer(self.data, use_multiprocessing=self.use_multiprocessing)
            self._enqueuer.start(workers=self.workers, max_queue_size=self.max_queue_size)
            if not self.is_sequence:
                self._iterator = self._enqueuer.get()
        elif not self.is_sequence:
            self._iterator = iter(self.data)
        self._started = True

    def _next_pass(self):
        """The batches of one epoch of a Sequence: ``steps`` of them, from a new (shuffled) pass."""
        if self._enqueuer is not None:
            return self._enqueuer.pass_batches(self.steps)
        return (self.data[index] for index in self._indices())

    def _indices(self):
        indices = []
        while len(indices) < self.steps:
            order = np.arange(len(self.data))
            if self.shuffle:
                random_generator().shuffle(order)
            indices += [int(i) for i in order]
        return indices[:self.steps]

    def _prepare(self, output):
        x, y, sample_weight = unpack(output, self.mode)
        need_targets = self.mode != "predict"
        return self.model._prepare(x, y, sample_weight, self.class_weight if need_targets else None,
                                   need_targets=need_targets)

    def _batches(self):
        """Where this epoch's raw batches come from: the Sequence's new pass, or the shared generator."""
        if not self._started:
            self._start()
        if self.is_sequence:
            if self._iterator is None:
                self._iterator = self._next_pass()
        return self._iterator

    def peek(self):
        """Fetches and standardizes the first batch now; the next ``epoch()`` yields it first.

        A subclassed model learns its input shapes (and finishes ``compile``) from it.
        """
        if self._peeked is None:
            try:
                output = next(self._batches())
            except StopIteration:
                raise ValueError("The generator yielded no batch at all.") from None
            self._peeked = self._prepare(output)
        return self._peeked

    def epoch(self):
        """One epoch: ``steps`` standardized ``(xs, ys, ws)`` batches.

        A Sequence starts a new pass every epoch and its ``on_epoch_end()`` runs once the
        epoch's batches have been consumed; a generator continues where the last epoch stopped.
        """
        batches = self._batches()
        for step in range(self.steps):
            if self._peeked is not None:
                batch, self._peeked = self._peeked, None
                yield batch
                continue
            try:
                output = next(batches)
            except StopIteration:
                self._ran_out(step)
                return
            yield self._prepare(output)
        if self.is_sequence:
            self._iterator = None
            if self._enqueuer is not None:
                self._enqueuer.end_pass()
            else:
                self.data.on_epoch_end()

    def _ran_out(self, step):
        self.exhausted = True
        warnings.warn(
            f"Your generator ran out of data after {step} of {self.steps} steps"
            + ("; interrupting training. Make sure it can generate at least steps_per_epoch * epochs "
               "batches (a generator must loop forever)." if self.mode == "train" else "."),
            UserWarning, stacklevel=3,
        )
        if self.mode == "train":
            self.model.stop_training = True

    def close(self):
        """Stops the background workers, if any."""
        if self._enqueuer is not None:
            self._enqueuer.stop()
            self._enqueuer = None
        self._iterator = None
        self._started = False


def build_from_first_batch(model, batches, what):
    """A model that does not know its inputs yet (subclassed) is built from the first generator batch."""
    if isinstance(batches, GeneratorBatches) and (not model.inputs or model.objective is None):
        batches.peek()
    if what is not None:
        model._require_compiled(what)


class StepBatches:
    """Array batches with a fixed number of steps per epoch (``steps_per_epoch`` / ``validation_steps``).

    Training (``resume=True``) continues where the previous epoch stopped and
    starts a new (reshuffled) pass over the arrays whenever one ends; evaluation
    (``resume=False``) uses the first ``steps`` batches of each pass.
    """

    def __init__(self, batches, steps, resume=True, steps_name="steps_per_epoch"):
        if steps is None or int(steps) < 1:
            raise ValueError(f"{steps_name} must be a positive integer, got {steps!r}.")
        self.batches = batches
        self.steps = int(steps) if resume else min(int(steps), batches.steps)
        self.num_samples = None
        self.resume = resume
        self._stream = None

    def _passes(self):
        while True:
            yield from self.batches.epoch()

    def epoch(self):
        if not self.resume:
            for step, batch in enumerate(self.batches.epoch()):
                if step >= self.steps:
                    return
                yield batch
            return
        if self._stream is None:
            self._stream = self._passes()
        for _ in range(self.steps):
            yield next(self._stream)


__all__ = ["is_generator_like", "unpack", "closing", "GeneratorBatches", "StepBatches", "build_from_first_batch"]
