"""Whole models and weights in HDF5, in Keras 2's layout, so that Keras 2 / tf.keras 2 files load.

A model file (``model.save``)::

    /                      attrs: keras_version, backend, model_config (JSON),
                                  training_config (JSON), numkeras_version,
                                  numkeras_components (JSON), numkeras_plugin_data (JSON)
    /model_weights         attrs: layer_names, backend, keras_version, cudnn_layout ('cudnn': the
                           layout of CuDNN layers' arrays; numkeras 0.1 wrote none, and its
                           CuDNN arrays are converted when read)
    /model_weights/<layer> attrs: weight_names (['dense_1/kernel:0', ...])
    /model_weights/<layer>/<layer>/kernel:0      one dataset per weight
    /optimizer_weights     attrs: weight_names; one dataset per optimizer array
                           ([iterations, slots...] in Keras 2.2's order)

A weights file (``model.save_weights``) is the ``model_weights`` group at the root.
``keras_version`` is written as ``2.2.4`` (the layout and semantics numkeras
follows); ``numkeras_version`` says which numkeras wrote it.

Every write goes through :func:`~numkeras.saving.atomic.atomic_write`. Every read
error (not an HDF5 file, truncated, missing group, unreadable dataset) becomes a
:class:`~numkeras.saving.errors.ModelFileError` naming the file.
"""

import contextlib
import json
import os
import sys
import warnings

import h5py
import numpy as np

from . import components as components_module
from .architecture import (
    BACKEND, KERAS_VERSION, check_layer_configs, check_saveable, json_default, loading_scope, model_config_of,
    numkeras_version, to_json,
)
from .atomic import atomic_write
from .errors import ModelFileError
from .legacy_weights import CUDNN_LAYOUT
from .weights import (
    SavedWeights, assign_by_name, assign_topological, layer_weights, layers_in_saved_order, trainable_weights_of,
    weight_names,
)

HDF5_OBJECT_HEADER_LIMIT = 64512


# -- attributes ------------------------------------------------------------------------------
def encode_attributes(name, values):
    """``{attribute name: array}`` storing a list of strings as ``name``, or ``name0``, ``name1`` …
    when too large for one HDF5 object header (Keras's layout). Encodes only; writes nothing.

    Raises:
        ValueError: one string alone is larger than an object header.
    """
    encoded = [v.encode("utf8") for v in values]
    too_big = [v for v in encoded if len(v) > HDF5_OBJECT_HEADER_LIMIT]
    if too_big:
        raise ValueError(
            f"The following attribute value cannot be saved to HDF5 because it is larger than "
            f"{HDF5_OBJECT_HEADER_LIMIT} bytes: {too_big[0][:100]!r}..."
        )
    array = np.asarray(encoded) if encoded else np.asarray([], dtype="S1")
    chunks = 1
    chunked = np.array_split(array, chunks) if len(array) else [array]
    while any(c.nbytes > HDF5_OBJECT_HEADER_LIMIT for c in chunked):
        chunks += 1
        chunked = np.array_split(array, chunks)
    if len(chunked) > 1:
        return {f"{name}{index}": chunk for index, chunk in enumerate(chunked)}
    return {name: array if len(array) else []}


def save_attributes(group, name, values):
    """Stores a list of strings as an attribute, split into ``name0``, ``name1`` … when too large (Keras)."""
    group.attrs.update(encode_attributes(name, values))


def load_attributes(group, name):
    """Reads what :func:`save_attributes` wrote (also chunked), as a list of ``str``."""
    if name in group.attrs:
        values = group.attrs[name]
    else:
        values, index = [], 0
        while f"{name}{index}" in group.attrs:
            values.extend(group.attrs[f"{name}{index}"])
            index += 1
        if index == 0:
            raise KeyError(name)
    return [_text(v) for v in np.asarray(values).ravel()] if np.size(values) else []


def _text(value):
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf8")
    return str(value)


def _read_text_attr(group, name):
    value = group.attrs.get(name)
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return _text(value)


def _read_json_attr(group, name, source):
    text = _read_text_attr(group, name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ModelFileError(source, f"its {name!r} attribute is not valid JSON ({error}); the file is corrupt.") from None


# -- opening ----------------------------------------------------------------------------------
def describe_source(filepath):
    if isinstance(filepath, h5py.Group):
        return f"HDF5 group {filepath.name!r} of {filepath.file.filename!r}"
    return repr(os.fspath(filepath)) if isinstance(filepath, (str, os.PathLike)) else repr(filepath)


def open_for_reading(filepath):
    """Opens an HDF5 file for reading; a missing, non-HDF5 or truncated file gives a clear error.

    Raises:
        FileNotFoundError: there is no such file.
        ModelFileError: it is a directory, not an HDF5 file, or cannot be opened (truncated, corrupt).
    """
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(2, f"No such model or weights file: {path!r}", path)
    if os.path.isdir(path):
        raise ModelFileError(path, "is a directory. numkeras reads HDF5 files written by model.save() or "
                                   "save_weights() (TensorFlow SavedModel directories are not supported).")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if len(head) == 0:
        raise ModelFileError(path, "is empty (0 bytes), not an HDF5 model or weights file; an interrupted "
                                   "copy or download?")
    if not h5py.is_hdf5(path):
        kind = "a zip archive (a Keras 3 '.keras' file or a '.npz' file)" if head[:2] == b"PK" else \
            "not an HDF5 file (it does not carry the HDF5 signature)"
        raise ModelFileError(path, f"is {kind}. numkeras reads Keras 2 HDF5 files (.h5).")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise ModelFileError(path, f"cannot be opened as HDF5: the file is truncated or corrupt ({error}).") from None


@contextlib.contextmanager
def reading(source, what):
    """Turns h5py's errors while reading ``what`` into a :class:`ModelFileError`."""
    try:
        yield
    except ModelFileError:
        raise
    except KeyError as error:
        raise ModelFileError(source, f"has no {what} ({error.args[0] if error.args else error}): it is not a "
                                     f"complete Keras file.") from None
    except (OSError, RuntimeError, TypeError, ValueError) as error:
        raise ModelFileError(source, f"cannot read {what}: the file is truncated or corrupt "
                                     f"({type(error).__name__}: {error}).") from None


# -- weights groups ------------------------------------------------------------------------------
class WeightsContent:
    """A ``model_weights``-style group, fully gathered and encoded before any file is opened:
    ``attributes`` of the group, and per layer ``(name, attributes, [(weight name, array)])``."""

    def __init__(self, layers):
        seen = set()
        for layer in layers:
            if layer.name in seen:
                raise ValueError(
                    f"Cannot save weights: two layers are named {layer.name!r}. Layer names must be unique "
                    f"within a model to be saved."
                )
            seen.add(layer.name)
        self.attributes = {**encode_attributes("layer_names", [layer.name for layer in layers]),
                           "backend": BACKEND, "keras_version": KERAS_VERSION, "cudnn_layout": CUDNN_LAYOUT}
        self.layers = []
        for layer in layers:
            weights = layer_weights(layer)
            names = weight_names(layer, weights)
            arrays = [np.array(weight.data, copy=True) for weight in weights]  # a snapshot, not a view
            self.layers.append((layer.name, encode_attributes("weight_names", names), list(zip(names, arrays))))

    def write(self, group):
        group.attrs.update(self.attributes)
        for name, attributes, datasets in self.layers:
            layer_group = group.create_group(name)
            layer_group.attrs.update(attributes)
            _write_datasets(layer_group, datasets)


def _write_datasets(group, datasets):
    for name, value in datasets:
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        if value.shape:
            dataset[:] = value
        else:
            dataset[()] = value


def save_weights_to_group(group, layers):
    """Writes ``layers``' weights into ``group`` in Keras 2's layout (gathered first, then written)."""
    WeightsContent(layers).write(group)


def read_weights_group(group, source):
    """A :class:`SavedWeights` with every array of ``group`` (a ``model_weights``-style group)."""
    with reading(source, "layer_names attribute of the weights group"):
        names = load_attributes(group, "layer_names")
    layers = []
    for name in names:
        with reading(source, f"weights of layer {name!r}"):
            layer_group = group[name]
            weight_names_ = load_attributes(layer_group, "weight_names")
            values = [np.asarray(layer_group[weight_name]) for weight_name in weight_names_]
        layers.append((name, weight_names_, values))
    keras_version, backend = writer_attributes(group)
    return SavedWeights(source, layers, backend, keras_version, _read_text_attr(group, "cudnn_layout"))


def writer_attributes(group):
    """``(keras_version, backend)`` of the Keras that wrote a weights group, as Keras 2.2.4 reads them.

    The group's own attributes; for a model file's ``model_weights`` group without them, the
    model file's. Keras 1 wrote no ``keras_version`` on weights groups: a group without one,
    anywhere, is Keras 1's (``'1'``, Keras 2.2.4's rule); ``backend`` is then None.
    """
    parent = group.parent if group.name != "/" else None
    model_root = parent if parent is not None and "model_config" in parent.attrs else None
    values = []
    for name in ("keras_version", "backend"):
        value = _read_text_attr(group, name)
        if value is None and model_root is not None:
            value = _read_text_attr(model_root, name)
        values.append(value)
    return values[0] or "1", values[1]


def _weights_group_of(f, source):
    """The group holding layer weights: the root of a weights file, or ``model_weights`` of a model file."""
    if "layer_names" in f.attrs or "layer_names0" in f.attrs:
        return f
    if "model_weights" in f:
        return f["model_weights"]
    if isinstance(f.get("layers"), h5py.Group) and "layer_names" not in f.attrs:
        raise ModelFileError(source, "is a Keras 3 / tf_keras saving_lib weights file (a 'layers/<name>/vars' "
                                     "tree, what save_weights('x.weights.h5') writes in tf_keras 2.13+ and "
                                     "Keras 3), not the Keras 2 HDF5 layout numkeras reads. In tf_keras, save "
                                     "the weights under a name that does not end in '.weights.h5' (e.g. "
                                     "'x_weights.h5'), or save the whole model with model.save('x.h5').")
    raise ModelFileError(source, "holds no Keras weights: it has neither a 'layer_names' attribute nor a "
                                 "'model_weights' group.")


def save_weights_hdf5(model, filepath, overwrite=True):
    """Writes ``model``'s weights to an HDF5 file (atomically)."""
    content = WeightsContent(model.layers)  # every array gathered before the file is opened
    if isinstance(filepath, h5py.Group):
        content.write(filepath)
        return
    if not _may_write(filepath, overwrite):
        return
    with atomic_write(filepath) as temp_path:
        with h5py.File(temp_path, "w") as f:
            content.write(f)


def load_weights_hdf5(model, filepath, by_name=False, skip_mismatch=False, reshape=False):
    """Loads weights from an HDF5 weights file or a whole-model file (``reshape``: see
    :func:`~numkeras.saving.weights.assign_topological`)."""
    source = describe_source(filepath)
    with h5py_errors(source):
        if isinstance(filepath, h5py.Group):
            saved = read_weights_group(_weights_group_of(filepath, source), source)
        else:
            with open_for_reading(filepath) as f:
                saved = read_weights_group(_weights_group_of(f, source), source)
    _assign(model, saved, by_name, skip_mismatch, reshape)


def _assign(model, saved, by_name, skip_mismatch, reshape=False):
    if by_name:
        assign_by_name(model.layers, saved, skip_mismatch, reshape)
    else:
        assign_topological(layers_in_saved_order(model, saved), saved, reshape)


def _may_write(filepath, overwrite):
    path = os.fspath(filepath)
    if overwrite or not os.path.exists(path):
        return True
    if sys.stdin is not None and sys.stdin.isatty():
        answer = input(f"[WARNING] {path} already exists - overwrite? [y/n] ").strip().lower()
        while answer not in ("y", "n"):
            answer = input("Enter 'y' (overwrite) or 'n' (cancel). ").strip().lower()
        if answer == "y":
            print("[TIP] Next time specify overwrite=True!")
        return answer == "y"
    raise FileExistsError(17, f"{path!r} already exists and overwrite=False", path)


# -- whole models -----------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves architecture, weights, training configuration and optimizer state to one HDF5 file.

    Arguments:
        model: a functional or Sequential model (subclassed models: use ``save_weights``).
        filepath: a path, or an open ``h5py.File`` / ``h5py.Group`` to write into.
        overwrite: ``False`` asks before replacing an existing file (interactive) or refuses.
        include_optimizer: also save the compile arguments and the optimizer's state.

    The whole content (configs JSON-encoded, every weight and optimizer array copied,
    plugin data) is produced first; only then is a temporary file next to ``filepath``
    written and moved into place, so a failed or interrupted save never damages an
    existing file.

    Raises:
        NotImplementedError: a subclassed model.
        LayerConfigError: a layer whose config cannot be encoded or does not rebuild it.
        ValueError: an unbuilt model, or a component that cannot be written.
    """
    check_saveable(model)
    content = ModelFileContent(model, include_optimizer)
    if isinstance(filepath, h5py.Group):
        content.write(filepath)
        return
    if not _may_write(filepath, overwrite):
        return
    with atomic_write(filepath) as temp_path:
        with h5py.File(temp_path, "w") as f:
            content.write(f)


class ModelFileContent:
    """Everything a model file holds, produced before the file is opened: the root attributes
    (configs JSON-encoded, plugin data included), the weights, the optimizer state. Any error
    (a config that cannot be encoded, a failing plugin hook) is raised here, so a failed save
    never touches the destination."""

    def __init__(self, model, include_optimizer=True):
        from ..hooks import plugin_manager
        from .training_config import training_config

        check_layer_configs(model, "save")
        model_json = to_json(model_config_of(model))
        train_config = training_config(model) if include_optimizer else None
        train_json = to_json(train_config) if train_config is not None else None
        providers = components_module.component_providers(json.loads(model_json),
                                                          json.loads(train_json) if train_json else None)
        plugin_data = {}
        plugin_manager().hook.numkeras_save_model(model=model, attributes=plugin_data)
        self.attributes = {"keras_version": KERAS_VERSION, "backend": BACKEND,
                           "numkeras_version": numkeras_version(), "model_config": model_json}
        if train_json is not None:
            self.attributes["training_config"] = train_json
        self.attributes["numkeras_components"] = to_json(providers)
        self.attributes["numkeras_plugin_data"] = to_json(plugin_data)
        self.weights = WeightsContent(model.layers)
        self.optimizer = _optimizer_content(model.optimizer) if train_json is not None else None

    def write(self, f):
        f.attrs.update(self.attributes)
        self.weights.write(f.create_group("model_weights"))
        if self.optimizer:
            attributes, datasets = self.optimizer
            group = f.create_group("optimizer_weights")
            group.attrs.update(attributes)
            _write_datasets(group, datasets)
        f.flush()


def _optimizer_content(optimizer):
    """``(attributes, [(name, array)])`` of the optimizer's state, or None when it has none."""
    values = optimizer.get_weights()
    if not values:
        return None
    symbolic = list(getattr(optimizer, "weights", []) or [])
    names, seen = [], set()
    for index, value in enumerate(values):
        name = getattr(symbolic[index], "name", None) if index < len(symbolic) else None
        name = name or f"param_{index}:0"
        base, suffix = name, 1
        while name in seen:
            name, suffix = f"{base}_{suffix}", suffix + 1
        seen.add(name)
        names.append(name)
    arrays = [np.array(value, copy=True) for value in values]
    return encode_attributes("weight_names", names), list(zip(names, arrays))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with ``model.save`` — or by Keras 2 / tf.keras 2 in HDF5.

    Arguments:
        filepath: a path, or an open ``h5py.File`` / ``h5py.Group``.
        custom_objects: ``{name: class or function}`` for names no registry provides.
        compile: compile the model as it was when saved (and restore the optimizer state).
        safe_mode: refuse to run code stored in or named by the file (a Lambda's bytecode or
            import path); only registered names and ``custom_objects`` are instantiated.

    Raises:
        FileNotFoundError: no such file.
        ModelFileError: not an HDF5 file, truncated or corrupt, or not a Keras model file.
        MissingComponentError: a layer, loss … the file names is provided by nothing
            (the error says which plugin provided it when the file was saved).
        UnsafeDeserializationError: a Lambda needs ``safe_mode=False``.
    """
    source = describe_source(filepath)
    with h5py_errors(source):
        if isinstance(filepath, h5py.Group):
            return _load_model_from_group(filepath, source, custom_objects, compile, safe_mode)
        with open_for_reading(filepath) as f:
            return _load_model_from_group(f, source, custom_objects, compile, safe_mode)


def _raised_by_h5py(error):
    traceback = error.__traceback__
    last = None
    while traceback is not None:
        last, traceback = traceback, traceback.tb_next
    filename = last.tb_frame.f_code.co_filename if last is not None else ""
    return f"{os.sep}h5py{os.sep}" in filename or filename.startswith("h5py")


@contextlib.contextmanager
def h5py_errors(source):
    """Any error raised inside h5py (a damaged file read anywhere) becomes a :class:`ModelFileError`."""
    try:
        yield
    except ModelFileError:
        raise
    except Exception as error:  # noqa: BLE001 - only h5py's own errors are converted
        if not _raised_by_h5py(error):
            raise
        raise ModelFileError(source, f"cannot be read: the file is truncated or corrupt "
                                     f"({type(error).__name__}: {error}).") from None


@contextlib.contextmanager
def rebuilding(source, what):
    """A config from the file that the engine rejects (a misspelt or missing argument, a broken
    structure) is a :class:`ModelFileError` naming the file, with the engine's message."""
    from ..engine.config_keys import UnsupportedConfigError
    from ..registry import ComponentError
    from .errors import UnsafeDeserializationError

    try:
        yield
    except (ModelFileError, ComponentError, UnsafeDeserializationError):
        raise  # these name the file, or the plugin to install, already
    except UnsupportedConfigError as error:  # a well-formed file asking for what numkeras cannot compute
        raise UnsupportedConfigError(f"Cannot load {source}: {error}", error.layer, error.class_name, error.key,
                                     error.value) from None
    except (TypeError, ValueError, KeyError, IndexError) as error:
        raise ModelFileError(source, f"{what} does not rebuild a model, so the file is damaged or was not "
                                     f"written for this model code ({type(error).__name__}: {error}).") from error


def _load_model_from_group(f, source, custom_objects, compile, safe_mode):
    from ..engine.serialization import deserialize_layer
    from ..hooks import plugin_manager
    from .training_config import compile_from_training_config, keras_slot_order, restore_optimizer_weights

    with reading(source, "the model_config attribute"):
        model_config = _read_json_attr(f, "model_config", source)
    if model_config is None:
        if "layer_names" in f.attrs or "layer_names0" in f.attrs:
            raise ModelFileError(source, "is a weights file (written by save_weights), not a whole model: "
                                         "build the model in code, then call model.load_weights() on it.")
        raise ModelFileError(source, "is an HDF5 file but not a Keras model file: it has no "
                                     "'model_config' attribute.")
    if not isinstance(model_config, dict) or "class_name" not in model_config:
        raise ModelFileError(source, "has a 'model_config' attribute that is not a Keras model config.")
    with reading(source, "the numkeras_components attribute"):
        providers = _read_json_attr(f, "numkeras_components", source) or {}
    train_config = None
    if compile:
        with reading(source, "the training_config attribute"):
            train_config = _read_json_attr(f, "training_config", source)
    with loading_scope(custom_objects, safe_mode, providers, f"the model in {source}"):
        missing = components_module.missing_components(model_config, train_config, providers)
        if missing:  # all of them in one message, not the first one deserialization meets
            raise components_module.missing_components_error(missing, f"the model in {source}")
        with rebuilding(source, "its model_config"):
            model = deserialize_layer(model_config)
        if "model_weights" not in f:
            raise ModelFileError(source, "has a model config but no 'model_weights' group: the file is "
                                         "incomplete.")
        saved = read_weights_group(f["model_weights"], source)
        saved_order = layers_in_saved_order(model, saved)
        assign_topological(saved_order, saved)
        if compile:
            if train_config is None:
                warnings.warn(
                    f"No training configuration found in {source}: the model was *not* compiled. "
                    f"Compile it manually.", stacklevel=3)
            else:
                with rebuilding(source, "its training_config"):
                    compile_from_training_config(model, train_config)
                if "optimizer_weights" in f:
                    group = f["optimizer_weights"]
                    with reading(source, "the optimizer state"):
                        names = load_attributes(group, "weight_names")
                        values = keras_slot_order(names, [np.asarray(group[name]) for name in names])
                    restore_optimizer_weights(model, values, source, trainable_weights_of(saved_order, model))
    with reading(source, "the numkeras_plugin_data attribute"):
        attributes = _read_json_attr(f, "numkeras_plugin_data", source) or {}
    plugin_manager().hook.numkeras_load_model(model=model, attributes=attributes)
    return model


__all__ = [
    "save_model", "load_model", "save_weights_hdf5", "load_weights_hdf5", "save_weights_to_group",
    "read_weights_group", "open_for_reading", "json_default", "KERAS_VERSION",
]
