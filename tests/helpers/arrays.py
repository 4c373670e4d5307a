"""Comparing lists of arrays (weights, optimizer state, a model's outputs) so that a mismatch can show.

``zip`` stops at the shorter list, so a loop of per-pair assertions passes for two
empty lists, or for a loaded model that lost some of its weights. These helpers
compare the lengths first, then each pair's shape and dtype, then the values.

Example:
    >>> assert_same_arrays(model.get_weights(), loaded.get_weights(), "weights")
"""

import numpy as np


def assert_same_arrays(actual, expected, what="arrays", rtol=None, atol=0.0):
    """``actual`` and ``expected`` (lists of arrays) are as long, and pairwise of one shape, dtype and value.

    Arguments:
        what: names the lists in the failure message.
        rtol: ``None`` for exact equality, else the tolerance of ``assert_allclose``.
    """
    actual, expected = list(actual), list(expected)
    assert len(actual) == len(expected), f"{what}: {len(actual)} arrays, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"{what}[{i}]: shape {a.shape}, expected {e.shape}"
        assert a.dtype == e.dtype, f"{what}[{i}]: dtype {a.dtype}, expected {e.dtype}"
        if rtol is None:
            np.testing.assert_array_equal(a, e, err_msg=f"{what}[{i}]")
        else:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{what}[{i}]")
