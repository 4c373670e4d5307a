"""The float64 formulas other tests check kernels against, at values worked by hand."""

import math

import numpy as np

from tests.helpers.formulas import GATES, hard_sigmoid, sigmoid


def test_sigmoid_at_values_worked_by_hand():
    x = np.array([0.0, math.log(3), -math.log(3), np.inf, -np.inf])
    np.testing.assert_allclose(sigmoid(x), [0.5, 0.75, 0.25, 1.0, 0.0], rtol=1e-15)


def test_hard_sigmoid_is_kerass_ramp():
    x = np.array([-3.0, -2.5, 0.0, 1.0, 2.5, 3.0])
    np.testing.assert_allclose(hard_sigmoid(x), [0.0, 0.0, 0.5, 0.7, 1.0, 1.0], rtol=1e-15)


def test_the_gates_by_name():
    assert GATES == {"sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid}
