"""The array-list comparison fails for every kind of mismatch, the ones ``zip`` hides first."""

import numpy as np
import pytest

from tests.helpers.arrays import assert_same_arrays


@pytest.mark.parametrize("actual, expected, message", [
    ([], [np.zeros(2)], "0 arrays, expected 1"),
    ([np.zeros(2), np.zeros(1)], [np.zeros(2)], "2 arrays, expected 1"),
    ([np.zeros(2)], [np.zeros(3)], "shape"),
    ([np.zeros(2, np.float32)], [np.zeros(2)], "dtype"),
    ([np.zeros(2)], [np.array([0.0, 1e-9])], "weights\\[0\\]"),
])
def test_a_mismatch_fails(actual, expected, message):
    with pytest.raises(AssertionError, match=message):
        assert_same_arrays(actual, expected, "weights")


def test_equal_lists_pass_and_a_tolerance_can_be_given():
    assert_same_arrays([np.arange(3.0)], [np.arange(3.0)])
    assert_same_arrays([np.array([1.0])], [np.array([1.0 + 1e-9])], rtol=1e-6)
