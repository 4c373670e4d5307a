"""Every built-in layer's static shapes against its real output: one table for the whole layer registry.

For each registered layer (aliases share their class's row), built on a fully known input
shape, ``compute_output_shape`` must give the shape of the real output for batch sizes 1
and 3, and with an unknown batch axis it must know every other axis, as Keras does; the
KerasTensor the layer returns in a functional graph must carry that same shape. A layer
registered without a row fails here: add its row (or an exemption, with the reason).
"""

import warnings

import numpy as np
import pytest

from numkeras import backend as K
from numkeras.layers import Dense, Input, LSTMCell, SimpleRNNCell
from numkeras.registry import registry
from tests.helpers.components import builtin_names


def _lambda_double(x):
    return x * 2


#: name: (constructor, input shape(s) without the batch axis, input dtype). A list of shapes is
#: a layer of several inputs. Constructors are callables, so every test gets fresh layers.
ROWS = {
    "Activation": (lambda L: L.Activation("relu"), (4,)),
    "ActivityRegularization": (lambda L: L.ActivityRegularization(l1=0.1), (4,)),
    "Add": (lambda L: L.Add(), [(3, 4), (3, 4)]),
    "AlphaDropout": (lambda L: L.AlphaDropout(0.2), (4,)),
    "AtrousConvolution1D": (lambda L: L.AtrousConvolution1D(2, 3, atrous_rate=2), (9, 3)),
    "AtrousConvolution2D": (lambda L: L.AtrousConvolution2D(2, 3, 3, atrous_rate=(2, 2)), (8, 7, 2)),
    "Average": (lambda L: L.Average(), [(4,), (4,), (4,)]),
    "AveragePooling1D": (lambda L: L.AveragePooling1D(2), (7, 3)),
    "AveragePooling2D": (lambda L: L.AveragePooling2D((2, 2), padding="same"), (5, 6, 2)),
    "AveragePooling3D": (lambda L: L.AveragePooling3D(2), (4, 5, 4, 2)),
    "BatchNormalization": (lambda L: L.BatchNormalization(), (3, 4)),
    "LayerNormalization": (lambda L: L.LayerNormalization(), (5, 4)),
    "Attention": (lambda L: L.Attention(), [(3, 4), (5, 4)]),
    "AdditiveAttention": (lambda L: L.AdditiveAttention(), [(3, 4), (5, 4)]),
    "Normalization": (lambda L: L.Normalization(mean=0.5, variance=2.0), (5, 4)),
    "Rescaling": (lambda L: L.Rescaling(1 / 255.0, offset=-1.0), (3, 4, 2)),
    "Bidirectional": (lambda L: L.Bidirectional(L.LSTM(3, return_sequences=True)), (5, 4)),
    "Concatenate": (lambda L: L.Concatenate(axis=1), [(2, 4), (5, 4)]),
    "Conv1D": (lambda L: L.Conv1D(2, 3, strides=2), (9, 3)),
    "Conv2D": (lambda L: L.Conv2D(2, (3, 2), padding="same"), (7, 6, 3)),
    "Conv2DTranspose": (lambda L: L.Conv2DTranspose(2, 3, strides=2), (4, 5, 3)),
    "Conv3D": (lambda L: L.Conv3D(2, 2), (4, 5, 3, 2)),
    "Conv3DTranspose": (lambda L: L.Conv3DTranspose(2, 2, strides=2), (3, 4, 3, 2)),
    "ConvLSTM2D": (lambda L: L.ConvLSTM2D(2, 3, return_sequences=True), (3, 6, 5, 2)),
    "Convolution1D": (lambda L: L.Convolution1D(2, 3), (7, 3)),
    "Convolution2D": (lambda L: L.Convolution2D(2, 3, 3), (7, 6, 3)),
    "Convolution3D": (lambda L: L.Convolution3D(2, 2, 2, 2), (4, 5, 3, 2)),
    "Cropping1D": (lambda L: L.Cropping1D((1, 2)), (6, 3)),
    "Cropping2D": (lambda L: L.Cropping2D(((1, 0), (2, 1))), (5, 6, 2)),
    "Cropping3D": (lambda L: L.Cropping3D(1), (4, 5, 4, 2)),
    "CuDNNGRU": (lambda L: L.CuDNNGRU(3), (5, 4)),
    "CuDNNLSTM": (lambda L: L.CuDNNLSTM(3, return_sequences=True), (5, 4)),
    "Deconvolution2D": (lambda L: L.Deconvolution2D(2, 3, 3), (4, 5, 3)),
    "Deconvolution3D": (lambda L: L.Deconvolution3D(2, 2, 2, 2), (3, 4, 3, 2)),
    "Dense": (lambda L: L.Dense(3), (2, 4)),
    "DepthwiseConv2D": (lambda L: L.DepthwiseConv2D(3, depth_multiplier=2), (7, 6, 3)),
    "Dot": (lambda L: L.Dot(axes=(2, 2)), [(6, 4), (3, 4)]),
    "Dropout": (lambda L: L.Dropout(0.5), (4,)),
    "ELU": (lambda L: L.ELU(), (4,)),
    "Embedding": (lambda L: L.Embedding(10, 3), (6,), "int32"),
    "Flatten": (lambda L: L.Flatten(), (2, 3, 2)),
    "GRU": (lambda L: L.GRU(3), (5, 4)),
    "GaussianDropout": (lambda L: L.GaussianDropout(0.2), (4,)),
    "GaussianNoise": (lambda L: L.GaussianNoise(0.2), (4,)),
    "GlobalAveragePooling1D": (lambda L: L.GlobalAveragePooling1D(), (5, 3)),
    "GlobalAveragePooling2D": (lambda L: L.GlobalAveragePooling2D(), (5, 4, 3)),
    "GlobalAveragePooling3D": (lambda L: L.GlobalAveragePooling3D(), (3, 4, 3, 2)),
    "GlobalMaxPooling1D": (lambda L: L.GlobalMaxPooling1D(), (5, 3)),
    "GlobalMaxPooling2D": (lambda L: L.GlobalMaxPooling2D(), (5, 4, 3)),
    "GlobalMaxPooling3D": (lambda L: L.GlobalMaxPooling3D(), (3, 4, 3, 2)),
    "LSTM": (lambda L: L.LSTM(3, return_sequences=True), (5, 4)),
    "Lambda": (lambda L: L.Lambda(_lambda_double), (3, 4)),
    "LeakyReLU": (lambda L: L.LeakyReLU(0.2), (4,)),
    "LocallyConnected1D": (lambda L: L.LocallyConnected1D(2, 3), (6, 4)),
    "LocallyConnected2D": (lambda L: L.LocallyConnected2D(2, 3), (6, 5, 2)),
    "Masking": (lambda L: L.Masking(), (3, 4)),
    "MaxPooling1D": (lambda L: L.MaxPooling1D(2, padding="same"), (7, 3)),
    "MaxPooling2D": (lambda L: L.MaxPooling2D(2), (5, 6, 2)),
    "MaxPooling3D": (lambda L: L.MaxPooling3D(2), (4, 5, 4, 2)),
    "Maximum": (lambda L: L.Maximum(), [(4,), (4,)]),
    "Minimum": (lambda L: L.Minimum(), [(4,), (4,)]),
    "Multiply": (lambda L: L.Multiply(), [(3, 4), (3, 4)]),
    "PReLU": (lambda L: L.PReLU(), (3, 4)),
    "Permute": (lambda L: L.Permute((2, 1)), (3, 4)),
    "RNN": (lambda L: L.RNN([LSTMCell(3), SimpleRNNCell(2)], return_sequences=True), (5, 4)),
    "ReLU": (lambda L: L.ReLU(max_value=1.0), (4,)),
    "RepeatVector": (lambda L: L.RepeatVector(3), (4,)),
    "Reshape": (lambda L: L.Reshape((-1, 2)), (3, 4)),
    "SeparableConv1D": (lambda L: L.SeparableConv1D(2, 3), (7, 3)),
    "SeparableConv2D": (lambda L: L.SeparableConv2D(2, 3, strides=2), (7, 6, 3)),
    "SeparableConvolution2D": (lambda L: L.SeparableConvolution2D(2, 3, 3), (7, 6, 3)),
    "SimpleRNN": (lambda L: L.SimpleRNN(3, return_state=True), (5, 4)),
    "Softmax": (lambda L: L.Softmax(), (3, 4)),
    "SpatialDropout1D": (lambda L: L.SpatialDropout1D(0.5), (5, 3)),
    "SpatialDropout2D": (lambda L: L.SpatialDropout2D(0.5), (4, 4, 2)),
    "SpatialDropout3D": (lambda L: L.SpatialDropout3D(0.5), (3, 3, 3, 2)),
    "Subtract": (lambda L: L.Subtract(), [(4,), (4,)]),
    "ThresholdedReLU": (lambda L: L.ThresholdedReLU(0.5), (4,)),
    "TimeDistributed": (lambda L: L.TimeDistributed(Dense(3)), (5, 4)),
    "TimeDistributedDense": (lambda L: L.TimeDistributedDense(3), (5, 4)),
    "UpSampling1D": (lambda L: L.UpSampling1D(3), (4, 2)),
    "UpSampling2D": (lambda L: L.UpSampling2D((2, 3)), (3, 4, 2)),
    "UpSampling3D": (lambda L: L.UpSampling3D(2), (2, 3, 2, 2)),
    "ZeroPadding1D": (lambda L: L.ZeroPadding1D((1, 2)), (4, 2)),
    "ZeroPadding2D": (lambda L: L.ZeroPadding2D(((1, 0), (2, 1))), (3, 4, 2)),
    "ZeroPadding3D": (lambda L: L.ZeroPadding3D(1), (2, 3, 2, 2)),
}

#: Registered names with no row, and why. Keep this table short and every reason true.
EXEMPT = {
    "InputLayer": "holds a graph input; it is not called on tensors",
    "BackendOp": "made by backend functions on graph tensors; its shapes are tested in tests/core/engine/test_backend_ops.py",
    "AddLoss": "passes its input through (identity shape); made by Model.add_loss, tested in test_backend_ops.py",
    "SymbolicGradients": "made by K.gradients on graph tensors; tested in tests/core/engine/test_backend_ops.py",
    **{name: "made only by loading a tf.keras config; a BackendOp after its first call, shapes tested in "
             "tests/core/engine/test_tf_op_layers.py" for name in ("TFOpLambda", "SlicingOpLambda")},
    **{name: "tf.keras's ragged / sparse tensor method layer, refused when loaded"
       for name in ("ClassMethod", "InstanceMethod", "InstanceProperty")},
    "MultiHeadAttention": ("called as layer(query, value, key=None), not on a list; tests/plugins/layers/"
                           "test_attention.py checks its output and score shapes against tf_keras"),
    "Wrapper": "abstract base of TimeDistributed and Bidirectional, which have rows",
    "SimpleRNNCell": "a cell computes one step with states, called by RNN (the RNN row runs cells)",
    "LSTMCell": "a cell computes one step with states, called by RNN (the RNN row runs cells)",
    "GRUCell": "a cell computes one step with states, called by RNN (the GRU row runs it)",
    "StackedRNNCells": "a cell stack computes one step with states; RNN([cells]) in the RNN row builds one",
}

FUNCTIONS = {  # the functional merge interfaces are functions: their classes have rows
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot", "merge",
}


def _distinct_classes():
    """One registered name per layer class (aliases such as ``MaxPool2D`` share ``MaxPooling2D``'s row)."""
    seen, names = {}, []
    for name in builtin_names("layers"):
        if name in FUNCTIONS:
            continue
        target = registry("layers").resolve(name)
        if id(target) in seen:
            continue
        seen[id(target)] = name
        names.append(name)
    return names


def _row(name):
    """The row of ``name``, or of the first name registered for the same class."""
    if name in ROWS:
        return ROWS[name]
    target = registry("layers").resolve(name)
    for other, row in ROWS.items():
        if registry("layers").resolve(other) is target:
            return row
    raise AssertionError(f"Layer {name} has no row in ROWS and no EXEMPT entry: add one.")


def test_every_registered_layer_has_a_row_or_a_reason():
    missing = [name for name in _distinct_classes() if name not in EXEMPT and name not in ROWS
               and not any(registry("layers").resolve(o) is registry("layers").resolve(name) for o in ROWS)]
    assert not missing, f"layers without a row in ROWS or an EXEMPT reason: {missing}"
    assert not set(EXEMPT) & set(ROWS)


def _layer_namespace():
    import numkeras.layers

    return numkeras.layers


def _shapes(output):
    return [tuple(o.shape) for o in output] if isinstance(output, (list, tuple)) else tuple(output.shape)


def _data(shape, batch, dtype, seed):
    rng = np.random.RandomState(seed)
    if np.dtype(dtype).kind == "i":
        return rng.randint(0, 10, size=(batch,) + shape).astype(dtype)
    return rng.uniform(-1, 1, size=(batch,) + shape).astype(dtype)


def _with_batch(shapes, batch):
    return [(batch,) + s for s in shapes] if isinstance(shapes, list) else (batch,) + shapes


def _compare(name, what, declared, actual, batch):
    declared = declared if isinstance(declared, list) else [declared]
    actual = actual if isinstance(actual, list) else [actual]
    assert len(declared) == len(actual), f"{name}: {what} gives {len(declared)} shapes, the output has {len(actual)}"
    for d, a in zip(declared, actual):
        expected = a if batch is not None else (None,) + tuple(a[1:])
        assert tuple(d) == tuple(expected), f"{name}: {what} is {tuple(d)}, the real output's shape is {a}"


@pytest.mark.parametrize("name", [n for n in _distinct_classes() if n not in EXEMPT])
@pytest.mark.parametrize("batch", [1, 3])
def test_static_shapes_match_the_real_output(name, batch):
    row = _row(name)
    make, shapes, dtype = row[0], row[1], (row[2] if len(row) > 2 else K.floatx())
    L = _layer_namespace()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the Keras 1 spellings among the rows
        layer = make(L)
        graph_layer = make(L)
    arrays = ([_data(s, batch, dtype, i) for i, s in enumerate(shapes)] if isinstance(shapes, list)
              else _data(shapes, batch, dtype, 0))
    output = layer(arrays)
    actual = _shapes(output)

    _compare(name, f"compute_output_shape({_with_batch(shapes, batch)})",
             layer.compute_output_shape(_with_batch(shapes, batch)), actual, batch)
    _compare(name, f"compute_output_shape({_with_batch(shapes, None)})",
             layer.compute_output_shape(_with_batch(shapes, None)), actual, None)

    inputs = ([Input(s, dtype=dtype) for s in shapes] if isinstance(shapes, list) else Input(shapes, dtype=dtype))
    symbolic = graph_layer(inputs)
    _compare(name, "the KerasTensor's shape", _shapes(symbolic), actual, None)


#: Rows whose first non-batch axis cannot be unknown (the layer's weights are sized by it).
FIXED_FIRST_AXIS = {
    "PReLU": "one alpha per input position (no shared_axes)",
    "LocallyConnected1D": "one kernel per output position",
    "LocallyConnected2D": "one kernel per output position",
    "Flatten": "Keras 2.2 refuses an input whose non-batch axes are not all known; numkeras too (Keras 2.2 wins)",
}


def _unknown_first_axis(shape):
    return (None,) + tuple(shape[1:])


def _grown_first_axis(shape, by):
    return (shape[0] + by,) + tuple(shape[1:])


@pytest.mark.parametrize("name", [n for n in _distinct_classes() if n not in EXEMPT and n not in FIXED_FIRST_AXIS])
def test_static_shapes_keep_what_an_unknown_axis_does_not_change(name):
    """The first non-batch axis of every input unknown: an output axis whose size does not
    change when that axis grows must stay known (Keras knows it); one that changes is None."""
    row = _row(name)
    make, shapes, dtype = row[0], row[1], (row[2] if len(row) > 2 else K.floatx())
    several = isinstance(shapes, list)
    shape_list = shapes if several else [shapes]
    L = _layer_namespace()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        layer = make(L)
    inputs = [Input(_unknown_first_axis(s), dtype=dtype) for s in shape_list]
    symbolic = _shapes(layer(inputs if several else inputs[0]))
    runs = []
    for grow in range(4):  # sizes n … n + 3: an axis a stride of up to 3 divides changes in one of them
        arrays = [_data(_grown_first_axis(s, grow), 2, dtype, i) for i, s in enumerate(shape_list)]
        output = _shapes(layer(arrays if several else arrays[0]))
        runs.append(output if isinstance(output, list) else [output])
    expected = [(None,) + tuple(sizes[0] if len(set(sizes)) == 1 else None for sizes in zip(*[s[1:] for s in shapes]))
                for shapes in zip(*runs)]
    small, large = runs[0], runs[-1]
    declared = layer.compute_output_shape([tuple(t.shape) for t in inputs] if several else tuple(inputs[0].shape))
    for what, shape in (("compute_output_shape", declared), ("the KerasTensor's shape", symbolic)):
        shape = shape if isinstance(shape, list) else [shape]
        assert [tuple(s) for s in shape] == expected, (
            f"{name} on {[t.shape for t in inputs]}: {what} is {shape}; from the real outputs "
            f"({small} and {large}) Keras knows {expected}")
