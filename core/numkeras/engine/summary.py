"""``model.summary()``: the layer table in Keras's format."""

from ..utils.layer_utils import count_params


def _is_sequential_like(model):
    if model.builds_graph_from_layers or not model._is_graph_network:
        return True
    nodes = _model_nodes(model)
    for layer in model.layers:
        own = [n for n in layer._inbound_nodes if n in nodes]
        if len(own) > 1 or (own and len(own[0].inputs) > 1):
            return False
    return True


def _model_nodes(model):
    return model._graph_nodes


def _format_shape(layer):
    try:
        shape = layer.output_shape
    except AttributeError:
        return "multiple"
    return str(tuple(shape)) if not isinstance(shape, list) else str([tuple(s) for s in shape])


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Prints ``model``'s layers, output shapes and parameter counts."""
    print_fn = print_fn or print
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling build() or "
            "fit() with some data, or specify an input_shape argument in the first layer."
        )
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields):
        line = ""
        for index, (field, position) in enumerate(zip(fields, positions)):
            if index:
                line = line[:-1] + " "  # a truncated field still leaves one space before the next
            line += str(field)
            line = line[:position]
            line += " " * (position - len(line))
        print_fn(line)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    row(headers)
    print_fn("=" * line_length)
    layers = model.layers
    nodes = set(id(n) for n in _model_nodes(model)) if model._is_graph_network else set()
    for index, layer in enumerate(layers):
        name = f"{layer.name} ({type(layer).__name__})"
        params = layer.count_params() if layer.built else 0
        if sequential_like:
            row([name, _format_shape(layer), params])
        else:
            connections = []
            for node in layer._inbound_nodes:
                if id(node) not in nodes:
                    continue
                for x in node.inputs:
                    source, node_index, tensor_index = x._keras_history
                    connections.append(f"{source.name}[{node_index}][{tensor_index}]")
            row([name, _format_shape(layer), params, connections[0] if connections else ""])
            for extra in connections[1:]:
                row(["", "", "", extra])
        print_fn(("=" if index == len(layers) - 1 else "_") * line_length)
    trainable = count_params(model.trainable_weights)
    non_trainable = count_params(model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)
