"""Keras 2.2's testing helpers, at their Keras 2.2 path and with their signatures.

Layer packages of the Keras 2 era test themselves with ``layer_test``, ``keras_test``
and ``get_test_data``; with these, their test suites run unchanged on numkeras. The
work is done by the conformance kit's :func:`numkeras.testing.layer_test` (imported
when called: this module sits low in the layering, the kit high).
"""

import functools

import numpy as np


def get_test_data(num_train=1000, num_test=500, input_shape=(10,), output_shape=(2,),
                  classification=True, num_classes=2):
    """Random data for a quick test, as Keras 2.2's helper draws it.

    For classification, each sample's class ``c`` is drawn uniformly from
    ``range(num_classes)`` and its features from a normal distribution centred on ``c``
    (scale 0.7), so the task is learnable; ``y`` holds the class indices. For
    regression, the features are centred on a uniform draw and ``y`` is uniform with
    shape ``output_shape``. Uses NumPy's global RNG (seed it with ``np.random.seed``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``.
    """
    samples = num_train + num_test
    if classification:
        y = np.random.randint(0, num_classes, size=(samples,))
        centres = y
    else:
        centres = np.random.random((samples,))
        y = np.random.random((samples,) + tuple(output_shape))
    x = np.zeros((samples,) + tuple(input_shape), dtype=np.float32)
    for i in range(samples):
        x[i] = np.random.normal(loc=centres[i], scale=0.7, size=input_shape)
    return (x[:num_train], y[:num_train]), (x[num_train:], y[num_train:])


def layer_test(layer_cls, kwargs={}, input_shape=None, input_dtype=None,  # noqa: B006 - Keras 2.2's signature
               input_data=None, expected_output=None, expected_output_dtype=None, fixed_batch_size=False):
    """Keras 2.2's ``layer_test``: builds, runs, round-trips and trains a layer; returns its output.

    Arguments:
        layer_cls: a Layer class (or a registered layer name).
        kwargs: constructor arguments.
        input_shape: the full input shape, batch axis included; ``None`` entries are
            drawn as 3. Used when ``input_data`` is not given.
        input_dtype: default ``K.floatx()``.
        input_data: the input array (then ``input_shape`` is taken from it).
        expected_output: compared with the output (``assert_allclose``, rtol 1e-3).
        expected_output_dtype: default the input's dtype.
        fixed_batch_size: build the functional model with the batch size in its input.

    It checks, as Keras 2.2's does, the output shape against ``compute_output_shape``,
    the config round trip with the same weights, the layer in a functional ``Model`` and
    in a ``Sequential`` model, and that a model holding it trains one batch
    (``train_on_batch`` with rmsprop / mse). Numerical gradients are not checked here;
    :func:`numkeras.testing.layer_test` and ``numkeras.testing.check_gradients`` do that.
    """
    from ..testing.layer_test import keras22_layer_test

    return keras22_layer_test(layer_cls, dict(kwargs), input_shape, input_dtype, input_data, expected_output,
                              expected_output_dtype, fixed_batch_size)


def keras_test(func):
    """Decorator of Keras 2.2's tests: runs the test, then clears the session (layer names, state)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from ..testing.layer_test import clear_session

        try:
            return func(*args, **kwargs)
        finally:
            clear_session()

    return wrapper
