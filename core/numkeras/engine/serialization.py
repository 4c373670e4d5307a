"""Model configs in Keras 2's format: what ``get_config`` writes and ``from_config`` reads.

Functional (``Model``)::

    {'name': 'model_1',
     'layers': [{'name': 'dense_1', 'class_name': 'Dense', 'config': {...},
                 'inbound_nodes': [[['input_1', 0, 0, {}]]]},    # one list per call of the layer
                ...],
     'input_layers': [['input_1', 0, 0]],                        # [layer name, node index, tensor index]
     'output_layers': [['dense_2', 0, 0]]}

An inbound entry is ``[inbound layer name, node index, tensor index, call kwargs]``; tf.keras
writes a call's further tensor arguments into those kwargs as ``[layer, node, tensor]``, and a
constant first argument (of a TF function on graph tensors) as ``["_CONSTANT_VALUE", -1, value,
call kwargs]``.
Node indices count only the calls that belong to this model (a layer shared with
another model keeps its own numbering), and — as in Keras — a nested model's
calls start at 1, because a Keras ``Model`` owns a node 0 linking its own inputs
to its outputs.

Sequential: ``{'name': ..., 'layers': [{'class_name', 'config'}, ...]}`` (Keras 2.2),
plus ``build_input_shape`` when no layer declares the input shape. Reading also
accepts the Keras 2.1 list form and tf.keras's leading ``InputLayer`` entry.

Every class name is resolved through the ``layers`` registry (which sees the
active ``custom_object_scope``); ``Model`` / ``Functional`` / ``Sequential`` are
the engine's own classes.
"""

import inspect
import json
import warnings

from ..registry import UnknownComponentError, registry, resolve_serialized
from ..utils.validation import is_integer
from .base_layer import Layer
from .config_keys import UnsupportedConfigError, apply_key_rules
from .functional import Network, _node_of, topological_nodes

#: Class names Keras 2 / tf.keras write for the engine's own model classes.
MODEL_CLASS_NAMES = ("Model", "Functional", "Sequential", "Network")

#: tf.keras 2's first element of an inbound entry whose value is a constant, not a tensor of the graph
#: (``x`` of ``tf.math.subtract(1.0, x)``): ``["_CONSTANT_VALUE", -1, value, kwargs]``.
CONSTANT_VALUE = "_CONSTANT_VALUE"



# -- classes and names ----------------------------------------------------------------
def class_name_of(layer):
    """The name ``layer``'s class is written under: its registered name, else the engine's or class name."""
    from .sequential import Sequential
    from .training import Model

    name = registry("layers").name_of(type(layer))
    if name:
        return name
    if type(layer) is Sequential:
        return "Sequential"
    if type(layer) in (Model, Network):
        return "Model"
    return type(layer).__name__


def layer_class(class_name, registered_name=None):
    """The class registered as ``class_name`` (custom objects first), or an engine model class.

    ``registered_name`` (tf.keras 2.13+ writes it next to ``class_name``, e.g.
    ``'MyPackage>MyLayer'``) is looked up first when given.

    Raises:
        UnknownComponentError: no layer has that name (the error lists close matches).
    """
    try:
        return resolve_serialized(registry("layers"), {"class_name": class_name, "registered_name": registered_name})
    except UnknownComponentError:
        engine_class = _engine_class(class_name)
        if engine_class is None:
            raise
        return engine_class


def _engine_class(class_name):
    from .sequential import Sequential
    from .training import Model

    return {"Model": Model, "Functional": Model, "Network": Model, "Sequential": Sequential}.get(class_name)


def deserialize_layer(config, custom_objects=None):
    """A layer (or model) from ``{'class_name', 'config'}``.

    Arguments:
        config: the dict ``get_config`` entries and ``model.to_json()`` hold.
        custom_objects: ``{name: class or function}`` resolvable in addition to the registry.

    Raises:
        ValueError: ``config`` is not a ``{'class_name', 'config'}`` dict.
        UnknownComponentError: an unknown class name (or activation, initializer … inside it).
    """
    from ..registry import custom_object_scope

    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) \
            or not isinstance(config.get("config") or {}, (dict, list)):
        raise ValueError(
            f"Cannot deserialize a layer from {str(config)[:200]!r}: expected a dict with 'class_name' "
            f"(a string) and 'config' (a dict)."
        )
    with custom_object_scope(custom_objects or {}):
        cls = layer_class(config["class_name"], config.get("registered_name"))
        if isinstance(config.get("config"), list):  # Keras 1 / 2.0-2.1: a Sequential's config is its layer list
            from .sequential import Sequential

            if not (isinstance(cls, type) and issubclass(cls, Sequential)):
                raise ValueError(
                    f"Cannot deserialize a {config['class_name']!r} layer: its 'config' is a list, which only "
                    f"a Sequential model's config may be (Keras 1 / 2.0's list of its layers).")
            return call_from_config(cls, config["config"], custom_objects)
        layer_config = compatible_config(dict(config.get("config") or {}), cls, config["class_name"])
        return call_from_config(cls, layer_config, custom_objects)


def call_from_config(cls, config, custom_objects=None):
    """``cls.from_config(config)``, passing ``custom_objects`` / ``safe_mode`` where it takes them."""
    from .functions import in_safe_mode

    method = getattr(cls, "from_config", None)
    if method is None:
        return cls(**config)
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        parameters = {}
    kwargs = {}
    if "custom_objects" in parameters:
        kwargs["custom_objects"] = custom_objects
    if "safe_mode" in parameters:
        kwargs["safe_mode"] = in_safe_mode()
    return method(config, **kwargs)


def compatible_config(config, cls=None, class_name=None):
    """Translates what Keras 2 / tf.keras write into numkeras's constructor arguments.

    * ``dtype`` as a mixed-precision policy dict becomes its name.
    * Keys from other Keras releases follow :mod:`numkeras.engine.config_keys`: dropped
      when they do not change the computation (``optional``, ``ragged=False``,
      ``groups=1`` …), renamed (``batch_shape``), or refused with an
      :class:`~numkeras.engine.config_keys.UnsupportedConfigError` (``groups=2``) when
      ``cls`` is given and does not take them.
    * Lambda-style ``function`` / ``output_shape`` with ``*_type`` markers become the
      dicts :mod:`numkeras.engine.functions` reads; tf.keras's ``module`` keys go.
    """
    from .functions import from_keras_function

    dtype = config.get("dtype")
    if isinstance(dtype, dict):
        config["dtype"] = (dtype.get("config") or {}).get("name", "float32")
    if "function_type" in config:
        module = config.pop("module", None)
        config["function"] = from_keras_function(config["function"], config.pop("function_type"), module)
        output_type = config.pop("output_shape_type", "raw")
        output_module = config.pop("output_shape_module", None)
        if output_type != "raw" and config.get("output_shape") is not None:
            config["output_shape"] = from_keras_function(config["output_shape"], output_type, output_module)
    return apply_key_rules(config, cls, config.get("name"), class_name)


# -- functional -------------------------------------------------------------------------------
def _first_node_index(layer):
    """Config node numbering of a layer: nested models start at 1 (Keras's pre-existing node 0)."""
    from .sequential import Sequential

    if isinstance(layer, Sequential) or (isinstance(layer, Network) and layer._is_graph_network):
        return 1
    return 0


def _node_kwargs(layer, node):
    if not node.arguments:
        return {}
    try:
        json.dumps(node.arguments)
    except TypeError:
        warnings.warn(
            f"Layer {layer.name} was passed non-serializable keyword arguments: {node.arguments}. "
            f"They will not be included in the serialized model (and thus will be missing at "
            f"deserialization time).", stacklevel=4)
        return {}
    return dict(node.arguments)


def network_config(network, layer_configs=True):
    """``network`` (a functional model) as Keras 2's functional config.

    Arguments:
        network: a graph network (``Model(inputs, outputs)`` or a built ``Sequential``).
        layer_configs: ``False`` leaves out each layer's ``config`` (for cloning, which
            only needs the graph).
    """
    nodes = topological_nodes(network.inputs, network.graph_outputs())
    member_nodes = {id(node) for node in nodes}
    member_nodes.update(id(_node_of(t)) for t in network.inputs)
    conversion = {}  # (id(layer), index in layer._inbound_nodes) -> index in the config
    for layer in network.layers:
        kept = _first_node_index(layer)
        for index, node in enumerate(layer._inbound_nodes):
            if id(node) in member_nodes:
                conversion[(id(layer), index)] = kept
                kept += 1

    def coordinates(tensor):
        layer, node_index, tensor_index = tensor._keras_history
        return [layer.name, conversion[(id(layer), node_index)], tensor_index]

    entries = []
    for layer in network.layers:
        inbound = []
        for node in layer._inbound_nodes:
            if id(node) not in member_nodes or not node.inputs:
                continue
            kwargs = _node_kwargs(layer, node)
            node_data = []
            for tensor in node.inputs:
                source, node_index, tensor_index = tensor._keras_history
                node_data.append([source.name, conversion.get((id(source), node_index), 0), tensor_index, kwargs])
            inbound.append(node_data)
        entry = {"name": layer.name, "class_name": class_name_of(layer)}
        if layer_configs:
            entry["config"] = layer.get_config()
        entry["inbound_nodes"] = inbound
        entries.append(entry)
    return {
        "name": network.name,
        "layers": entries,
        "input_layers": [coordinates(t) for t in network.inputs],
        "output_layers": [coordinates(t) for t in network.outputs],
    }


def network_from_config(cls, config, custom_objects=None):
    """A ``cls`` model (``Model`` or a subclass) rebuilt from :func:`network_config`'s output.

    Raises:
        ValueError: a malformed config (naming the layer or entry at fault).
        UnknownComponentError: a class name nothing provides.
    """
    from ..registry import custom_object_scope

    _check_functional_config(config)
    graph_losses = []
    repeated = nested_layers_repeated_for_losses(config)
    made = {}

    def make_layer(entry):
        owner = made.get(repeated.get(entry.get("name")))
        if isinstance(owner, Network):
            return owner.get_layer(entry["name"])
        layer = made[entry.get("name")] = deserialize_layer(entry, custom_objects)
        return layer

    with custom_object_scope(custom_objects or {}):
        inputs, outputs = rebuild_graph(config, make_layer, graph_losses=graph_losses)
    model = cls(inputs=_unpack(inputs), outputs=_unpack(outputs), name=config.get("name"))
    if graph_losses:
        model._add_graph_losses(graph_losses)
    if config.get("trainable") is False:  # tf.keras 2.x writes the model's own flag
        model.trainable = False
    return model


def nested_layers_repeated_for_losses(config):
    """``{layer name: nested model name}`` for the entries of ``config`` that repeat a nested model's layer.

    When a graph loss uses tensors inside a nested model (keras/examples' VAE: the KL term on the
    encoder's own ``z_mean``), Keras's ``add_loss`` lists those layers — the same objects — at the
    outer level too, so the config holds them twice. An outer entry is taken to be the nested
    model's layer only when all of this holds: only graph losses (``AddLoss``) use it, no model
    output; its name, class, config and inbound nodes are the nested entry's; and each layer it
    reads from is such a repeated layer of the same nested model, or an input that the nested model
    lists under the same name and config. Otherwise it stays a layer of its own.
    """
    entries = {entry.get("name"): entry for entry in config["layers"] if isinstance(entry, dict)}
    inner = {}  # inner layer name -> (nested model name, its entry, the nested model's input names)
    for name, entry in entries.items():
        nested = entry.get("config") or {}
        if entry.get("class_name") in MODEL_CLASS_NAMES and isinstance(nested.get("layers"), list) \
                and isinstance(nested.get("input_layers"), list):
            inputs = {item[0] for item in nested["input_layers"] if isinstance(item, (list, tuple)) and item}
            for layer in nested["layers"]:
                if isinstance(layer, dict):
                    inner.setdefault(layer.get("name"), (name, layer, inputs))
    loss_only = _used_only_by_graph_losses(config, entries)
    repeated, changed = {}, True
    while changed:
        changed = False
        for name in loss_only:
            if name in repeated or name not in inner:
                continue
            owner, twin, owner_inputs = inner[name]
            entry = entries[name]
            if (entry.get("class_name"), entry.get("config"), entry.get("inbound_nodes")) != \
                    (twin.get("class_name"), twin.get("config"), twin.get("inbound_nodes")):
                continue
            sources = _referenced_layers(entry)
            if sources and all(repeated.get(source) == owner or (
                    source in owner_inputs and source in entries and source in inner
                    and entries[source].get("config") == inner[source][1].get("config")) for source in sources):
                repeated[name] = owner
                changed = True
    return repeated


def _referenced_layers(entry):
    """The names of the layers an entry's inbound nodes read from, kwargs references included."""
    names = set()

    def walk(value):
        if isinstance(value, (list, tuple)):
            if len(value) >= 3 and isinstance(value[0], str) and is_integer(value[1]) and value[0] != CONSTANT_VALUE:
                names.add(value[0])
                if len(value) == 4:
                    walk(value[3])
                return
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(entry.get("inbound_nodes") or [])
    return names


def _used_only_by_graph_losses(config, entries):
    """Names of the layers that some graph loss (``AddLoss``) reads, directly or not, and no model output."""

    def upstream(names):
        seen, stack = set(), list(names)
        while stack:
            name = stack.pop()
            if name in seen or name not in entries:
                continue
            seen.add(name)
            stack.extend(_referenced_layers(entries[name]))
        return seen

    outputs = [item[0] for item in config.get("output_layers") or [] if isinstance(item, (list, tuple)) and item]
    losses = [name for name, entry in entries.items() if entry.get("class_name") == "AddLoss"]
    return upstream(losses) - upstream(outputs)


def _check_functional_config(config):
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(
            f"Improperly formatted model config: expected a dict with 'layers', 'input_layers' and "
            f"'output_layers'; got {str(config)[:200]!r}."
        )
    for key in ("input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"Improperly formatted model config: it has no {key!r} entry.")


def _unpack(tensors):
    return tensors[0] if len(tensors) == 1 else tensors


def rebuild_graph(config, make_layer, tensor_overrides=None, graph_losses=None):
    """Creates the layers of a functional config and calls them as recorded.

    Arguments:
        config: a functional config (``layers`` with ``inbound_nodes``, ``input_layers``, ``output_layers``).
        make_layer: ``make_layer(entry) -> Layer`` for each entry of ``config['layers']``.
        tensor_overrides: ``{input layer name: KerasTensor}`` used instead of that layer's output.
        graph_losses: a list that receives the outputs of the layers that add a graph loss
            (``AddLoss``, ``adds_graph_loss``), which no model output reaches.

    Returns:
        ``(input tensors, output tensors)`` as lists.

    Nodes are processed in layer order; a call whose inputs do not exist yet (a
    layer shared at different depths) waits for a later pass, as in Keras.
    """
    tensor_overrides = tensor_overrides or {}
    created = {}
    earlier_calls = {}
    pending = {}  # layer name -> [node data, ...] in call order
    order = []
    for entry in config["layers"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("config") or {}, dict):
            raise ValueError(f"Improperly formatted model config: a layer entry is not a dict with 'class_name' and "
                             f"'config': {str(entry)[:200]}.")
        name = entry.get("name") or (entry.get("config") or {}).get("name")
        if not isinstance(name, str):
            raise ValueError(f"Improperly formatted model config: a layer entry has no name: {str(entry)[:200]}.")
        if name in tensor_overrides:
            created[name] = tensor_overrides[name]
        else:
            created[name] = make_layer(entry)
            # A layer make_layer shares with another graph (a nested model's, or the original's in a
            # clone) already has calls; the config's node indices count this graph's calls only. (An
            # input layer's node 0 is its own, and the config counts it.)
            if not getattr(created[name], "is_placeholder", False):
                earlier_calls[name] = len(getattr(created[name], "_inbound_nodes", ()))
        order.append(name)
        inbound = entry.get("inbound_nodes") or []
        if not isinstance(inbound, list):
            raise ValueError(f"Improperly formatted model config: the inbound_nodes of layer {name!r} must be a "
                             f"list, got {inbound!r}.")
        pending[name] = list(inbound)

    def output_tensor(layer_name, node_index, tensor_index):
        """The tensor at those coordinates, or None when that call has not been made yet."""
        if layer_name not in created:
            raise ValueError(
                f"Improperly formatted model config: a layer input refers to {layer_name!r}, which is "
                f"not one of the model's layers ({', '.join(order)})."
            )
        target = created[layer_name]
        if not isinstance(target, Layer):  # an override tensor
            return target
        index = node_index - (_first_node_index(target) if _is_model(target) else 0) + earlier_calls.get(layer_name, 0)
        if index < 0 or len(target._inbound_nodes) <= index:
            return None
        outputs = target._inbound_nodes[index].outputs
        if tensor_index >= len(outputs):
            raise ValueError(
                f"Improperly formatted model config: a layer input refers to output #{tensor_index} of "
                f"{layer_name!r}, which has {len(outputs)} output(s).")
        return outputs[tensor_index]

    while any(pending.values()):
        progress = False
        for name in order:
            layer = created[name]
            while pending[name]:
                node_data = _parse_node(name, pending[name][0])
                tensors = [item[2] if item[0] == CONSTANT_VALUE else output_tensor(*item[:3]) for item in node_data]
                kwargs = _tensor_kwargs(node_data[0][3] if node_data else {}, created, output_tensor)
                if any(t is None for t, item in zip(tensors, node_data) if item[0] != CONSTANT_VALUE) \
                        or kwargs is None:
                    break
                layer(_unpack(tensors), **kwargs)
                pending[name].pop(0)
                progress = True
        if not progress:
            raise ValueError(_stuck_message(order, pending, created))

    def collect(key):
        tensors = []
        if not isinstance(config[key], list):
            raise ValueError(f"Improperly formatted model config: {key} must be a list, got {config[key]!r}.")
        for item in config[key]:
            if not isinstance(item, (list, tuple)) or len(item) < 3 or not isinstance(item[0], str) \
                    or not all(is_integer(i) and i >= 0 for i in item[1:3]):
                raise ValueError(f"Improperly formatted model config: bad {key} entry {item!r}; expected "
                                 f"[layer name, node index, tensor index].")
            tensor = output_tensor(item[0], item[1], item[2])
            if tensor is None:
                raise ValueError(f"Improperly formatted model config: {key} entry {item!r} does not exist.")
            tensors.append(tensor)
        return tensors

    if graph_losses is not None:
        for name in order:
            layer = created[name]
            if isinstance(layer, Layer) and getattr(layer, "adds_graph_loss", False):
                graph_losses.extend(t for node in layer._inbound_nodes for t in node.outputs)
    return collect("input_layers"), collect("output_layers")


def _tensor_kwargs(kwargs, layers, output_tensor):
    """Call kwargs with tf.keras's tensor references resolved; None while one of them does not exist yet.

    tf.keras 2 records a layer's tensor arguments beyond the first in its node's kwargs as
    ``[layer name, node index, tensor index]`` (``MultiHeadAttention``'s ``value``, ``key``,
    ``attention_mask``); Keras 3 as ``{'class_name': '__keras_tensor__', 'config':
    {'keras_history': [...]}}``. A list counts as a reference only when it names a layer of
    the model, so other list-valued arguments pass through.
    """
    missing = []

    def resolve(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            value = (value.get("config") or {}).get("keras_history")
        if (isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str)
                and value[0] in layers and all(is_integer(i) and i >= 0 for i in value[1:])):
            tensor = output_tensor(value[0], int(value[1]), int(value[2]))
            if tensor is None:
                missing.append(value)
            return tensor
        if isinstance(value, list):  # tf.keras also writes references inside list arguments (tf.where, tf.stack)
            return [resolve(item) for item in value]
        return value

    resolved = {key: resolve(value) for key, value in kwargs.items()}
    return None if missing else resolved


def _is_model(layer):
    return isinstance(layer, Network)


def _stuck_message(order, pending, created):
    """Why no pending layer call can be made: a cycle between layers, or a call that does not exist."""
    waits_on = {name: [item[0] for node in pending[name] for item in _parse_node(name, node)
                       if item[0] != CONSTANT_VALUE]
                for name in order if pending[name]}
    cycle = _find_cycle(waits_on)
    if cycle:
        return (f"Improperly formatted model config: its layers call each other in a cycle "
                f"({' -> '.join(cycle)}), so their inputs can never be computed. A model's graph has no "
                f"cycles.")
    for name, needed in waits_on.items():
        for item in _parse_node(name, pending[name][0]):
            if item[0] == CONSTANT_VALUE:
                continue
            target = created[item[0]]
            calls = len(target._inbound_nodes) if isinstance(target, Layer) else 1
            if item[1] >= calls and not waits_on.get(item[0]):
                return (f"Improperly formatted model config: the inputs of layer {name!r} can never be "
                        f"computed: it takes its input from call #{item[1]} of layer {item[0]!r}, which is "
                        f"only called {calls} time(s).")
    stuck = ", ".join(waits_on)
    return (f"Improperly formatted model config: the inputs of layer(s) {stuck} can never be computed "
            f"(they refer to calls that do not exist).")


def _find_cycle(waits_on):
    """A list of layer names that wait on each other in a circle (the first repeated at the end), or None."""
    state = {}
    for start in waits_on:
        if state.get(start):
            continue
        path, stack = [], [(start, iter(waits_on.get(start, ())))]
        state[start] = "open"
        path.append(start)
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[name] = "done"
                continue
            if state.get(child) == "open":
                return path[path.index(child):] + [child]
            if child in waits_on and not state.get(child):
                state[child] = "open"
                path.append(child)
                stack.append((child, iter(waits_on[child])))
    return None


def _parse_node(layer_name, node_data):
    """``[[name, node_index, tensor_index, kwargs], ...]`` with kwargs filled in."""
    if not isinstance(node_data, (list, tuple)):
        raise ValueError(f"Improperly formatted model config: inbound node {node_data!r} of layer {layer_name!r}.")
    # tf.keras can write a single call with one input as a flat [name, node, tensor, kwargs].
    if node_data and isinstance(node_data[0], str):
        node_data = [node_data]
    parsed = []
    for item in node_data:
        if isinstance(item, (list, tuple)) and len(item) in (3, 4) and item[0] == CONSTANT_VALUE:
            kwargs = item[3] if len(item) == 4 and item[3] else {}
            if not isinstance(kwargs, dict):
                raise ValueError(f"Improperly formatted model config: inbound entry {item!r} of layer "
                                 f"{layer_name!r}; expected [{CONSTANT_VALUE!r}, -1, value, kwargs dict].")
            parsed.append([CONSTANT_VALUE, -1, item[2], dict(kwargs)])
            continue
        if not isinstance(item, (list, tuple)) or len(item) not in (3, 4):
            raise ValueError(
                f"Improperly formatted model config: inbound entry {item!r} of layer {layer_name!r}; "
                f"expected [layer name, node index, tensor index, kwargs]."
            )
        kwargs = item[3] if len(item) == 4 and item[3] else {}
        if not isinstance(item[0], str) or not all(is_integer(i) and i >= 0 for i in item[1:3]) \
                or not isinstance(kwargs, dict):
            raise ValueError(
                f"Improperly formatted model config: inbound entry {item!r} of layer {layer_name!r}; "
                f"expected [layer name, node index >= 0, tensor index >= 0, kwargs dict].")
        parsed.append([item[0], int(item[1]), int(item[2]), dict(kwargs)])
    return parsed


# -- sequential ----------------------------------------------------------------------------------
def sequential_config(model):
    """``{'name', 'layers': [{'class_name', 'config'}, ...]}`` (+ ``build_input_shape``), as Keras 2.2.

    Raises:
        ValueError: the model has a loss added with ``add_loss`` on its graph tensors, which a
            list of layers cannot hold.
    """
    if getattr(model, "_graph_losses", None):
        raise ValueError(
            f"Sequential model {model.name!r} has a loss added with add_loss() on its graph tensors; a "
            f"Sequential config is a list of layers and cannot hold it, so the saved model would train "
            f"without it. Build the model with the functional API (Model(inputs, outputs)) to save it, or "
            f"save only its weights (save_weights)."
        )
    layers = [{"class_name": class_name_of(layer), "config": layer.get_config()} for layer in model.layers]
    config = {"name": model.name, "layers": layers}
    input_tensor = getattr(model, "_input_tensor", None)
    if input_tensor is not None and layers and "batch_input_shape" not in layers[0]["config"]:
        first = model.layers[0]
        if not (isinstance(first, Network) and first.inputs):
            config["build_input_shape"] = list(input_tensor.shape)
            if input_tensor.dtype.kind != "f":
                config["build_input_dtype"] = str(input_tensor.dtype)
    return config


def sequential_from_config(cls, config, custom_objects=None):
    """A ``Sequential`` from :func:`sequential_config`'s output, Keras 2.1's list, or tf.keras's form."""
    from ..registry import custom_object_scope
    from .input_layer import Input

    if isinstance(config, list):  # Keras <= 2.1: the list of layer entries itself
        layer_entries, name, build_shape, build_dtype = config, None, None, None
    elif isinstance(config, dict) and isinstance(config.get("layers"), list):
        layer_entries, name = config["layers"], config.get("name")
        build_shape, build_dtype = config.get("build_input_shape"), config.get("build_input_dtype")
    else:
        raise ValueError(
            f"Improperly formatted Sequential config: expected a dict with 'layers'; got {str(config)[:200]!r}."
        )
    model = cls(name=name)
    with custom_object_scope(custom_objects or {}):
        for entry in layer_entries:
            model.add(deserialize_layer(entry, custom_objects))
    if not model._is_graph_network and build_shape is not None and model.layers:
        model._input_tensor = Input(batch_shape=tuple(build_shape), dtype=build_dtype)
        model._rebuild()
    if isinstance(config, dict) and config.get("trainable") is False:
        model.trainable = False
    return model


__all__ = [
    "MODEL_CLASS_NAMES", "UnsupportedConfigError", "class_name_of", "layer_class", "deserialize_layer", "call_from_config",
    "compatible_config", "network_config", "network_from_config", "rebuild_graph",
    "sequential_config", "sequential_from_config",
]
