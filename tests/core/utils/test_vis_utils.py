"""numkeras.utils.plot_model / model_to_dot: DOT nodes, labels, edges, shapes, files, Graphviz."""

import os
import re
import shutil

import pytest

from numkeras.layers import Dense, Input, concatenate
from numkeras.models import Model, Sequential
from numkeras.utils import model_to_dot, plot_model
from numkeras.utils import vis_utils

NODE = re.compile(r'^\s*"([^"]+)" \[label="((?:[^"\\]|\\.)*)"\];$', re.M)
EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)";$', re.M)


def parse(text):
    """({node_id: label}, [(source label name, target label name)]) from DOT text."""
    labels = dict(NODE.findall(text))
    names = {node_id: label.split(":")[0] for node_id, label in labels.items()}
    edges = [(names[a], names[b]) for a, b in EDGE.findall(text)]
    return labels, edges


def by_name(labels):
    return {label.split(":")[0]: label for label in labels.values()}


@pytest.fixture
def sequential():
    return Sequential([Dense(4, input_shape=(3,), name="d1"), Dense(2, name="d2")], name="seq")


@pytest.fixture
def two_input():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = Dense(5, name="shared")
    x = concatenate([shared(a), shared(b)], name="merge")
    return Model([a, b], Dense(1, name="out")(x))


def test_sequential_nodes_labels_and_edges(sequential):
    text = model_to_dot(sequential).to_string()
    assert text.startswith("digraph G {") and text.rstrip().endswith("}")
    assert 'rankdir="TB"' in text
    labels, edges = parse(text)
    assert sorted(labels.values()) == ["d1: Dense", "d1_input: InputLayer", "d2: Dense"]
    assert edges == [("d1_input", "d1"), ("d1", "d2")]


def test_two_input_functional_with_shared_layer(two_input):
    labels, edges = parse(model_to_dot(two_input).to_string())
    assert sorted(labels.values()) == ["a: InputLayer", "b: InputLayer", "merge: Concatenate",
                                       "out: Dense", "shared: Dense"]
    assert len(labels) == 5  # the shared layer is one node
    assert sorted(edges) == [("a", "shared"), ("b", "shared"), ("merge", "out"), ("shared", "merge")]


def test_labels_without_layer_names_and_rankdir(sequential):
    dot = model_to_dot(sequential, show_layer_names=False, rankdir="LR")
    text = dot.to_string()
    assert 'rankdir="LR"' in text
    assert sorted(dict(NODE.findall(text)).values()) == ["Dense", "Dense", "InputLayer"]


def test_show_shapes_puts_shapes_in_record_labels(sequential, two_input):
    names = by_name(parse(model_to_dot(sequential, show_shapes=True).to_string())[0])
    assert names["d1"] == r"d1: Dense\n|{input:|output:}|{{(None, 3)}|{(None, 4)}}"
    assert names["d2"] == r"d2: Dense\n|{input:|output:}|{{(None, 4)}|{(None, 2)}}"
    assert names["d1_input"] == r"d1_input: InputLayer\n|{input:|output:}|{{(None, 3)}|{(None, 3)}}"
    names = by_name(parse(model_to_dot(two_input, show_shapes=True).to_string())[0])
    assert names["merge"] == r"merge: Concatenate\n|{input:|output:}|{{(None, 5), (None, 5)}|{(None, 10)}}"
    assert "input:" not in model_to_dot(two_input).to_string()


def test_shared_layer_with_different_shapes_is_multiple():
    a, b = Input((3,), name="a"), Input((2, 3), name="b")
    shared = Dense(4, name="shared")
    model = Model([a, b], [shared(a), shared(b)])
    names = by_name(parse(model_to_dot(model, show_shapes=True).to_string())[0])
    assert names["shared"] == r"shared: Dense\n|{input:|output:}|{{multiple}|{multiple}}"


def test_nested_model_is_one_node(sequential):
    x = Input((3,), name="x")
    outer = Model(x, Dense(1, name="head")(sequential(x)))
    labels, edges = parse(model_to_dot(outer).to_string())
    assert sorted(labels.values()) == ["head: Dense", "seq: Sequential", "x: InputLayer"]
    assert edges == [("x", "seq"), ("seq", "head")]


def test_unbuilt_sequential_raises():
    with pytest.raises(ValueError, match="not yet been built"):
        model_to_dot(Sequential([Dense(2)]))


@pytest.mark.parametrize("extension", ["dot", "gv"])
def test_dot_file_written_without_graphviz(tmp_path, monkeypatch, two_input, extension):
    monkeypatch.setattr(vis_utils.shutil, "which", lambda name: None)
    path = tmp_path / f"model.{extension}"
    plot_model(two_input, str(path), show_shapes=True)
    text = path.read_text()
    assert text == model_to_dot(two_input, show_shapes=True).to_string()
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


def test_missing_dot_gives_clear_error(tmp_path, monkeypatch, sequential):
    monkeypatch.setattr(vis_utils.shutil, "which", lambda name: None)
    path = tmp_path / "model.png"
    with pytest.raises(ImportError, match=r"Graphviz's `dot` program.*apt-get install graphviz.*\.dot"):
        plot_model(sequential, str(path))
    assert not path.exists() and os.listdir(tmp_path) == []
    with pytest.raises(ImportError, match="Graphviz"):
        model_to_dot(sequential).create("png")


needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's `dot` program is not installed (apt-get install graphviz); image rendering untested",
)


@needs_dot
def test_render_png_and_svg(tmp_path, two_input):
    png = tmp_path / "model_info.png"
    plot_model(two_input, str(png), show_shapes=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "model.svg"
    plot_model(two_input, str(svg), rankdir="LR")
    content = svg.read_text()
    assert "<svg" in content and "shared: Dense" in content
    assert sorted(os.listdir(tmp_path)) == ["model.svg", "model_info.png"]
    assert model_to_dot(two_input).create("png")[:4] == b"\x89PNG"


@needs_dot
def test_render_failure_is_reported(tmp_path, sequential):
    with pytest.raises(RuntimeError, match="Graphviz"):
        plot_model(sequential, str(tmp_path / "model.notaformat"))
    assert os.listdir(tmp_path) == []
