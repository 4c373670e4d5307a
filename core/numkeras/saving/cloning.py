"""``clone_model``: the same architecture with new layers and freshly initialised weights (Keras 2)."""

from .functions import live_function_scope


def _default_clone(layer):
    from ..engine.serialization import call_from_config

    return call_from_config(type(layer), layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture as ``model`` and new weights.

    Arguments:
        model: a Sequential or functional model (nested models and shared layers included),
            or a subclassed model that implements ``get_config`` / ``from_config``.
        input_tensors: optional tensors (from ``Input()``) to build the clone on.
        clone_function: ``fn(layer) -> new layer``; default: ``type(layer).from_config(layer.get_config())``.
            Lambda layers keep the same function object.

    Raises:
        ValueError: ``model`` is not a model, or a subclassed model without ``get_config``.
    """
    from ..engine.functional import Network
    from ..engine.sequential import Sequential

    if not isinstance(model, Network):
        raise ValueError(f"clone_model expects a Model instance; got {type(model).__name__}: {model!r}.")
    clone_function = clone_function or _default_clone
    with live_function_scope():
        if isinstance(model, Sequential):
            return _clone_sequential(model, input_tensors, clone_function)
        if model._is_graph_network:
            return _clone_functional(model, input_tensors, clone_function)
        return _clone_subclassed(model)


def _as_list(tensors):
    return list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]


def _clone_sequential(model, input_tensors, clone_function):
    from ..engine.input_layer import InputLayer
    from ..engine.sequential import Sequential

    layers = [clone_function(layer) for layer in model.layers]
    clone = Sequential(name=model.name)
    if input_tensors is not None:
        tensors = _as_list(input_tensors)
        if len(tensors) != 1 or not isinstance(tensors[0]._keras_history[0], InputLayer):
            raise ValueError("To clone a Sequential model, input_tensors must be one tensor from Input().")
        clone.add(tensors[0]._keras_history[0])
    elif model._is_graph_network and model._input_tensor is not None:
        source = model._input_tensor
        clone.add(InputLayer(batch_input_shape=source.shape, dtype=source.dtype,
                             name=source._keras_history[0].name))
    for layer in layers:
        clone.add(layer)
    return clone


def _clone_functional(model, input_tensors, clone_function):
    from ..engine.input_layer import Input
    from ..engine.serialization import network_config, rebuild_graph
    from ..engine.training import Model

    config = network_config(model, layer_configs=False)
    originals = {layer.name: layer for layer in model.layers}
    overrides = {}
    input_names = [item[0] for item in config["input_layers"]]
    if input_tensors is not None:
        tensors = _as_list(input_tensors)
        if len(tensors) != len(input_names):
            raise ValueError(
                f"clone_model: the model has {len(input_names)} input(s) ({', '.join(input_names)}), but "
                f"input_tensors has {len(tensors)}."
            )
        overrides = dict(zip(input_names, tensors))
    else:
        for name in input_names:
            layer = originals[name]
            overrides[name] = Input(batch_shape=layer._batch_input_shape, dtype=layer.dtype, name=name,
                                    sparse=getattr(layer, "sparse", False))

    def make_layer(entry):
        return clone_function(originals[entry["name"]])

    graph_losses = []
    inputs, outputs = rebuild_graph(config, make_layer, overrides, graph_losses=graph_losses)
    cls = type(model) if type(model) is not Model and _plain_init(type(model)) else Model
    clone = cls(inputs=inputs[0] if len(inputs) == 1 else inputs,
                outputs=outputs[0] if len(outputs) == 1 else outputs, name=model.name)
    if graph_losses:
        clone._add_graph_losses(graph_losses)
    return clone


def _plain_init(cls):
    from ..engine.training import Model

    return cls.__init__ is Model.__init__


def _clone_subclassed(model):
    try:
        config = model.get_config()
    except NotImplementedError:
        raise ValueError(
            f"Cannot clone {type(model).__name__} {model.name!r}: it is a subclassed model, whose "
            f"architecture is Python code. Create a new instance yourself and copy the weights with "
            f"new_model.set_weights(model.get_weights()) once it is built, or implement "
            f"get_config() / from_config()."
        ) from None
    return type(model).from_config(config)


__all__ = ["clone_model"]
