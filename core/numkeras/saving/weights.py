"""Matching saved weights to a model's layers: in topological order, or by layer name.

Both HDF5 and ``.npz`` files are read into a :class:`SavedWeights` (layer names in
order, and each layer's weight names and arrays), so the matching rules — Keras
2.2's ``load_weights_from_hdf5_group`` and ``..._by_name`` — live here once. Each
layer's arrays pass through :func:`~numkeras.saving.legacy_weights.preprocess_weights_for_loading`
(Keras 1, Theano and cuDNN layouts) before they are checked. Every check runs before
any value is assigned, so a rejected load leaves the model as it was.
"""

import warnings

import numpy as np

from .errors import WeightConversionError
from .legacy_weights import CUDNN_LAYOUT, from_numkeras_0_1_cudnn, preprocess_weights_for_loading


class SavedWeights:
    """Weights read from a file: ``layers`` is ``[(layer name, [weight names], [arrays]), ...]``.

    ``backend`` and ``keras_version`` are the file's attributes (``'numpy'`` when numkeras
    wrote it; ``keras_version`` ``'1'`` when an HDF5 weights group has none, as Keras 1's
    had none), which say which layout conversions the arrays need.
    """

    def __init__(self, source, layers, backend=None, keras_version=None, cudnn_layout=CUDNN_LAYOUT):
        self.source = source
        self.layers = layers
        self.backend = backend
        self.keras_version = keras_version
        self.cudnn_layout = cudnn_layout

    def written_by_numkeras(self):
        return self.backend == "numpy"

    def non_empty(self):
        return [entry for entry in self.layers if entry[2]]


def layer_weights(layer):
    """The weights Keras saves for a layer: trainable first, then non-trainable (its ``weights``)."""
    return list(layer.trainable_weights) + [
        w for w in layer.non_trainable_weights if not any(w is t for t in layer.trainable_weights)
    ]


def weight_names(layer, weights=None):
    """Unique names for ``layer``'s weights (``'dense_1/kernel:0'`` …)."""
    names, seen = [], set()
    for index, weight in enumerate(weights if weights is not None else layer_weights(layer)):
        name = getattr(weight, "name", None) or f"{layer.name}/param_{index}:0"
        base, suffix = name, 1
        while name in seen:
            name = f"{base}_{suffix}"
            suffix += 1
        seen.add(name)
        names.append(name)
    return names


def _unbuilt_error(model_layers, saved, source):
    return ValueError(
        f"Cannot load the weights in {source} into this model: its layers have no weights yet "
        f"(the model is not built). Build it first — call it on a batch of data, or "
        f"model.build(input_shape) — then load the weights."
    )


def layers_in_saved_order(model, saved):
    """``model.layers`` in the order the writer of ``saved`` lists a model's layers.

    numkeras writes its own ``model.layers`` order. Keras 2 / tf.keras order a functional
    model's layers by depth (:func:`~numkeras.engine.functional.keras_layer_order`), which
    can differ from numkeras's topological order when branches meet; matching a Keras
    file "topologically", as Keras's ``load_weights`` does, means matching in Keras's order.
    """
    from ..engine.functional import keras_layer_order

    layers = list(model.layers)
    if saved.written_by_numkeras() or not getattr(model, "_is_graph_network", False) or not model.outputs:
        return layers
    ordered = keras_layer_order(model.outputs, getattr(model, "_graph_losses", ()))
    if len(ordered) != len(layers) or {id(l) for l in ordered} != {id(l) for l in layers}:
        return layers
    return ordered


def trainable_weights_of(layers, model):
    """``model.trainable_weights`` listed layer by layer in ``layers``' order (the order an
    optimizer's saved slots follow), or ``model.trainable_weights`` when that is not the same set."""
    ordered = []
    for layer in layers:
        for weight in layer.trainable_weights:
            if not any(weight is seen for seen in ordered):
                ordered.append(weight)
    expected = model.trainable_weights
    if len(ordered) != len(expected) or {id(w) for w in ordered} != {id(w) for w in expected}:
        return expected
    return ordered


def converted(layer, saved, values, reshape=False):
    """``values`` saved for ``layer``, in the layout ``layer`` uses (Keras 1, Theano, cuDNN, numkeras 0.1)."""
    if saved.written_by_numkeras() and saved.cudnn_layout != CUDNN_LAYOUT:
        values = from_numkeras_0_1_cudnn(layer, values)
    return preprocess_weights_for_loading(layer, values, saved.keras_version, saved.backend, reshape=reshape)


def assign_topological(layers, saved, reshape=False):
    """Assigns ``saved`` to ``layers`` in order, skipping layers without weights (Keras's rule).

    Arguments:
        reshape: reshape a convolution kernel with the layer's size but another shape (Keras).

    Raises:
        ValueError: a different number of layers with weights, or a layer whose weight
            count or shapes differ (naming both layers).
        WeightConversionError: saved weights in a layout that cannot be converted.
    """
    filtered = [layer for layer in layers if layer_weights(layer)]
    entries = saved.non_empty()
    if not filtered and entries:
        raise _unbuilt_error(layers, saved, saved.source)
    if len(entries) != len(filtered):
        raise ValueError(
            f"You are trying to load a weight file ({saved.source}) containing {len(entries)} layers "
            f"with weights into a model with {len(filtered)} layers with weights "
            f"(file: {', '.join(e[0] for e in entries) or 'none'}; model: "
            f"{', '.join(l.name for l in filtered) or 'none'})."
        )
    assignments, given = [], {}
    for position, (layer, (name, names, values)) in enumerate(zip(filtered, entries)):
        variables = layer_weights(layer)
        values = converted(layer, saved, values, reshape)
        if len(values) != len(variables):
            raise ValueError(
                f"Layer #{position} (named {layer.name!r} in the current model) was found to correspond "
                f"to layer {name!r} in {saved.source}. However the new layer {layer.name} expects "
                f"{len(variables)} weights, but the saved weights have {len(values)} elements."
            )
        for variable, value, weight_name in zip(variables, values, names):
            if tuple(variable.shape) != tuple(np.shape(value)):
                raise ValueError(
                    f"Layer #{position} (named {layer.name!r} in the current model) was found to "
                    f"correspond to layer {name!r} in {saved.source}, but its weight {variable.name} has "
                    f"shape {tuple(variable.shape)} and the saved weight {weight_name} has shape "
                    f"{tuple(np.shape(value))}."
                )
            _check_one_value(given, variable, value, name, saved.source)
            assignments.append((variable, value))
    _assign(assignments)


def _check_one_value(given, variable, value, entry_name, source):
    """A layer listed twice (a nested model's layer that Keras's add_loss also lists at the outer level)
    gets its values twice; they must be the same, or the file's two layers were not one."""
    earlier = given.setdefault(id(variable), (value, entry_name))
    if earlier[0] is not value and not np.array_equal(earlier[0], value):
        raise ValueError(
            f"{source} gives the weight {variable.name} two different values (under {earlier[1]!r} and "
            f"{entry_name!r}), but the model rebuilt from its config holds one weight there. The file's two "
            f"layers were distinct; load the weights into the model built in code with load_weights.")


def assign_by_name(layers, saved, skip_mismatch=False, reshape=False):
    """Assigns saved weights to the layers of the same name; others are left alone.

    Arguments:
        skip_mismatch: warn and skip (instead of raising) a layer whose weight count
            differs, a weight whose shape differs, or weights that cannot be converted.
        reshape: as for :func:`assign_topological`.
    """
    by_name = {}
    for layer in layers:
        by_name.setdefault(layer.name, []).append(layer)
    if saved.non_empty() and not any(layer_weights(l) for l in layers):
        raise _unbuilt_error(layers, saved, saved.source)
    assignments = []
    for name, names, saved_values in saved.layers:
        for layer in by_name.get(name, []):
            variables = layer_weights(layer)
            try:
                values = converted(layer, saved, saved_values, reshape)
            except WeightConversionError as error:
                if not skip_mismatch:
                    raise
                warnings.warn(f"Skipping loading of weights for layer {layer.name}: {error}", stacklevel=3)
                continue
            if len(values) != len(variables):
                message = (
                    f"Layer {layer.name!r} ({type(layer).__name__}) expects {len(variables)} weight(s), but "
                    f"the saved weights in {saved.source} have {len(values)} element(s)."
                )
                if skip_mismatch:
                    warnings.warn(f"Skipping loading of weights for layer {layer.name}: {message}", stacklevel=3)
                    continue
                raise ValueError(message)
            for variable, value, weight_name in zip(variables, values, names):
                if tuple(variable.shape) != tuple(np.shape(value)):
                    message = (
                        f"Layer {layer.name!r}: weight {variable.name} has shape {tuple(variable.shape)}, but "
                        f"the saved weight {weight_name} in {saved.source} has shape {tuple(np.shape(value))}."
                    )
                    if skip_mismatch:
                        warnings.warn(f"Skipping loading of weights for layer {layer.name}: {message}",
                                      stacklevel=3)
                        continue
                    raise ValueError(message)
                assignments.append((variable, value))
    _assign(assignments)


def _assign(assignments):
    for variable, value in assignments:
        variable.assign(np.asarray(value, dtype=variable.dtype))


__all__ = ["SavedWeights", "layers_in_saved_order", "trainable_weights_of", "layer_weights", "weight_names",
           "converted", "assign_topological", "assign_by_name"]
