"""The conformance kit (numkeras.testing) over every built-in component.

One test per (component, check). Every registered object of every kind is a row:
names that are aliases of one object (``mse`` / ``MSE`` / ``mean_squared_error``) are
checked once, under one name, and ``check_registration`` proves the aliases resolve to
it. What the kit cannot guess (a layer's arguments and input shape, a loss's targets) is
in the tables below; what it rightly does not apply to is in ``EXEMPTIONS``, each with
its reason.

The fresh-process saving check starts a Python interpreter per component (about a
second each), so it runs in a fresh process for ``FRESH_PROCESS_SAVING`` (one or more
per kind) and in this process for the rest, which still proves that the saved model
loads by name without custom_objects.
"""

import importlib_metadata
import pytest

from numkeras import layers, losses
from numkeras.testing import Component, parametrize_with_checks

KINDS = ("layers", "losses", "metrics", "optimizers", "callbacks", "activations", "initializers",
         "regularizers", "constraints")

# name -> options (numkeras.testing.Component): arguments and example input of each layer.
LAYERS = {
    "Activation": dict(kwargs={"activation": "tanh"}),
    "ActivityRegularization": dict(kwargs={"l1": 0.01, "l2": 0.01}),
    "Add": dict(input_shape=[(3,), (3,)]),
    "Subtract": dict(input_shape=[(3,), (3,)]),
    "Multiply": dict(input_shape=[(3,), (3,)]),
    "Average": dict(input_shape=[(3,), (3,)]),
    "Maximum": dict(input_shape=[(3,), (3,)]),
    "Minimum": dict(input_shape=[(3,), (3,)]),
    "Concatenate": dict(input_shape=[(3,), (2,)]),
    "Dot": dict(kwargs={"axes": 1}, input_shape=[(3,), (3,)]),
    "AlphaDropout": dict(kwargs={"rate": 0.2}),
    "Dropout": dict(kwargs={"rate": 0.3}),
    "GaussianDropout": dict(kwargs={"rate": 0.2}),
    "GaussianNoise": dict(kwargs={"stddev": 0.1}),
    "SpatialDropout1D": dict(kwargs={"rate": 0.3}, input_shape=(3, 2)),
    "SpatialDropout2D": dict(kwargs={"rate": 0.3}, input_shape=(3, 3, 2)),
    "SpatialDropout3D": dict(kwargs={"rate": 0.3}, input_shape=(2, 2, 2, 2)),
    "AtrousConvolution1D": dict(kwargs={"filters": 2, "kernel_size": 2, "dilation_rate": 2}, input_shape=(5, 2)),
    "AtrousConvolution2D": dict(kwargs={"filters": 2, "kernel_size": 2, "dilation_rate": 2}, input_shape=(4, 4, 2)),
    "Conv1D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(4, 2)),
    "Convolution1D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(4, 2)),
    "Conv2D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(3, 3, 2)),
    "Convolution2D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(3, 3, 2)),
    "Conv3D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(2, 3, 2, 1)),
    "Convolution3D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(2, 3, 2, 1)),
    "Conv2DTranspose": dict(kwargs={"filters": 2, "kernel_size": 2, "strides": 2}, input_shape=(2, 2, 2)),
    "Deconvolution2D": dict(kwargs={"filters": 2, "kernel_size": 2, "strides": 2}, input_shape=(2, 2, 2)),
    "Conv3DTranspose": dict(kwargs={"filters": 1, "kernel_size": 2}, input_shape=(2, 2, 2, 1)),
    "Deconvolution3D": dict(kwargs={"filters": 1, "kernel_size": 2}, input_shape=(2, 2, 2, 1)),
    "SeparableConv1D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(4, 2)),
    "SeparableConv2D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(3, 3, 2)),
    "SeparableConvolution2D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(3, 3, 2)),
    "DepthwiseConv2D": dict(kwargs={"kernel_size": 2}, input_shape=(3, 3, 2)),
    "LocallyConnected1D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(4, 2)),
    "LocallyConnected2D": dict(kwargs={"filters": 2, "kernel_size": 2}, input_shape=(3, 3, 2)),
    "ConvLSTM2D": dict(kwargs={"filters": 1, "kernel_size": 2}, input_shape=(2, 3, 3, 1)),
    "AveragePooling1D": dict(input_shape=(4, 2)), "AveragePooling2D": dict(input_shape=(4, 4, 2)),
    "AveragePooling3D": dict(input_shape=(2, 2, 2, 1)),
    "MaxPooling1D": dict(input_shape=(4, 2)), "MaxPooling2D": dict(input_shape=(4, 4, 2)),
    "MaxPooling3D": dict(input_shape=(2, 2, 2, 1)),
    **{f"Global{pool}Pooling{rank}D": dict(input_shape=shape, unsaved_arguments={
        "keepdims": "written only when True, so configs match Keras 2.2's (which lacks it)"})
       for pool in ("Average", "Max") for rank, shape in ((1, (3, 2)), (2, (2, 2, 2)), (3, (2, 2, 2, 1)))},
    "Cropping1D": dict(input_shape=(4, 2)), "Cropping2D": dict(input_shape=(3, 3, 1)),
    "Cropping3D": dict(input_shape=(3, 3, 3, 1)),
    "UpSampling1D": dict(input_shape=(2, 2)), "UpSampling2D": dict(input_shape=(2, 2, 1)),
    "UpSampling3D": dict(input_shape=(1, 2, 2, 1)),
    "ZeroPadding1D": dict(input_shape=(2, 2)), "ZeroPadding2D": dict(input_shape=(2, 2, 1)),
    "ZeroPadding3D": dict(input_shape=(1, 2, 2, 1)),
    "Dense": dict(kwargs={"units": 2}),
    "TimeDistributedDense": dict(kwargs={"units": 2}, input_shape=(2, 3)),
    "Embedding": dict(kwargs={"input_dim": 6, "output_dim": 2}, input_shape=(3,), input_dtype="int32"),
    "Flatten": dict(input_shape=(2, 2)),
    "Permute": dict(kwargs={"dims": (2, 1)}, input_shape=(2, 3)),
    "RepeatVector": dict(kwargs={"n": 2}, input_shape=(3,)),
    "Reshape": dict(kwargs={"target_shape": (2, 2)}),
    "Masking": dict(input_shape=(3, 2)),
    "SimpleRNN": dict(kwargs={"units": 2}, input_shape=(3, 2)),
    "GRU": dict(kwargs={"units": 2}, input_shape=(3, 2)),
    "LSTM": dict(kwargs={"units": 2}, input_shape=(3, 2)),
    "CuDNNGRU": dict(kwargs={"units": 2}, input_shape=(3, 2)),
    "CuDNNLSTM": dict(kwargs={"units": 2}, input_shape=(3, 2)),
    "RNN": dict(kwargs=lambda: {"cell": layers.SimpleRNNCell(2)}, input_shape=(3, 2)),
    "TimeDistributed": dict(kwargs=lambda: {"layer": layers.Dense(2)}, input_shape=(2, 3)),
    "Bidirectional": dict(kwargs=lambda: {"layer": layers.SimpleRNN(2)}, input_shape=(3, 2)),
    "BatchNormalization": dict(),
    "Attention": dict(input_shape=[(3, 2), (4, 2)]),
    "AdditiveAttention": dict(input_shape=[(3, 2), (4, 2)]),
    "Rescaling": dict(kwargs={"scale": 0.5, "offset": 1.0}),
    "ELU": dict(), "LeakyReLU": dict(), "PReLU": dict(), "ReLU": dict(), "Softmax": dict(),
    "ThresholdedReLU": dict(),
}

# name -> options, for the components of the other kinds that need some.
OPTIONS = {
    ("losses", "mean_absolute_percentage_error"): dict(targets="regression"),
    ("losses", "MeanAbsolutePercentageError"): dict(targets="regression"),
    ("metrics", "MeanMetricWrapper"): dict(kwargs={"fn": losses.mean_squared_error}),
    ("regularizers", "L1L2"): dict(kwargs={"l1": 0.01, "l2": 0.01}),
    ("regularizers", "L1"): dict(unsaved_arguments={"l": "Keras's spelling of l1, stored as l1"}),
    ("regularizers", "L2"): dict(unsaved_arguments={"l": "Keras's spelling of l2, stored as l2"}),
    ("constraints", "MaxNorm"): dict(unsaved_arguments={"m": "the Keras 1 spelling of max_value, stored as max_value"}),
    ("optimizers", "RMSprop"): dict(unsaved_arguments={
        "momentum": "accepted only as 0 (tf.keras configs carry it); Keras 2.2's RMSprop has none",
        "centered": "accepted only as False (tf.keras configs carry it); Keras 2.2's RMSprop has none"}),
    ("optimizers", "Adagrad"): dict(unsaved_arguments={
        "initial_accumulator_value": "written only when non-zero, so configs match Keras 2.2's (which lacks it)"}),
    ("callbacks", "ModelCheckpoint"): dict(kwargs={"filepath": "checkpoint.h5"}),
    ("callbacks", "CSVLogger"): dict(kwargs={"filename": "log.csv"}),
    ("callbacks", "LearningRateScheduler"): dict(kwargs={"schedule": float}),
    ("callbacks", "EarlyStopping"): dict(kwargs={"monitor": "loss"}),
    ("callbacks", "ReduceLROnPlateau"): dict(kwargs={"monitor": "loss"}),
}

# The components checked in a fresh Python process; the rest save and load in this one.
FRESH_PROCESS_SAVING = {("layers", "Dense"), ("layers", "Conv2D"), ("layers", "LSTM"),
                        ("layers", "BatchNormalization"), ("losses", "categorical_crossentropy"),
                        ("losses", "CategoricalCrossentropy"), ("metrics", "CategoricalAccuracy"),
                        ("metrics", "top_k_categorical_accuracy"), ("optimizers", "Adam"),
                        ("activations", "relu"), ("initializers", "he_normal"), ("regularizers", "l2"),
                        ("constraints", "MaxNorm")}

_FLOATX_ACCURACY = ("an accuracy is a 0/1 indicator cast to K.floatx(), as Keras 2.2 casts it; "
                    "no float64 value is rounded")

# (kind, name, check) -> reason: the visible exemptions table. "*" is every check.
EXEMPTIONS = {
    **{("layers", name, "*"): ("a functional helper (keras.layers.add …), not a Layer; "
                               "tests/plugins/layers/test_merge.py covers it")
       for name in ("add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot", "merge")},
    ("layers", "Wrapper", "*"): "the abstract base of TimeDistributed and Bidirectional, checked through them",
    ("layers", "InputLayer", "*"): "the engine's placeholder layer (Input), not a computation",
    **{("layers", name, "*"): ("a graph node the engine makes from backend functions on graph tensors, never "
                               "built by hand; tests/core/engine/test_backend_ops.py")
       for name in ("BackendOp", "AddLoss", "SymbolicGradients")},
    **{("layers", name, "*"): ("tf.keras's layer for a TF function on graph tensors, made only by loading a tf.keras "
                               "config; tests/core/engine/test_tf_op_layers.py")
       for name in ("TFOpLambda", "SlicingOpLambda")},
    ("layers", "ClassMethod", "*"): ("tf.keras's ragged / sparse tensor method layers (also InstanceMethod, "
                                     "InstanceProperty): loading one is refused by name "
                                     "(tests/core/engine/test_tf_op_layers.py)"),
    ("layers", "StackedRNNCells", "*"): "an RNN cell: called with states by RNN; tests/plugins/layers/test_recurrent_cells.py",
    ("layers", "SimpleRNNCell", "*"): "an RNN cell: called with states by RNN (checked as RNN(SimpleRNNCell(2)))",
    ("layers", "GRUCell", "*"): "an RNN cell: called with states by RNN; tests/plugins/layers/test_recurrent_cells.py",
    ("layers", "LSTMCell", "*"): "an RNN cell: called with states by RNN; tests/plugins/layers/test_recurrent_cells.py",
    ("layers", "Lambda", "check_saving"): "a Lambda's code is rebuilt only with safe_mode=False, by design",
    ("layers", "Lambda", "check_config_round_trip"): "a Lambda's function is bytecode in its config; "
                                                     "tests/plugins/layers (test_core) round-trips it with safe_mode=False",
    ("metrics", "accuracy", "check_dtypes_and_shapes"): "tf.keras's elementwise accuracy: one value per element, "
                                                        "averaged by the engine",
    **{("metrics", name, "check_dtypes_and_shapes"): _FLOATX_ACCURACY
       for name in ("accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy")},
    **{("layers", name, "check_dtypes_and_shapes"): ("the wrapped layer or cell has its own dtype: as in Keras 2.2, "
                                                    "a wrapper does not pass dtype on to it")
       for name in ("RNN", "TimeDistributed", "Bidirectional")},
    ("layers", "MultiHeadAttention", "*"): ("called as layer(query, value, key=None, attention_mask=None), as in "
                                            "tf.keras, which the kit's one-input-or-a-list call cannot drive; "
                                            "tests/plugins/layers/test_attention.py checks its gradients, configs, "
                                            "saving and tf_keras parity"),
    **{("layers", name, "check_masking"): ("two inputs with a mask each; the kit's masking check drives one. "
                                           "tests/plugins/layers/test_attention.py checks query and value masks "
                                           "against tf_keras")
       for name in ("Attention", "AdditiveAttention")},
    ("layers", "Masking", "check_masking"): ("it makes the mask from the values (steps equal to mask_value) and "
                                             "ignores a given one; tests/plugins/layers/test_masking.py"),
    ("callbacks", "RemoteMonitor", "*"): "posts to a server on every epoch; tests/plugins/callbacks/test_remote.py "
                                         "serves one",
}


def _canonical_names(kind):
    """One name per registered object of the numkeras distribution: its own ``__name__`` when that
    is one of its names, else the shortest."""
    by_value = {}
    for ep in importlib_metadata.entry_points(group=f"numkeras.{kind}"):
        if ep.dist is not None and ep.dist.metadata["Name"] == "numkeras":
            by_value.setdefault(ep.value, []).append(ep.name)
    names = []
    for value, aliases in by_value.items():
        attribute = value.split(":")[-1]
        names.append(attribute if attribute in aliases else min(aliases, key=len))
    return sorted(names)


def _rows():
    rows = []
    for kind in KINDS:
        for name in _canonical_names(kind):
            if (kind, name, "*") in EXEMPTIONS:
                continue
            options = dict(LAYERS.get(name, {}) if kind == "layers" else OPTIONS.get((kind, name), {}))
            skip = {check: reason for (k, n, check), reason in EXEMPTIONS.items() if (k, n) == (kind, name)}
            options["skip"] = {**options.get("skip", {}), **skip}
            options["fresh_process"] = (kind, name) in FRESH_PROCESS_SAVING
            rows.append(Component(kind, name, **options))
    return rows


def _double(x):
    return x * 2


LAYERS["Lambda"] = dict(kwargs={"function": _double})


@parametrize_with_checks(_rows())
def test_builtin_conformance(component, check):
    check(component)


def test_every_exemption_names_a_registered_component():
    """An exemption for a name that no longer exists would hide nothing and mislead."""
    for kind, name, _ in EXEMPTIONS:
        assert name in _canonical_names(kind), (kind, name)
