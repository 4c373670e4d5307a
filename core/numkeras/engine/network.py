"""Keras 2.2.4's module path ``keras.engine.network``: ``Network`` and ``get_source_inputs``.

``Network`` (the graph of layers that ``Model`` trains) lives in :mod:`.functional`.
"""

from .functional import Network, _node_of


def get_source_inputs(tensor, layer=None, node_index=None):
    """The ``Input`` tensors that ``tensor`` is computed from, in depth-first order of its inputs.

    Arguments:
        tensor: a symbolic tensor of a functional graph (anything else is returned as ``[tensor]``).
        layer, node_index: the call that made ``tensor`` (default: its own history).

    Example:
        >>> inputs = get_source_inputs(model.output)   # keras_applications uses it with input_tensor
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return [tensor]
    if layer is None or node_index is None:
        layer, node_index, _ = history
    sources, seen, stack = [], set(), [layer._inbound_nodes[node_index]]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node.inputs:  # an InputLayer's node: its output is a source
            sources.extend(t for t in node.outputs if not any(t is s for s in sources))
        else:
            stack.extend(_node_of(x) for x in reversed(node.inputs))
    return sources


__all__ = ["Network", "get_source_inputs"]
