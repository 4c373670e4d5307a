"""dense (matmul + bias [+ ReLU] in one op) and bias_add: values against their formulas, gradients numerically."""

import numpy as np
import pytest

from numkeras.backend.ops import fused
from numkeras.testing.gradcheck import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (1, 3)], ids=["2-D", "3-D", "one-sample"])
def test_dense_is_the_product_plus_bias(shape, rng):
    x, kernel, bias = rng.standard_normal(shape), rng.standard_normal((3, 6)), rng.standard_normal(6)
    np.testing.assert_allclose(fused.dense(x, kernel, bias).data, x @ kernel + bias, rtol=1e-12)
    np.testing.assert_allclose(fused.dense(x, kernel).data, x @ kernel, rtol=1e-12)
    check_gradients(fused.dense, x, kernel, bias)
    check_gradients(fused.dense, x, kernel)


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (1, 3)], ids=["2-D", "3-D", "one-sample"])
def test_dense_with_fused_relu(shape, rng):
    x, kernel, bias = rng.standard_normal(shape), rng.standard_normal((3, 6)), rng.standard_normal(6)
    for pre in (x @ kernel + bias, x @ kernel):  # the numerical gradient needs inputs off the kink at 0
        assert np.abs(pre).min() > 1e-4 and (pre > 0).any() and (pre < 0).any()
    np.testing.assert_allclose(fused.dense(x, kernel, bias, relu=True).data, np.maximum(x @ kernel + bias, 0),
                               rtol=1e-12)
    check_gradients(lambda a, w, b: fused.dense(a, w, b, relu=True), x, kernel, bias)
    check_gradients(lambda a, w: fused.dense(a, w, relu=True), x, kernel)


@pytest.mark.parametrize("data_format, shape, bias_shape", [
    ("channels_last", (2, 4, 3), (3,)),
    ("channels_first", (2, 3, 4, 5), (3,)),
])
def test_bias_add(data_format, shape, bias_shape, rng):
    x, bias = rng.standard_normal(shape), rng.standard_normal(bias_shape)
    expected = x + (bias.reshape((1, -1) + (1,) * (len(shape) - 2)) if data_format == "channels_first" else bias)
    np.testing.assert_allclose(fused.bias_add(x, bias, data_format).data, expected)
    check_gradients(lambda a, b: fused.bias_add(a, b, data_format), x, bias)
