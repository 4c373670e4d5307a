"""``Model``: a ``Network`` that can be compiled, trained, evaluated and used for prediction.

This module holds what the user calls: the arguments of ``compile`` / ``fit`` /
``evaluate`` / ``predict`` and their checks, Keras 1 names, and building a model
from its first data. The batches come from :mod:`~numkeras.engine.data_adapter`,
the loops and steps are in :mod:`~numkeras.engine.loop`, and the weighted, masked
losses and metrics in :mod:`~numkeras.engine.objective`.
"""

import numpy as np

from .. import backend as K
from .. import optimizers as optimizers_module
from ..registry import registry
from ..utils import legacy
from . import arguments, data_adapter, generators, loop
from .functional import Network
from .objective import Objective


class Model(Network):
    """A model: layers plus training. Build it functionally, as ``Sequential``, or by subclassing.

    Functional::

        inputs = Input(shape=(784,))
        x = Dense(64, activation='relu')(inputs)
        outputs = Dense(10, activation='softmax')(x)
        model = Model(inputs=inputs, outputs=outputs)

    Subclassed::

        class MyModel(Model):
            def __init__(self):
                super().__init__(name='my_model')
                self.dense_1 = Dense(32, activation='relu')
                self.dense_2 = Dense(10, activation='softmax')

            def call(self, inputs):
                return self.dense_2(self.dense_1(inputs))
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.optimizer = None
        self.objective = None
        self.stop_training = False
        self.history = None
        self._check_numerics = False

    # -- building ---------------------------------------------------------------------
    def _ensure_graph(self, xs):
        """Subclassed models (and deferred Sequential) learn their input shapes from the first data."""
        if self._is_graph_network:
            return
        from .input_layer import Input

        inputs = [Input(batch_shape=(None,) + tuple(x.shape[1:]), dtype=x.dtype if x.dtype.kind == "f" else None) for x in xs]
        self._build_from_inputs(inputs)

    def _build_from_inputs(self, inputs):
        """Subclassed models: runs ``call`` once eagerly to build the layers, then records output shapes."""
        arrays = [np.zeros((1,) + tuple(t.shape[1:]), dtype=t.dtype) for t in inputs]
        with K.no_tape():
            outputs = self(arrays if len(arrays) > 1 else arrays[0], training=False)
        self._clear_call_losses()
        outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        self._subclass_inputs = inputs
        self._subclass_output_shapes = [(None,) + tuple(o.shape[1:]) for o in outs]
        self.inputs = inputs
        self.input_names = [f"input_{i + 1}" for i in range(len(inputs))]
        self.output_names = [f"output_{i + 1}" for i in range(len(outs))]
        from .base_layer import KerasTensor

        self.outputs = [KerasTensor(s, history=(self, 0, i)) for i, s in enumerate(self._subclass_output_shapes)]
        self._subclass_outputs_nested = isinstance(outputs, (list, tuple))
        self.built = True

    def __call__(self, inputs, **kwargs):
        if not self._is_graph_network and not self.built and not _symbolic(inputs):
            self.built = True  # subclassed: layers build on their first call inside call()
        return super().__call__(inputs, **kwargs)

    def build(self, input_shape=None):
        """Builds a subclassed model for ``input_shape`` (with the batch axis)."""
        if self._is_graph_network or input_shape is None:
            self.built = True
            return
        from .input_layer import Input

        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        self._build_from_inputs([Input(batch_shape=tuple(s)) for s in shapes])

    # -- compile -------------------------------------------------------------------------
    @legacy.renames(legacy.COMPILE, owner="Model.compile")
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, target_tensors=None,
                check_numerics=False, **kwargs):
        """Configures the model for training.

        Arguments:
            optimizer: name (``'sgd'``, ``'adam'`` …) or Optimizer instance.
            loss: name, function or Loss; for several outputs a list or a dict by output name.
            metrics: list of names / functions / Metric instances (``'acc'`` picks the right
                accuracy for the loss), or a dict / list of lists per output.
            loss_weights: per-output weights of the total loss (list or dict).
            sample_weight_mode: ``None`` or ``'temporal'`` (2D sample weights), per output.
            weighted_metrics: metrics computed with sample weights.
            check_numerics: reject NaN / infinite inputs and targets in fit / evaluate.

        Raises:
            ValueError: unknown names (with close matches), losses not matching the outputs.
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword argument(s): {sorted(kwargs)}.")
        arguments.check_compile(optimizer, loss, metrics, loss_weights, sample_weight_mode, weighted_metrics,
                                check_numerics)
        if not self._is_graph_network and not self.built:
            self._pending_compile = dict(optimizer=optimizer, loss=loss, metrics=metrics,
                                         loss_weights=loss_weights, sample_weight_mode=sample_weight_mode,
                                         weighted_metrics=weighted_metrics, check_numerics=check_numerics)
            self.optimizer = optimizers_module.get(optimizer)
            self.loss = loss
            return
        self._pending_compile = None
        optimizer = optimizers_module.get(optimizer)
        objective = Objective(self.output_names, [t.shape for t in self.outputs], loss, metrics, loss_weights,
                              weighted_metrics, sample_weight_mode,
                              has_graph_losses=bool(getattr(self, "_graph_losses", None)))
        self.optimizer = optimizer
        self.objective = objective
        self.loss = loss
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode
        self.metrics_names = objective.metric_names()
        self._check_numerics = check_numerics
        self._compile_args = dict(loss=loss, metrics=metrics, loss_weights=loss_weights,
                                  sample_weight_mode=sample_weight_mode, weighted_metrics=weighted_metrics)

    def _finish_pending_compile(self):
        pending = getattr(self, "_pending_compile", None)
        if pending:
            pending = dict(pending)
            pending["optimizer"] = self.optimizer
            self.compile(**pending)

    def _require_compiled(self, what):
        self._finish_pending_compile()
        if self.objective is None and not getattr(self, "_pending_compile", None):
            raise RuntimeError(
                f"You must compile the model before {what}: call model.compile(optimizer, loss) first."
            )

    @property
    def metrics(self):
        return [m.metric for m in self.objective.metrics] if self.objective else []

    # -- data ------------------------------------------------------------------------------
    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, need_targets=True):
        """``(xs, ys, ws)``: the inputs, targets and sample weights as checked lists of arrays, one per input/output.

        A subclassed model (or a Sequential without an input shape) is built from ``x`` first.
        """
        self._finish_pending_compile()
        if x is None:
            raise ValueError("No input data given: pass x (a NumPy array, a list of arrays or a dict).")
        if not self._is_graph_network and not self.inputs:
            raw = x if isinstance(x, (list, tuple)) else [x]
            self._ensure_graph([data_adapter.as_array(a) for a in raw])
            self._finish_pending_compile()
        xs = data_adapter.standardize(x, self.input_names, [t.shape for t in self.inputs], "input",
                                      dtype=np.dtype(K.floatx()))
        ys, ws = [None] * len(self.outputs), [None] * len(self.outputs)
        if need_targets and y is None and self.objective is not None \
                and all(loss is None for loss in self.objective.losses):
            need_targets = False  # every loss was added with add_loss: nothing to compare outputs with
        if need_targets:
            if y is None:
                raise ValueError("No target data given: pass y (the targets) as well as x.")
            output_shapes = [t.shape for t in self.outputs]
            ys = data_adapter.standardize(y, self.output_names, output_shapes, "target", check_shapes=False)
            self.objective.check_targets(ys, output_shapes)
            ys = [y if y is None or y.dtype.kind != "f" else y.astype(K.floatx(), copy=False) for y in ys]
            ws = data_adapter.standardize_sample_weights(
                sample_weight, class_weight, ys, self.output_names, self.objective.sample_weight_modes)
        data_adapter.check_lengths(xs, ys, ws)
        if need_targets and xs and len(xs[0]) == 0:
            raise ValueError(
                "The input data has 0 samples: there is nothing to train on or evaluate. Check how x was "
                "built (an empty slice, a filter that matched nothing).")
        if self._check_numerics and need_targets:
            data_adapter.check_finite(xs, "Input")
            data_adapter.check_finite([y for y in ys if y is not None], "Target")
        return xs, ys, ws

    # -- fit ---------------------------------------------------------------------------------
    @legacy.renames(legacy.FIT, owner="Model.fit")
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_freq=1, validation_batch_size=None, max_queue_size=10, workers=1,
            use_multiprocessing=False, **kwargs):
        """Trains the model for ``epochs`` epochs.

        Arguments:
            x, y: input and target arrays (or lists / dicts of them, one per input / output);
                or ``x`` a generator or ``numkeras.utils.Sequence`` yielding ``(x, y)`` or
                ``(x, y, sample_weight)`` batches, and no ``y``.
            batch_size: samples per gradient update (default 32).
            epochs: the index of the last epoch (training runs ``initial_epoch`` … ``epochs - 1``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: list of Callback instances.
            validation_split: the last fraction of x/y held out for validation (before shuffling).
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, val_sample_weights)``, or a
                generator / Sequence.
            shuffle: shuffle samples each epoch (``'batch'``: shuffle batch-sized chunks); for a
                Sequence, shuffle the order of its batches.
            class_weight: ``{class: weight}`` (or a list / 1-D array of weights indexed by
                class, as scikit-learn's ``compute_class_weight`` returns) to weight the loss
                per class; for several outputs, a dict by output name or a list of those.
            sample_weight: per-sample loss weights (2D with ``sample_weight_mode='temporal'``).
            initial_epoch: the epoch to start from (to resume training).
            steps_per_epoch: batches per epoch. Required for a generator (a Sequence defaults to
                its length); with arrays, each epoch continues where the last one stopped.
            validation_steps: validation batches per validation pass (generators, or the first
                ones of the validation arrays).
            validation_freq: validate every N epochs (int) or at the listed epochs (1-based).
            validation_batch_size: batch size of the validation arrays (default ``batch_size``).
            max_queue_size, workers, use_multiprocessing: the background queue of a generator or
                Sequence: batches prepared ahead, worker threads (processes with
                ``use_multiprocessing=True``); ``workers=0`` runs it in the main thread.

        Returns:
            A ``History`` callback whose ``history`` dict maps each log key to per-epoch values.

        Keras 1 spelling ``nb_epoch`` is accepted with a DeprecationWarning; Keras 0.x's
        ``show_accuracy`` too, and ignored (it has no effect: compile with
        ``metrics=['accuracy']``). ``compile`` likewise ignores ``class_mode``.
        """
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword argument(s): {sorted(kwargs)}.")
        arguments.check_call("fit", arguments.FIT, dict(
            batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
            validation_split=validation_split, shuffle=shuffle, class_weight=class_weight,
            initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
            validation_freq=validation_freq, validation_batch_size=validation_batch_size,
            max_queue_size=max_queue_size, workers=workers, use_multiprocessing=use_multiprocessing))
        verbose = arguments.verbosity(verbose)
        self._require_compiled("training it")
        queue = dict(max_queue_size=max_queue_size, workers=workers, use_multiprocessing=use_multiprocessing)
        if generators.is_generator_like(x) and validation_split:
            raise ValueError(
                "When x is a generator or a Sequence, there is nothing to split: pass no "
                "validation_split (use validation_data).")
        validation = None
        if validation_split and validation_data is None and not generators.is_generator_like(x):
            arrays = self._prepare(x, y, sample_weight, class_weight)
            arrays, validation = data_adapter.split_validation(arrays, validation_split)
            train = data_adapter.batches_of(arrays, batch_size, steps_per_epoch, "train", "steps_per_epoch",
                                            shuffle)
        else:
            train = data_adapter.adapt(self, x, y, sample_weight, class_weight, batch_size, steps_per_epoch,
                                       "train", "steps_per_epoch", shuffle, **queue)
        if validation is not None:
            val = data_adapter.batches_of(validation, validation_batch_size or batch_size, validation_steps,
                                          "test", "validation_steps")
        elif validation_data is not None:
            val_x, val_y, val_w = _unpack_validation_data(validation_data)
            val = data_adapter.adapt(self, val_x, val_y, val_w, None, validation_batch_size or batch_size,
                                     validation_steps, "test", "validation_steps", **queue)
        else:
            val = None
        with generators.closing(train, val):
            generators.build_from_first_batch(self, train, "training it")
            self.history = registry("callbacks").resolve("History")()
            do_validation = val is not None
            params = {
                "batch_size": batch_size if batch_size is not None else 32, "epochs": epochs, "steps": train.steps,
                "samples": train.num_samples, "verbose": verbose, "do_validation": do_validation,
                "metrics": self.metrics_names + (["val_" + n for n in self.metrics_names] if do_validation else []),
                "val_samples": getattr(val, "num_samples", None),
            }
            count_mode = "samples" if train.num_samples else "steps"
            callback_list = loop.callbacks_for(self, callbacks, verbose, params, count_mode, self.history)
            loop.fit_loop(self, train, callback_list, epochs, initial_epoch, val, validation_freq)
        return self.history

    # -- evaluate / predict ----------------------------------------------------------------
    @legacy.renames(legacy.EVALUATE, owner="Model.evaluate")
    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, max_queue_size=10, workers=1, use_multiprocessing=False,
                 **kwargs):
        """Loss and metrics on the given data, in ``model.metrics_names`` order.

        ``x`` may be a generator or ``Sequence`` of ``(x, y)`` / ``(x, y, sample_weight)``
        batches (``steps`` batches; a Sequence defaults to its length); with arrays,
        ``steps`` evaluates only the first ``steps`` batches.

        Returns:
            A scalar (no metrics), a list of scalars, or a dict with ``return_dict=True``.
        """
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword argument(s): {sorted(kwargs)}.")
        arguments.check_call("evaluate", arguments.EVALUATE, dict(
            batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks, return_dict=return_dict,
            max_queue_size=max_queue_size, workers=workers, use_multiprocessing=use_multiprocessing))
        verbose = arguments.verbosity(verbose)
        self._require_compiled("evaluating it")
        batches = data_adapter.adapt(self, x, y, sample_weight, None, batch_size, steps, "test", "steps",
                                     max_queue_size=max_queue_size, workers=workers,
                                     use_multiprocessing=use_multiprocessing)
        with generators.closing(batches):
            generators.build_from_first_batch(self, batches, "evaluating it")
            params = {"steps": batches.steps, "verbose": verbose, "metrics": self.metrics_names,
                      "samples": batches.num_samples}
            callback_list = loop.callbacks_for(self, callbacks, verbose == 1, params)
            results = loop.evaluate_loop(self, batches, callback_list)
        if return_dict:
            return results
        return self._logs_to_result(results)

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None, max_queue_size=10,
                workers=1, use_multiprocessing=False, **kwargs):
        """Output predictions for ``x``, batch by batch, with the tape off.

        ``x`` may be a generator or ``Sequence`` (of ``x`` or ``(x, ...)`` batches; ``steps``
        batches, a Sequence defaults to its length).

        Returns:
            An array (one output) or a list of arrays (several outputs).
        """
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword argument(s): {sorted(kwargs)}.")
        arguments.check_call("predict", arguments.PREDICT, dict(
            batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks,
            max_queue_size=max_queue_size, workers=workers, use_multiprocessing=use_multiprocessing))
        verbose = arguments.verbosity(verbose)
        batches = data_adapter.adapt(self, x, None, None, None, batch_size, steps, "predict", "steps",
                                     max_queue_size=max_queue_size, workers=workers,
                                     use_multiprocessing=use_multiprocessing)
        with generators.closing(batches):
            generators.build_from_first_batch(self, batches, None)
            params = {"steps": batches.steps, "verbose": verbose, "metrics": []}
            callback_list = loop.callbacks_for(self, callbacks, verbose == 1, params)
            results = loop.predict_loop(self, batches, callback_list)
        return results[0] if len(results) == 1 else results

    # -- generators (the Keras 2 *_generator API: the same as passing the generator) ---------------
    @legacy.renames(legacy.GENERATORS, owner="Model.fit_generator")
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True,
                      initial_epoch=0, **kwargs):
        """Trains on batches from a generator or ``Sequence``: ``fit(generator, ...)``.

        Keras 1 names (``samples_per_epoch``, ``nb_epoch``, ``nb_val_samples``,
        ``nb_worker``, ``pickle_safe``, ``max_q_size``) are accepted with a DeprecationWarning.
        """
        arguments = dict(steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, callbacks=callbacks,
                         validation_data=validation_data, validation_steps=validation_steps,
                         validation_freq=validation_freq, class_weight=class_weight,
                         max_queue_size=max_queue_size, workers=workers,
                         use_multiprocessing=use_multiprocessing, shuffle=shuffle, initial_epoch=initial_epoch)
        arguments.update(kwargs)
        return self.fit(generator, **arguments)

    @legacy.renames(legacy.GENERATORS, owner="Model.evaluate_generator")
    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0, **kwargs):
        """Loss and metrics on batches from a generator or ``Sequence``: ``evaluate(generator, ...)``."""
        arguments = dict(steps=steps, callbacks=callbacks, max_queue_size=max_queue_size, workers=workers,
                         use_multiprocessing=use_multiprocessing, verbose=verbose)
        arguments.update(kwargs)
        return self.evaluate(generator, **arguments)

    @legacy.renames(legacy.GENERATORS, owner="Model.predict_generator")
    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0, **kwargs):
        """Predictions for batches from a generator or ``Sequence``: ``predict(generator, ...)``."""
        arguments = dict(steps=steps, callbacks=callbacks, max_queue_size=max_queue_size, workers=workers,
                         use_multiprocessing=use_multiprocessing, verbose=verbose)
        arguments.update(kwargs)
        return self.predict(generator, **arguments)

    # -- single batches -----------------------------------------------------------------------
    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One gradient update on one batch; returns the loss (and metrics) for it."""
        arguments.check_call("train_on_batch", arguments.TRAIN_ON_BATCH, dict(class_weight=class_weight))
        self._require_compiled("training it")
        xs, ys, ws = self._prepare(x, y, sample_weight, class_weight)
        self._require_compiled("training it")
        self.objective.reset_metrics()
        return self._logs_to_result(loop.train_step(self, xs, ys, ws))

    def test_on_batch(self, x, y, sample_weight=None):
        """Loss (and metrics) on one batch, without updating the weights."""
        self._require_compiled("evaluating it")
        xs, ys, ws = self._prepare(x, y, sample_weight)
        self.objective.reset_metrics()
        return self._logs_to_result(loop.test_step(self, xs, ys, ws))

    def predict_on_batch(self, x):
        """Predictions for one batch."""
        xs, _, _ = self._prepare(x, need_targets=False)
        outputs = loop.predict_step(self, xs)
        return outputs[0] if len(outputs) == 1 else outputs

    def _logs_to_result(self, logs):
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    # -- information -----------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Prints a table of the layers, output shapes and parameter counts (Keras's format)."""
        from .summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves architecture, weights and optimizer state to an HDF5 file (Keras 2 layout)."""
        from ..saving import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights (HDF5, or ``.npz`` by extension)."""
        from ..saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, reshape=False):
        """Loads weights saved by ``save_weights`` (or by Keras 1 or 2; see ``numkeras.saving.load_weights``)."""
        from ..saving import load_weights

        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch, reshape=reshape)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (Keras 2 format)."""
        from ..saving import model_to_json

        return model_to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        """The architecture as a YAML string (needs PyYAML)."""
        from ..saving import model_to_yaml

        return model_to_yaml(self, **kwargs)


def _symbolic(inputs):
    from .functional import is_symbolic

    return is_symbolic(inputs)


def _unpack_validation_data(validation_data):
    """``(x, y, sample_weight)`` from ``validation_data``: a generator / Sequence, or a 2- or 3-tuple of arrays."""
    if generators.is_generator_like(validation_data):
        return validation_data, None, None
    if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
        length = len(validation_data) if hasattr(validation_data, "__len__") else "?"
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weights), or a "
            f"generator or Sequence; got {type(validation_data).__name__} of length {length}.")
    return validation_data[0], validation_data[1], validation_data[2] if len(validation_data) == 3 else None


__all__ = ["Model"]
