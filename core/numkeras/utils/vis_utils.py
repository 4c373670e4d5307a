"""``plot_model`` / ``model_to_dot``: a model's layer graph in Graphviz DOT (Keras 2 API).

The DOT text is written here directly (no pydot needed). ``.dot`` / ``.gv`` files are
plain text and need nothing else; images (png, svg, pdf, ...) are rendered by running
Graphviz's ``dot`` program, which must be on the ``PATH``.

Example:
    >>> from numkeras.utils import plot_model
    >>> plot_model(model, 'model.dot', show_shapes=True)   # no Graphviz needed
    >>> plot_model(model, 'model.png')                      # needs Graphviz's `dot`
"""

import os
import shutil
import subprocess
import tempfile

from .files import give_ordinary_mode

__all__ = ["model_to_dot", "plot_model", "DotGraph", "GraphvizNotFoundError"]

_TEXT_EXTENSIONS = ("dot", "gv")


class GraphvizNotFoundError(ImportError):
    """Graphviz's ``dot`` program is needed to render an image and is not on the PATH."""


def _missing_dot_error(what):
    return GraphvizNotFoundError(
        f"{what} needs Graphviz's `dot` program, which was not found on the PATH. Install "
        f"Graphviz (e.g. `apt-get install graphviz`, `brew install graphviz` or "
        f"`conda install graphviz`), or write DOT text instead, which needs nothing else: "
        f"plot_model(model, 'model.dot') or model_to_dot(model).to_string()."
    )


def _quote(text):
    """A DOT double-quoted string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _record_escape(text):
    """Escapes the characters that have a meaning inside a record label."""
    out = []
    for ch in str(text):
        if ch in "{}|<>\\\"":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


class DotGraph:
    """A DOT digraph: ``to_string()`` gives its text, ``create(format)`` renders it.

    Attributes:
        nodes: list of ``(node_id, label)`` in drawing order.
        edges: list of ``(source_id, target_id)``.
        attributes: graph attributes (``rankdir``, ``concentrate``, ``dpi``).
    """

    def __init__(self, rankdir="TB", dpi=96):
        self.attributes = {"rankdir": rankdir, "concentrate": "true", "dpi": dpi}
        self.nodes = []
        self.edges = []

    def add_node(self, node_id, label):
        self.nodes.append((str(node_id), label))

    def add_edge(self, source, target):
        edge = (str(source), str(target))
        if edge not in self.edges:
            self.edges.append(edge)

    def to_string(self):
        lines = ["digraph G {"]
        for key, value in self.attributes.items():
            lines.append(f"\t{key}={_quote(value)};")
        lines.append('\tnode [shape="record"];')
        for node_id, label in self.nodes:
            # The label is record text already escaped; only quote characters for DOT itself.
            lines.append(f"\t{_quote(node_id)} [label=\"{label}\"];")
        for source, target in self.edges:
            lines.append(f"\t{_quote(source)} -> {_quote(target)};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    __str__ = to_string

    def create(self, format="png", prog="dot"):
        """The graph rendered by Graphviz (``dot -T<format>``), as bytes.

        Raises:
            GraphvizNotFoundError: (an ImportError) ``prog`` is not on the PATH.
            RuntimeError: Graphviz failed (e.g. an unknown format), with its message.
        """
        executable = shutil.which(prog)
        if executable is None:
            raise _missing_dot_error(f"Rendering a model graph as {format!r}")
        result = subprocess.run(
            [executable, f"-T{format}"], input=self.to_string().encode("utf-8"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"Graphviz `{prog} -T{format}` failed (exit status {result.returncode}): "
                f"{result.stderr.decode('utf-8', 'replace').strip()}"
            )
        return result.stdout

    def write(self, path, format="raw", prog="dot"):
        """Writes the DOT text (``format='raw'``/``'dot'``) or a rendered image to ``path``."""
        if format in ("raw",) + _TEXT_EXTENSIONS:
            data = self.to_string().encode("utf-8")
        else:
            data = self.create(format=format, prog=prog)
        _write_atomically(path, data)
        return True


def _write_atomically(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp_plot_model_", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        give_ordinary_mode(tmp, path)  # mkstemp made it 0600
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _format_shapes(shapes):
    """Keras's shape text: one tuple as ``(None, 3)``, several joined by ``, ``."""
    if shapes is None:
        return "multiple"
    if isinstance(shapes, list):
        return ", ".join(str(tuple(s)) for s in shapes)
    return str(tuple(shapes))


def _node_shapes(nodes, attribute):
    """The shapes of ``attribute`` ('inputs'/'outputs') shared by all ``nodes``, else None."""
    seen = []
    for node in nodes:
        tensors = getattr(node, attribute)
        shapes = [tuple(t.shape) for t in tensors]
        value = shapes[0] if len(shapes) == 1 else shapes
        if value not in seen:
            seen.append(value)
    return seen[0] if len(seen) == 1 else None


def _layer_label(layer, nodes, show_shapes, show_layer_names):
    class_name = type(layer).__name__
    inner = getattr(layer, "layer", None)
    if inner is not None and hasattr(inner, "name") and class_name != "InputLayer":
        # Wrappers (TimeDistributed, Bidirectional): "name(inner): Wrapper(InnerClass)".
        name = f"{layer.name}({inner.name})"
        class_name = f"{class_name}({type(inner).__name__})"
    else:
        name = layer.name
    label = f"{name}: {class_name}" if show_layer_names else class_name
    label = _record_escape(label)
    if show_shapes:
        if getattr(layer, "is_placeholder", False):
            outputs = _node_shapes(layer._inbound_nodes[:1], "outputs")
            inputs = outputs
        else:
            inputs = _node_shapes(nodes, "inputs") if nodes else None
            outputs = _node_shapes(nodes, "outputs") if nodes else None
        label = (f"{label}\\n|{{input:|output:}}|{{{{{_record_escape(_format_shapes(inputs))}}}|"
                 f"{{{_record_escape(_format_shapes(outputs))}}}}}")
    return label


def model_to_dot(model, show_shapes=False, show_layer_names=True, rankdir="TB", dpi=96):
    """The graph of ``model``'s layers as a :class:`DotGraph`.

    One node per layer (a nested model is one node), labelled ``"name: ClassName"``
    (or ``ClassName`` without layer names); with ``show_shapes`` the label is a record
    ``name: ClassName | {input: | output:} | {{in shape} | {out shape}}``. Edges go from
    each inbound layer to the layer, for the calls (nodes) inside this model.
    Sequential models show their input layer too.

    Arguments:
        model: a built Sequential or functional Model.
        show_shapes: whether to show input/output shapes ("multiple" when a shared layer's
            calls have different shapes).
        show_layer_names: whether to show layer names.
        rankdir: Graphviz direction: 'TB' (vertical) or 'LR' (horizontal).
        dpi: resolution of rendered images.

    Raises:
        ValueError: an unbuilt Sequential model.
    """
    dot = DotGraph(rankdir=rankdir, dpi=dpi)
    if not getattr(model, "_is_graph_network", False):
        if model.builds_graph_from_layers:
            raise ValueError(
                "This model has not yet been built, so it has no graph to plot. Build it first by "
                "calling build() or fit() with some data, or give the first layer an input_shape."
            )
        # A subclassed model: its graph is Python code; show the model as one node.
        dot.add_node(id(model), _record_escape(f"{model.name}: {type(model).__name__}"
                                               if show_layer_names else type(model).__name__))
        return dot
    model_nodes = {id(n) for n in model._graph_nodes}
    layers = list(model._layers)  # InputLayers first, as Keras plots them (Sequential included)
    layer_ids = {id(layer) for layer in layers}
    for layer in layers:
        nodes = [n for n in layer._inbound_nodes if id(n) in model_nodes]
        dot.add_node(id(layer), _layer_label(layer, nodes, show_shapes, show_layer_names))
    for layer in layers:
        for node in layer._inbound_nodes:
            if id(node) not in model_nodes:
                continue
            for inbound in node.inbound_layers:
                if id(inbound) in layer_ids:
                    dot.add_edge(id(inbound), id(layer))
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=96):
    """Draws ``model``'s layer graph into ``to_file``.

    The file's extension picks the format: ``.dot`` / ``.gv`` write the DOT text (nothing
    else needed); any other (png, svg, pdf, ...; none means png) is rendered by Graphviz's
    ``dot`` program. The file is written atomically (a temporary file, then renamed).

    Arguments:
        model: a built Sequential or functional Model.
        to_file: the output path.
        show_shapes, show_layer_names, rankdir, dpi: as for :func:`model_to_dot`.
        expand_nested: accepted for Keras compatibility; nested models are drawn as one node.

    Raises:
        GraphvizNotFoundError: (an ImportError) an image was asked for and Graphviz's
            ``dot`` is not on the PATH.
    """
    extension = os.path.splitext(str(to_file))[1].lstrip(".").lower() or "png"
    if extension not in _TEXT_EXTENSIONS and shutil.which("dot") is None:
        raise _missing_dot_error(f"plot_model(..., to_file={str(to_file)!r}) writing a {extension!r} image")
    dot = model_to_dot(model, show_shapes=show_shapes, show_layer_names=show_layer_names,
                       rankdir=rankdir, dpi=dpi)
    dot.write(to_file, format="raw" if extension in _TEXT_EXTENSIONS else extension)
