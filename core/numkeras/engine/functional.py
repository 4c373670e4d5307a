"""The functional graph: symbolic layer calls, and ``Network``, a layer made of a graph of layers.

``Network`` is what ``Model(inputs, outputs)`` builds: it orders the recorded
:class:`~numkeras.engine.base_layer.Node` s topologically once, at construction, into
a flat execution plan, so that running it per batch is one loop over the plan.
A ``Network`` without inputs/outputs is a *subclassed* model: its ``call`` is the
user's, and its weights are those of the layers assigned as attributes.
"""

from .. import backend as K
from ..utils import legacy
from .base_layer import KerasTensor, Layer, Node, _flatten


def symbolic_call(layer, inputs, kwargs):
    """Calls ``layer`` on KerasTensors: builds it, infers shapes, records a Node."""
    flat_inputs = _flatten(inputs)
    for x in flat_inputs:
        if not isinstance(x, KerasTensor):
            raise TypeError(
                f"Layer {layer.name} was called with a mix of symbolic inputs (from Input()) and "
                f"{type(x).__name__}; in the functional API every input must come from Input() or "
                f"another layer."
            )
    input_shapes = [x.shape for x in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
    layer.assert_input_compatibility(inputs)
    if not layer.built:
        layer._maybe_build(input_shapes)
    output_shapes = layer.compute_output_shape(input_shapes)
    multiple = isinstance(output_shapes, list)
    shapes = output_shapes if multiple else [output_shapes]
    node_index = len(layer._inbound_nodes)
    outputs = [
        KerasTensor(shape, dtype=layer.dtype, history=(layer, node_index, i), name=f"{layer.name}/out{i}")
        for i, shape in enumerate(shapes)
    ]
    arguments = {k: v for k, v in kwargs.items() if k not in ("training",)}
    node = Node(layer, flat_inputs, outputs, arguments)
    node.structured = isinstance(inputs, (list, tuple))
    layer._inbound_nodes.append(node)
    for inbound in node.inbound_layers:
        inbound._outbound_nodes.append(node)
    return outputs if multiple else outputs[0]


def _node_of(tensor):
    layer, node_index, _ = tensor._keras_history
    return layer._inbound_nodes[node_index]


def keras_layer_order(outputs, graph_losses=()):
    """The layers behind ``outputs`` in the order Keras 2 lists them in ``model.layers``.

    Keras 2.2 (and tf.keras 2.x) order a functional model's layers by depth, from the
    inputs to the outputs, and layers of equal depth by when a depth-first walk back
    from the outputs first meets them (``Network._init_graph_network``). That is the
    order of the ``layer_names`` in the weights files Keras writes, which
    ``load_weights`` matches one by one.

    ``graph_losses`` are the outputs of a model's ``AddLoss`` nodes, in the order the losses
    were added: tf.keras's ``add_loss`` appends, for each, the layers of the loss's own
    graph (ordered the same way, the ``AddLoss`` layer last) that the model did not list yet.
    """
    ordered = _depth_order(outputs)
    listed = {id(layer) for layer in ordered}
    for tensor in graph_losses:
        for layer in _depth_order([tensor]):
            if id(layer) not in listed:
                listed.add(id(layer))
                ordered.append(layer)
    return ordered


def _depth_order(outputs):
    layer_indices, post_order, finished, expanding = {}, [], set(), set()
    stack = [(_node_of(t), False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            expanding.discard(id(node))
            finished.add(id(node))
            post_order.append(node)
            continue
        if id(node) in finished or id(node) in expanding:
            continue
        expanding.add(id(node))
        layer_indices.setdefault(id(node.layer), (len(layer_indices), node.layer))
        stack.append((node, True))
        stack.extend((_node_of(t), False) for t in reversed(node.inputs))
    node_depths, layer_depths = {}, {}
    for node in reversed(post_order):
        depth = max(node_depths.setdefault(id(node), 0), layer_depths.get(id(node.layer), 0))
        layer_depths[id(node.layer)] = node_depths[id(node)] = depth
        for tensor in node.inputs:
            inbound = _node_of(tensor)
            node_depths[id(inbound)] = max(depth + 1, node_depths.get(id(inbound), 0))
    ordered = sorted(layer_depths, key=lambda key: (-layer_depths[key], layer_indices[key][0]))
    return [layer_indices[key][1] for key in ordered]


def topological_nodes(inputs, outputs):
    """The nodes between ``inputs`` and ``outputs``, each after the nodes it depends on.

    Raises:
        ValueError: when an output depends on an input that is not in ``inputs``
            ("graph disconnected"), naming the tensor and the layer.
    """
    input_ids = {id(t) for t in inputs}
    order, visited, on_path = [], set(), set()
    stack = [(_node_of(t), False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            on_path.discard(id(node))
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        on_path.add(id(node))
        stack.append((node, True))
        if not node.inputs and not any(id(o) in input_ids for o in node.outputs):
            tensor = node.outputs[0]
            raise ValueError(
                f"Graph disconnected: cannot obtain value for tensor {tensor} at layer "
                f"'{node.layer.name}'. Add that Input to the model's inputs."
            )
        for x in reversed(node.inputs):
            if id(x) in input_ids:
                continue
            stack.append((_node_of(x), False))
    return order


class Network(Layer):
    """A layer defined by a graph of layers (functional) or by a user ``call`` (subclassed).

    Arguments:
        inputs: a KerasTensor or list of them (from ``Input``).
        outputs: a KerasTensor or list of them.
        name: the model's name.
    """

    #: Whether the graph comes from the layers once the input shape is known (Sequential);
    #: otherwise a model without a graph is subclassed and never has one.
    builds_graph_from_layers = False

    @legacy.renames(legacy.MODEL, owner="Model")
    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", None)
        if args:
            inputs = args[0]
            if len(args) > 1:
                outputs = args[1]
        super().__init__(**kwargs)
        self._is_graph_network = False
        self.inputs, self.outputs = [], []
        self._layers = []
        self._graph_nodes = []
        self._plan = []
        self._graph_losses = []  # AddLoss outputs: computed by the plan although no output needs them
        if inputs is not None and outputs is not None:
            self._init_graph(inputs, outputs)

    # -- construction ----------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self.outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    f"Model inputs and outputs must be tensors from Input() or layer calls; got "
                    f"{type(t).__name__}."
                )
        for t in self.inputs:
            if _node_of(t).inputs:
                raise ValueError(
                    f"Model inputs must come from Input(); {t} is the output of layer "
                    f"'{t._keras_history[0].name}'."
                )
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            names = [t._keras_history[0].name for t in self.inputs]
            raise ValueError(
                f"The list of inputs passed to the model is redundant: {names}. Each Input should appear "
                f"once; to feed one tensor to several layers, call them on it.")
        nodes = topological_nodes(self.inputs, self.graph_outputs())
        layers = []
        for t in self.inputs:
            if t._keras_history[0] not in layers:
                layers.append(t._keras_history[0])
        for node in nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"Layer names must be unique within a model, but {', '.join(map(repr, repeated))} "
                f"{'is' if len(repeated) == 1 else 'are'} used by several layers "
                f"({', '.join(f'{n!r} x{names.count(n)}' for n in repeated)}). Give each layer its own name= "
                f"(saved files refer to layers by name).")
        self._layers = layers
        self._graph_nodes = nodes  # in topological order; plot_model draws them
        self._sublayers = list(layers)
        self._plan = [
            (node.layer, [id(x) for x in node.inputs], [id(o) for o in node.outputs],
             node.arguments, getattr(node, "structured", False))
            for node in nodes if node.inputs
        ]
        self._input_keys = [id(t) for t in self.inputs]
        self._output_keys = [id(t) for t in self.outputs]
        self._is_graph_network = True
        self.built = True
        self.input_names = [t._keras_history[0].name for t in self.inputs]
        self.output_names = [t._keras_history[0].name for t in self.outputs]

    def graph_outputs(self):
        """What the graph computes: the model's outputs, then the tensors of its graph losses."""
        return self.outputs + self._graph_losses

    def add_loss(self, losses, inputs=None):
        """Adds losses to the model: tensors computed eagerly, or graph tensors of this model.

        A graph tensor (``K.mean(K.square(z))`` on the model's tensors, the VAE pattern) is
        computed from the model's inputs in every forward pass and added to the loss
        (its mean, when it is not a scalar), as in tf.keras; ``compile`` then needs no
        ``loss`` and ``fit`` no targets. The graph loss is part of the model's config.

        Raises:
            ValueError: a graph tensor on a model without a graph (subclassed), or one that
                depends on an input that is not the model's.
        """
        items = list(losses) if isinstance(losses, (list, tuple)) else [losses]
        symbolic = [item for item in items if isinstance(item, KerasTensor)]
        eager = [item for item in items if not isinstance(item, KerasTensor)]
        if eager:
            super().add_loss(eager, inputs)
        if not symbolic:
            return
        if not self._is_graph_network:
            raise ValueError(
                f"Model {self.name} has no graph (it is subclassed, or a Sequential model that is not built), "
                f"so a loss made of graph tensors cannot be added to it. Call add_loss inside call() instead."
            )
        topological_nodes(self.inputs, symbolic)  # a loss on some other model's inputs fails here
        from ..registry import registry

        add_loss_layer = registry("layers").resolve("AddLoss")
        self._add_graph_losses([add_loss_layer(name=f"add_loss_{K.get_uid('add_loss')}")(t) for t in symbolic])

    def _add_graph_losses(self, tensors):
        """Keeps the outputs of ``AddLoss`` nodes in the plan (also used when a config is loaded)."""
        self._graph_losses = self._graph_losses + list(tensors)
        self._init_graph(self._nested_inputs, self._nested_outputs)

    @property
    def layers(self):
        """The model's layers (for functional models, InputLayers first, in graph order)."""
        if self._is_graph_network:
            return list(self._layers)
        return list(self._sublayers)

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index`` into ``layers``.

        Raises:
            ValueError: no layer has that name / index out of range (listing the names).
        """
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range; the model has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Layers: {', '.join(l.name for l in layers)}.")

    # -- the model's own inputs and outputs (not those of its calls as a layer) ----------
    def _own(self, tensors, what):
        if not tensors:
            raise AttributeError(
                f"The model {self.name} has no defined {what} yet: build it first (give the first "
                f"layer an input_shape, call build(), or fit/predict on some data)."
            )
        return tensors[0] if len(tensors) == 1 else list(tensors)

    @property
    def input(self):
        return self._own(self.inputs, "input")

    @property
    def output(self):
        return self._own(self.outputs, "output")

    @property
    def input_shape(self):
        shapes = [tuple(t.shape) for t in self.inputs]
        return self._own(shapes, "input shape")

    @property
    def output_shape(self):
        shapes = [tuple(t.shape) for t in self.outputs]
        return self._own(shapes, "output shape")

    # -- weights --------------------------------------------------------------------
    def _unique(self, weights):
        seen, unique = set(), []
        for w in weights:
            if id(w) not in seen:
                seen.add(id(w))
                unique.append(w)
        return unique

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        weights = list(self._trainable_weights)
        for layer in self.layers:
            weights += layer.trainable_weights
        return self._unique(weights)

    @property
    def non_trainable_weights(self):
        weights = list(self._non_trainable_weights)
        for layer in self.layers:
            weights += layer.non_trainable_weights
            if not self.trainable:
                weights += layer.trainable_weights
        if not self.trainable:
            weights = list(self._trainable_weights) + weights
        return self._unique(weights)

    @property
    def losses(self):
        losses = [regularizer(variable) for regularizer, variable in self._regularized]
        losses += self._call_losses
        seen = set()
        for layer in self._loss_layers():
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            losses += layer.losses
        return losses

    def _loss_layers(self):
        """The layers whose losses are the model's: its layers, and the AddLoss layers of its
        graph losses (which a Sequential's ``layers``, its stack, leave out)."""
        layers = self.layers
        adders = [t._keras_history[0] for t in self._graph_losses]
        return layers + [a for a in adders if not any(a is layer for layer in layers)]

    def _clear_call_losses(self):
        self._call_losses.clear()
        for layer in self._loss_layers():
            layer._clear_call_losses()

    @property
    def state_updates(self):
        return []

    # -- running -----------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        if not self._is_graph_network:
            raise NotImplementedError(
                f"{type(self).__name__} is a subclassed model without a call() method; "
                "override call(self, inputs) or build the model with Model(inputs, outputs)."
            )
        outputs, _ = self._run_graph(inputs, training, mask)
        return self._nest_outputs(outputs)

    def _nest_outputs(self, outputs):
        """The output list in the structure the model was built with (a list, or one tensor)."""
        return outputs if isinstance(self._nested_outputs, (list, tuple)) else outputs[0]

    def _run_graph(self, inputs, training=None, masks=None):
        """Runs the plan on ``inputs``; returns the list of outputs and the list of their masks.

        The masks are those the layers compute (``compute_mask``): ``None`` for an output
        that carries none. The training objective applies them to the losses and metrics.
        """
        flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self._input_keys):
            raise ValueError(
                f"Model {self.name} expects {len(self._input_keys)} input(s) "
                f"({', '.join(self.input_names)}), but it received {len(flat)}."
            )
        for x, placeholder, name in zip(flat, self.inputs, self.input_names):
            shape = getattr(x, "shape", None)
            expected = placeholder.shape
            if shape is not None and shape[1:] != expected[1:] and (len(shape) != len(expected) or any(
                    e is not None and e != d for e, d in zip(expected[1:], shape[1:]))):
                raise ValueError(
                    f"Model {self.name}: input {name} expects shape {expected}, but got an input "
                    f"of shape {tuple(shape)}."
                )
        values = dict(zip(self._input_keys, flat))
        mask_values = {}
        if masks is not None:
            mask_list = masks if isinstance(masks, (list, tuple)) else [masks]
            mask_values = {k: m for k, m in zip(self._input_keys, mask_list) if m is not None}
        for layer, in_keys, out_keys, arguments, structured in self._plan:
            if structured or len(in_keys) > 1:
                x = [values[k] for k in in_keys]
            else:
                x = values[in_keys[0]]
            kwargs = dict(arguments)
            if training is not None:
                kwargs["training"] = training
            in_masks = None
            if mask_values:
                in_masks = [mask_values.get(k) for k in in_keys]
                in_masks = in_masks if structured or len(in_masks) > 1 else in_masks[0]
                if any(m is not None for m in _flatten(in_masks)):
                    kwargs["mask"] = in_masks
                else:
                    in_masks = None
            outputs = layer._call_in_graph(x, kwargs)
            out_list = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            for k, o in zip(out_keys, out_list):
                values[k] = o
            if layer.supports_masking or in_masks is not None or getattr(layer, "produces_mask", False):
                out_mask = layer.compute_mask(x, in_masks)
                if out_mask is not None:
                    out_masks = out_mask if isinstance(out_mask, (list, tuple)) else [out_mask] * len(out_keys)
                    for k, m in zip(out_keys, out_masks):
                        if m is not None:
                            mask_values[k] = m
        return [values[k] for k in self._output_keys], [mask_values.get(k) for k in self._output_keys]

    def compute_output_shape(self, input_shape):
        """The output shapes for ``input_shape``: the graph's own, or, for inputs whose shapes say
        more (a model built for ``(None, None)`` called on ``(None, 68)``), each layer's
        ``compute_output_shape`` along the plan, as Keras 2.2's ``Network`` does."""
        if not self._is_graph_network:
            return self._infer_output_shape(input_shape)
        given = input_shape if isinstance(input_shape, list) else [input_shape]
        known = {}
        if len(given) == len(self.inputs):
            known = {id(t): tuple(shape) for t, shape in zip(self.inputs, given)}
        if known and any(known[id(t)] != tuple(t.shape) for t in self.inputs):
            for layer, in_keys, out_keys, _, structured in self._plan:
                shapes = [known[k] for k in in_keys]
                result = layer.compute_output_shape(shapes if structured or len(shapes) > 1 else shapes[0])
                for k, shape in zip(out_keys, result if isinstance(result, list) else [result]):
                    known[k] = tuple(shape)
            shapes = [known[id(t)] for t in self.outputs]
        else:
            shapes = [t.shape for t in self.outputs]
        return shapes if isinstance(self._nested_outputs, (list, tuple)) else shapes[0]

    def compute_mask(self, inputs, mask=None):
        return None

    def reset_states(self):
        for layer in self.layers:
            layer.reset_states()

    # -- config ---------------------------------------------------------------------------
    def get_config(self):
        """The graph as Keras 2's functional config: layers with their inbound nodes."""
        if not self._is_graph_network:
            raise NotImplementedError(
                f"{type(self).__name__} is a subclassed model: its architecture is Python code. "
                "Save its weights with save_weights(), or implement get_config()/from_config()."
            )
        from .serialization import network_config

        return network_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .serialization import network_from_config

        return network_from_config(cls, config, custom_objects)


def is_symbolic(x):
    return any(isinstance(t, KerasTensor) for t in _flatten(x))


__all__ = ["Network", "symbolic_call", "topological_nodes", "is_symbolic"]
