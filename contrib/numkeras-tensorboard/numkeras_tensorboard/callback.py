"""The ``TensorBoard`` callback: scalars, weight histograms and the model as text, in event files."""

import json
import time
import warnings

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from numkeras.callbacks import Callback


def scalar_value(tag, value):
    return summary_pb2.Summary.Value(tag=tag, simple_value=float(value))


def histogram_value(tag, values, bins=30):
    """A classic ``HistogramProto`` (what TensorBoard's Histograms and Distributions tabs read)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    counts, edges = np.histogram(values, bins=bins)
    proto = summary_pb2.HistogramProto(
        min=float(values.min()), max=float(values.max()), num=int(values.size), sum=float(values.sum()),
        sum_squares=float(np.dot(values, values)), bucket_limit=[float(e) for e in edges[1:]],
        bucket=[float(c) for c in counts])
    return summary_pb2.Summary.Value(tag=tag, histo=proto)


def text_value(tag, text):
    """A text-plugin summary (rendered as Markdown by TensorBoard's Text tab)."""
    metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text"))
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[text.encode("utf-8")],
                                    tensor_shape=tensor_shape_pb2.TensorShapeProto())
    return summary_pb2.Summary.Value(tag=tag, metadata=metadata, tensor=tensor)


def _is_set(value):
    """Whether an argument was given: not None, not empty, not 0 / False (arrays by their size, never ``bool()``)."""
    if value is None:
        return False
    if isinstance(value, np.ndarray):
        return value.size > 0
    if isinstance(value, (str, list, tuple, dict)):
        return len(value) > 0
    return bool(value)


def _check_embeddings(freq, layer_names, metadata, data):
    """Keras 2.2's forms of the ``embeddings_*`` arguments; anything else is a TypeError naming the argument."""
    def fail(name, expected, value):
        raise TypeError(f"TensorBoard: {name} must be {expected}, got {type(value).__name__} {value!r:.80}.")

    if isinstance(freq, (bool, np.bool_)) or not isinstance(freq, (int, np.integer)) or freq < 0:
        fail("embeddings_freq", "an integer >= 0 (epochs between embeddings; 0: never)", freq)
    names = list(layer_names) if isinstance(layer_names, (list, tuple, np.ndarray)) else [layer_names]
    if layer_names is not None and not all(isinstance(n, str) for n in names):
        fail("embeddings_layer_names", "a layer name or a list of layer names", layer_names)
    if metadata is not None and not isinstance(metadata, (str, dict)):
        fail("embeddings_metadata", "a file name or a dict {layer name: file name}", metadata)
    if data is not None:
        parts = list(data.values()) if isinstance(data, dict) else (data if isinstance(data, list) else [data])
        for part in parts:
            try:
                array = np.asarray(part)
            except (TypeError, ValueError):
                array = None
            if array is None or array.dtype.kind not in "fiub":
                fail("embeddings_data", "an array of numbers, or a list / dict of arrays (one per model input)", part)


class TensorBoard(Callback):
    """Writes TensorBoard logs: scalars per epoch (or per batch), weight histograms, the model as text.

    View them with ``tensorboard --logdir=/full_path_to_your_logs``.

    Arguments:
        log_dir: the directory of the event file.
        histogram_freq: every how many epochs to write a histogram of every weight (0: never).
        batch_size: accepted for Keras compatibility (histograms need no data here).
        write_graph: write the model's ``summary()`` and JSON config as text at the start.
        write_grads, write_images, embeddings_freq, embeddings_layer_names,
        embeddings_metadata, embeddings_data: accepted for compatibility in Keras 2.2's forms
            (``embeddings_layer_names`` a name or a list, ``embeddings_metadata`` a file name or a
            dict by layer, ``embeddings_data`` an array or a list / dict of arrays); not written
            (a warning names those that are set). Other forms are a TypeError naming the argument.
        update_freq: ``'epoch'``, ``'batch'`` (every batch) or an integer N: also write the
            batch values every N samples, with the number of samples seen as the step.

    Example:
        >>> tensorboard = TensorBoard(log_dir='./logs', histogram_freq=1)
        >>> model.fit(x, y, validation_split=0.2, callbacks=[tensorboard])
    """

    def __init__(self, log_dir="./logs", histogram_freq=0, batch_size=32, write_graph=True, write_grads=False,
                 write_images=False, embeddings_freq=0, embeddings_layer_names=None, embeddings_metadata=None,
                 embeddings_data=None, update_freq="epoch"):
        super().__init__()
        if update_freq not in ("epoch", "batch") and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive integer, "
                             f"got {update_freq!r}.")
        if histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be >= 0, got {histogram_freq}.")
        _check_embeddings(embeddings_freq, embeddings_layer_names, embeddings_metadata, embeddings_data)
        unsupported = [name for name, value in (
            ("write_grads", write_grads), ("write_images", write_images), ("embeddings_freq", embeddings_freq),
            ("embeddings_layer_names", embeddings_layer_names), ("embeddings_metadata", embeddings_metadata),
            ("embeddings_data", embeddings_data)) if _is_set(value)]
        if unsupported:
            warnings.warn(f"TensorBoard (numkeras-tensorboard) does not write {', '.join(unsupported)}; "
                          f"ignoring {'it' if len(unsupported) == 1 else 'them'}.", UserWarning, stacklevel=2)
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.batch_size = batch_size
        self.write_graph = write_graph
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.writer = None
        self.samples_seen = 0
        self.samples_seen_at_last_write = 0

    # -- events ---------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self.writer = EventFileWriter(self.log_dir)
        self.samples_seen = 0
        self.samples_seen_at_last_write = 0
        if self.write_graph:
            self._write_graph()

    def on_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self.writer is None:
            return
        logs = logs or {}
        self.samples_seen += logs.get("size", 0)
        if self.samples_seen - self.samples_seen_at_last_write >= self.update_freq:
            self._write_logs(logs, self.samples_seen)
            self.samples_seen_at_last_write = self.samples_seen

    def on_epoch_end(self, epoch, logs=None):
        if self.writer is None:
            return
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        self._write_logs(logs or {}, epoch if self.update_freq == "epoch" else self.samples_seen)

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # -- writing ----------------------------------------------------------------------------------
    def _add(self, values, step):
        event = event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary_pb2.Summary(value=values))
        self.writer.add_event(event)

    def _write_logs(self, logs, step):
        values = [scalar_value(name, value) for name, value in logs.items()
                  if name not in ("batch", "size") and np.ndim(value) == 0 and _is_number(value)]
        if values:
            self._add(values, step)
            self.writer.flush()

    def _write_histograms(self, epoch):
        values = []
        for layer in self.model.layers:
            for weight in layer.weights:
                name = getattr(weight, "name", "weight").split(":")[0]
                tag = name if name.startswith(layer.name + "/") else f"{layer.name}/{name}"
                data = np.asarray(getattr(weight, "data", weight))
                if data.size:
                    values.append(histogram_value(tag, data))
        if values:
            self._add(values, epoch)

    def _write_graph(self):
        lines = []
        self.model.summary(print_fn=lines.append)
        values = [text_value("model/summary", "```\n" + "\n".join(lines) + "\n```")]
        try:
            config = json.dumps(json.loads(self.model.to_json()), indent=2)
            values.append(text_value("model/config", "```json\n" + config + "\n```"))
        except Exception as error:  # a subclassed model has no config; its summary is enough
            values.append(text_value("model/config", f"(no JSON config: {type(error).__name__}: {error})"))
        self._add(values, 0)
        self.writer.flush()


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


__all__ = ["TensorBoard"]
