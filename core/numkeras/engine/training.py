"""``Model``: a ``Network`` that can be compiled, trained, evaluated and used for prediction.

One training step::

    batch → forward on the tape (training=True) → per-output weighted losses
          + regularization losses → backward → optimizer.apply_gradients
          → metrics → on_train_batch_end(logs)

``predict`` runs the same layers with the tape off (``training=False``).
"""

import numpy as np

from .. import backend as K
from .. import optimizers as optimizers_module
from ..callbacks.base import CallbackList
from ..metrics.base import Metric
from ..registry import registry
from ..utils import legacy
from . import data_adapter, generators
from .compile_utils import CompiledTargets, check_loss_shapes, weighted_loss
from .functional import Network


def _to_float(value):
    if isinstance(value, K.Tensor):
        value = value.data
    return float(np.asarray(value, dtype=np.float64).mean()) if np.size(value) != 1 else float(np.asarray(value))


class _EpochMeans:
    """Sample-weighted means of batch logs over an epoch (stateful metrics: their last value)."""

    def __init__(self, stateful_names=()):
        self.stateful = set(stateful_names)
        self.totals, self.seen, self.last = {}, 0, {}

    def update(self, logs, size):
        self.seen += size
        for key, value in logs.items():
            if key in ("batch", "size"):
                continue
            if key in self.stateful:
                self.last[key] = value
            else:
                self.totals[key] = self.totals.get(key, 0.0) + value * size

    def result(self):
        if not self.seen:
            return dict(self.last)
        means = {key: total / self.seen for key, total in self.totals.items()}
        means.update(self.last)
        return means


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
        self.compiled = None
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
        if not self._is_graph_network and not self.built:
            self._pending_compile = dict(optimizer=optimizer, loss=loss, metrics=metrics,
                                         loss_weights=loss_weights, sample_weight_mode=sample_weight_mode,
                                         weighted_metrics=weighted_metrics, check_numerics=check_numerics)
            self.optimizer = optimizers_module.get(optimizer)
            self.loss = loss
            return
        self._pending_compile = None
        optimizer = optimizers_module.get(optimizer)
        compiled = CompiledTargets(self, loss, metrics, loss_weights, weighted_metrics, sample_weight_mode)
        self.optimizer = optimizer
        self.compiled = compiled
        self.loss = loss
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode
        self.metrics_names = compiled.metric_names()
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
        if self.compiled is None and not getattr(self, "_pending_compile", None):
            raise RuntimeError(
                f"You must compile the model before {what}: call model.compile(optimizer, loss) first."
            )

    @property
    def metrics(self):
        return [m for _, _, m, _ in self.compiled.metrics] if self.compiled else []

    # -- one step ------------------------------------------------------------------------
    def _forward(self, xs, training):
        """Runs the model on a list of input arrays; returns a list of output tensors."""
        inputs = [K.Tensor(x) if not isinstance(x, K.Tensor) else x for x in xs]
        if self._is_graph_network:
            outputs = self._run_graph(inputs if len(inputs) > 1 else inputs[0], training=training)
        else:
            outputs = self(inputs if len(inputs) > 1 else inputs[0], training=training)
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    def _losses_and_logs(self, ys, outputs, ws):
        """The total loss (a Tensor on the tape) and the loss entries of the batch logs."""
        compiled = self.compiled
        total = None
        logs = {}
        for index, (fn, weight) in enumerate(zip(compiled.loss_fns, compiled.loss_weights)):
            if fn is None:
                continue
            y = ys[index]
            if y is None:
                raise ValueError(f"No target data given for output {compiled.output_names[index]!r}.")
            value = weighted_loss(fn, K.Tensor(y), outputs[index], ws[index])
            if len(compiled.output_names) > 1:
                logs[f"{compiled.output_names[index]}_loss"] = float(value.data)
            term = value * weight if weight != 1.0 else value
            total = term if total is None else total + term
        for penalty in self.losses:
            total = total + penalty
        logs = {"loss": float(total.data), **logs}
        return total, logs

    def _metric_logs(self, ys, outputs, ws):
        logs = {}
        for index, name, metric, weighted in self.compiled.metrics:
            y_true, y_pred = ys[index], outputs[index]
            weight = ws[index] if weighted else None
            if isinstance(metric, Metric):
                metric.update_state(K.Tensor(y_true), K.Tensor(y_pred.data), sample_weight=weight)
                logs[name] = _to_float(metric.result())
            else:
                with K.no_tape():
                    values = metric(K.Tensor(y_true), K.Tensor(y_pred.data))
                values = np.asarray(values.data if isinstance(values, K.Tensor) else values, dtype=np.float64)
                if weight is not None and values.ndim >= 1 and values.shape[0] == len(weight):
                    w = np.asarray(weight, dtype=np.float64)
                    # per-sample (or, with temporal weights, per-timestep) values: mean over the rest
                    values = values.reshape(w.shape + (-1,)).mean(axis=-1)
                    # Keras 2.2's weighted objective, as for the loss: mean(v * w) / mean(w != 0).
                    nonzero = float(np.mean(w != 0))
                    logs[name] = float(np.mean(values * w) / nonzero) if nonzero else 0.0
                else:
                    logs[name] = float(values.mean())
        return logs

    def _train_step(self, xs, ys, ws, params=None):
        self._clear_call_losses()
        if params is None:
            params = self.trainable_weights
        with K.tape():
            outputs = self._forward(xs, training=True)
            total, logs = self._losses_and_logs(ys, outputs, ws)
        grads = K.gradients(total, params)
        self.optimizer.apply_gradients(zip(grads, params), consume=True)
        with K.no_tape():
            logs.update(self._metric_logs(ys, outputs, ws))
        return logs

    def _test_step(self, xs, ys, ws):
        self._clear_call_losses()
        with K.no_tape():
            outputs = self._forward(xs, training=False)
            _, logs = self._losses_and_logs(ys, outputs, ws)
            logs.update(self._metric_logs(ys, outputs, ws))
        return logs

    def _predict_step(self, xs):
        with K.no_tape():
            outputs = self._forward(xs, training=False)
        self._clear_call_losses()
        return [o.data for o in outputs]

    # -- data ------------------------------------------------------------------------------
    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, need_targets=True):
        self._finish_pending_compile()
        if x is None:
            raise ValueError("No input data given: pass x (a NumPy array, a list of arrays or a dict).")
        input_shapes = [t.shape for t in self.inputs] if self.inputs else None
        if not self._is_graph_network and not self.inputs:
            raw = x if isinstance(x, (list, tuple)) else [x]
            self._ensure_graph([data_adapter._as_array(a) for a in raw])
            self._finish_pending_compile()
            input_shapes = [t.shape for t in self.inputs]
        xs = data_adapter.standardize(x, self.input_names, input_shapes, "input", dtype=np.dtype(K.floatx()))
        ys, ws = [None] * len(self.outputs), [None] * len(self.outputs)
        if need_targets:
            if y is None:
                raise ValueError("No target data given: pass y (the targets) as well as x.")
            ys = data_adapter.standardize(y, self.output_names, [t.shape for t in self.outputs], "target",
                                          check_shapes=False)
            for fn, target, output, name in zip(self.compiled.loss_fns, ys, self.outputs, self.output_names):
                if fn is not None and target is not None:
                    check_loss_shapes(fn, target, output.shape, name)
            ys = [y if y is None or y.dtype.kind != "f" else y.astype(K.floatx(), copy=False) for y in ys]
            ws = data_adapter.standardize_sample_weights(
                sample_weight, class_weight, ys, self.output_names, self.compiled.sample_weight_modes)
        data_adapter.check_lengths(xs, ys, ws)
        if self._check_numerics:
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
            class_weight: ``{class: weight}`` to weight the loss per class.
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

        Keras 1 spelling ``nb_epoch`` is accepted with a DeprecationWarning.
        """
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword argument(s): {sorted(kwargs)}.")
        self._require_compiled("training it")
        if batch_size is None:
            batch_size = 32
        queue = dict(max_queue_size=max_queue_size, workers=workers, use_multiprocessing=use_multiprocessing)
        validation = None
        if generators.is_generator_like(x):
            if y is not None or sample_weight is not None or validation_split:
                raise ValueError(
                    "When x is a generator or a Sequence, its batches carry the targets and sample "
                    "weights, and there is nothing to split: pass no y, sample_weight or validation_split "
                    "(use validation_data).")
            train_batches = generators.GeneratorBatches(self, x, steps_per_epoch, class_weight=class_weight,
                                                        shuffle=shuffle, **queue)
        else:
            xs, ys, ws = self._prepare(x, y, sample_weight, class_weight)
            self._require_compiled("training it")
            if validation_data is None and validation_split and validation_split > 0.0:
                (xs, ys, ws), validation = data_adapter.split_validation((xs, ys, ws), validation_split)
            train_batches = data_adapter.ArrayBatches(xs, ys, ws, batch_size, shuffle=shuffle)
            if steps_per_epoch is not None:
                train_batches = generators.StepBatches(train_batches, steps_per_epoch)
        val_batches = None
        if generators.is_generator_like(validation_data):
            val_batches = generators.GeneratorBatches(self, validation_data, validation_steps, mode="test",
                                                      steps_name="validation_steps", **queue)
        elif validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
                raise ValueError(
                    "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weights); "
                    f"got {type(validation_data).__name__} of length {len(validation_data) if hasattr(validation_data, '__len__') else '?'}."
                )
            val_x, val_y = validation_data[0], validation_data[1]
            val_w = validation_data[2] if len(validation_data) == 3 else None
            validation = self._prepare(val_x, val_y, val_w)
        if validation is not None:
            val_batches = data_adapter.ArrayBatches(*validation, validation_batch_size or batch_size, shuffle=False)
            if validation_steps is not None:
                val_batches = generators.StepBatches(val_batches, validation_steps, resume=False,
                                                     steps_name="validation_steps")
        with generators.closing(train_batches, val_batches):
            generators.build_from_first_batch(self, train_batches, "training it")
            return self._fit_loop(train_batches, epochs, verbose, callbacks, val_batches, initial_epoch,
                                  validation_freq, batch_size)

    def _fit_loop(self, train_batches, epochs, verbose, callbacks, val_batches, initial_epoch,
                  validation_freq, batch_size):
        """The epoch loop shared by every kind of training data (arrays, generators, Sequences)."""
        history_class = registry("callbacks").resolve("History")
        self.history = history_class()
        callback_list = list(callbacks or [])
        if verbose:
            progbar = registry("callbacks").resolve("ProgbarLogger")
            count_mode = "samples" if getattr(train_batches, "num_samples", None) else "steps"
            callback_list = [progbar(count_mode=count_mode, stateful_metrics=self._stateful_names())] + callback_list
        callback_list.append(self.history)
        do_validation = val_batches is not None
        metric_names = self.metrics_names + (["val_" + n for n in self.metrics_names] if do_validation else [])
        params = {
            "batch_size": batch_size, "epochs": epochs, "steps": train_batches.steps,
            "samples": getattr(train_batches, "num_samples", None), "verbose": verbose,
            "do_validation": do_validation, "metrics": metric_names,
            "val_samples": getattr(val_batches, "num_samples", None),
        }
        self.stop_training = False
        epoch_logs = {}
        with CallbackList(callback_list, model=self, params=params) as callbacks:
            K.set_learning_phase(1)
            try:
                callbacks.dispatch("on_train_begin", logs={})
                # Like Keras's compiled train function: which weights train is fixed for this fit.
                trainable = self.trainable_weights
                for epoch in range(initial_epoch, epochs):
                    self.compiled.reset_metrics()
                    callbacks.dispatch("on_epoch_begin", epoch=epoch, logs={})
                    means = _EpochMeans(self._stateful_names())
                    for step, (xs, ys, ws) in enumerate(train_batches.epoch()):
                        size = len(xs[0])
                        callbacks.dispatch("on_train_batch_begin", batch=step, logs={"batch": step, "size": size})
                        logs = self._train_step(xs, ys, ws, trainable)
                        means.update(logs, size)
                        logs = {"batch": step, "size": size, **logs}
                        callbacks.dispatch("on_train_batch_end", batch=step, logs=logs)
                        if self.stop_training:
                            break
                    epoch_logs = means.result()
                    if do_validation and _should_validate(epoch, validation_freq):
                        val_logs = self._evaluate_loop(val_batches, callbacks)
                        epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                    callbacks.dispatch("on_epoch_end", epoch=epoch, logs=epoch_logs)
                    if self.stop_training:
                        break
            finally:
                K.set_learning_phase(0)
            callbacks.dispatch("on_train_end", logs=dict(epoch_logs))
        return self.history

    def _stateful_names(self):
        return self.compiled.stateful_names()

    def _evaluate_loop(self, batches, callbacks):
        self.compiled.reset_metrics()
        callbacks.dispatch("on_test_begin", logs={})
        means = _EpochMeans(self._stateful_names())
        for step, (xs, ys, ws) in enumerate(batches.epoch()):
            size = len(xs[0])
            callbacks.dispatch("on_test_batch_begin", batch=step, logs={"batch": step, "size": size})
            logs = self._test_step(xs, ys, ws)
            means.update(logs, size)
            callbacks.dispatch("on_test_batch_end", batch=step, logs={"batch": step, "size": size, **logs})
        results = means.result()
        callbacks.dispatch("on_test_end", logs=dict(results))
        return results

    # -- evaluate / predict ----------------------------------------------------------------
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
        self._require_compiled("evaluating it")
        if generators.is_generator_like(x):
            batches = generators.GeneratorBatches(self, x, steps, mode="test", steps_name="steps",
                                                  max_queue_size=max_queue_size, workers=workers,
                                                  use_multiprocessing=use_multiprocessing)
        else:
            xs, ys, ws = self._prepare(x, y, sample_weight)
            batches = data_adapter.ArrayBatches(xs, ys, ws, batch_size or 32)
            if steps is not None:
                batches = generators.StepBatches(batches, steps, resume=False, steps_name="steps")
        with generators.closing(batches):
            generators.build_from_first_batch(self, batches, "evaluating it")
            return self._evaluate_batches(batches, verbose, callbacks, return_dict)

    def _evaluate_batches(self, batches, verbose, callbacks, return_dict):
        callback_list = list(callbacks or [])
        if verbose == 1:
            progbar = registry("callbacks").resolve("ProgbarLogger")
            callback_list = [progbar(count_mode="steps", stateful_metrics=self._stateful_names())] + callback_list
        params = {"steps": batches.steps, "verbose": verbose, "metrics": self.metrics_names,
                  "samples": getattr(batches, "num_samples", None)}
        with CallbackList(callback_list, model=self, params=params) as callback_list:
            results = self._evaluate_loop(batches, callback_list)
        if return_dict:
            return results
        values = [results[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

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
        if generators.is_generator_like(x):
            batches = generators.GeneratorBatches(self, x, steps, mode="predict", steps_name="steps",
                                                  max_queue_size=max_queue_size, workers=workers,
                                                  use_multiprocessing=use_multiprocessing)
            with generators.closing(batches):
                generators.build_from_first_batch(self, batches, None)
                return self._predict_batches(batches, verbose, callbacks)
        if not self._is_graph_network and not self.inputs:
            raw = x if isinstance(x, (list, tuple)) else [x]
            self._ensure_graph([data_adapter._as_array(a) for a in raw])
        xs = data_adapter.standardize(x, self.input_names, [t.shape for t in self.inputs], "input",
                                      dtype=np.dtype(K.floatx()))
        data_adapter.check_lengths(xs, [], [])
        batches = data_adapter.ArrayBatches(xs, [None] * len(self.outputs), [None] * len(self.outputs),
                                            batch_size or 32)
        if steps is not None:
            batches = generators.StepBatches(batches, steps, resume=False, steps_name="steps")
        return self._predict_batches(batches, verbose, callbacks)

    def _predict_batches(self, batches, verbose, callbacks):
        callback_list = list(callbacks or [])
        if verbose == 1:
            progbar = registry("callbacks").resolve("ProgbarLogger")
            callback_list = [progbar(count_mode="steps")] + callback_list
        params = {"steps": batches.steps, "verbose": verbose, "metrics": []}
        chunks = None
        with CallbackList(callback_list, model=self, params=params) as callback_list:
            callback_list.dispatch("on_predict_begin", logs={})
            for step, (xs, _, _) in enumerate(batches.epoch()):
                size = len(xs[0])
                callback_list.dispatch("on_predict_batch_begin", batch=step, logs={"batch": step, "size": size})
                outputs = self._predict_step(xs)
                if chunks is None:
                    chunks = [[] for _ in outputs]
                for chunk, output in zip(chunks, outputs):
                    chunk.append(output)
                callback_list.dispatch("on_predict_batch_end", batch=step,
                                       logs={"batch": step, "size": size, "outputs": outputs})
            callback_list.dispatch("on_predict_end", logs={})
        if chunks is None:
            shapes = [(0,) + tuple(t.shape[1:]) for t in self.outputs]
            results = [np.zeros(s, dtype=K.floatx()) for s in shapes]
        else:
            results = [np.concatenate(chunk, axis=0) for chunk in chunks]
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
        self._require_compiled("training it")
        xs, ys, ws = self._prepare(x, y, sample_weight, class_weight)
        self._require_compiled("training it")
        self.compiled.reset_metrics()
        logs = self._train_step(xs, ys, ws)
        return self._logs_to_result(logs)

    def test_on_batch(self, x, y, sample_weight=None):
        """Loss (and metrics) on one batch, without updating the weights."""
        self._require_compiled("evaluating it")
        xs, ys, ws = self._prepare(x, y, sample_weight)
        self.compiled.reset_metrics()
        return self._logs_to_result(self._test_step(xs, ys, ws))

    def predict_on_batch(self, x):
        """Predictions for one batch."""
        if not self._is_graph_network and not self.inputs:
            raw = x if isinstance(x, (list, tuple)) else [x]
            self._ensure_graph([data_adapter._as_array(a) for a in raw])
        xs = data_adapter.standardize(x, self.input_names, [t.shape for t in self.inputs], "input",
                                      dtype=np.dtype(K.floatx()))
        outputs = self._predict_step(xs)
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

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Loads weights saved by ``save_weights`` (or by Keras)."""
        from ..saving import load_weights

        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

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


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"validation_freq must be >= 1, got {validation_freq}.")
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


__all__ = ["Model"]
