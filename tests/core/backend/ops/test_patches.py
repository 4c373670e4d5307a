"""The patch buffer cache: a buffer someone still holds is never handed out again, on any interpreter.

``_reusable`` reads who holds a buffer from ``sys.getrefcount``, whose count for the same
code differs between Python releases (3.14 may not count a local passed to a call). The
tests run it under stand-ins for interpreters that count a sole local as 1, 2 or 3.
"""

import sys

import numpy as np
import pytest

from numkeras.backend.ops import conv, patches
from numkeras.testing.gradcheck import check_gradients

SHAPE, DTYPE = (3, 4), np.float32


class _Interpreter:
    """Stands in for ``patches.sys``: its ``getrefcount`` reports an array that only a local holds as ``sole``."""

    def __init__(self, sole, monkeypatch):
        self.shift = 0
        monkeypatch.setattr(patches, "sys", self)
        self.shift = patches._count_of_a_sole_local() - sole

    def getrefcount(self, obj):
        return sys.getrefcount(obj) - self.shift


@pytest.fixture(params=[1, 2, 3], ids=["borrowing-like-3.14", "like-3.11", "counting-one-more"])
def interpreter(request, monkeypatch):
    """An interpreter stand-in, with the cache's threshold measured on it as at import; a fresh cache."""
    stand_in = _Interpreter(request.param, monkeypatch)
    assert patches._count_of_a_sole_local() == request.param
    monkeypatch.setattr(patches, "_SOLE_LOCAL", patches._count_of_a_sole_local())  # unbounded: as measured
    monkeypatch.setattr(patches, "_scratch", type(patches._scratch)())
    return stand_in


def test_the_threshold_is_measured_on_the_running_interpreter():
    assert patches._SOLE_LOCAL == patches._count_of_a_sole_local()


def test_a_tracer_reading_locals_does_not_raise_the_threshold():
    """Under a debugger's tracer (it reads ``f_locals``: one more reference before Python 3.13) the threshold
    stays the untraced count; a higher one would hand out held buffers once the tracer is gone."""
    untraced = patches._count_of_a_sole_local()

    def tracer(frame, event, arg):
        frame.f_locals
        return tracer

    sys.settrace(tracer)
    try:
        threshold = patches._sole_local_threshold()
    finally:
        sys.settrace(None)
    assert threshold == min(untraced, 2)
    if sys.version_info < (3, 14):  # CPython up to 3.13 counts the local name and the call's argument
        assert threshold == 2


@pytest.mark.parametrize("sole", [1, 2, 3])
def test_the_threshold_is_never_above_two(sole, monkeypatch):
    _Interpreter(sole, monkeypatch)
    assert patches._sole_local_threshold() == min(sole, 2)


def test_a_held_buffer_is_not_handed_out_again(interpreter):
    held = patches._reusable(SHAPE, DTYPE)
    assert not np.shares_memory(patches._reusable(SHAPE, DTYPE), held)


def test_a_buffer_held_only_through_a_view_is_not_handed_out_again(interpreter):
    view = patches._reusable(SHAPE, DTYPE).reshape(-1)[2:]
    assert not np.shares_memory(patches._reusable(SHAPE, DTYPE), view)


def test_a_released_buffer_is_handed_out_again(interpreter):
    address = patches._reusable(SHAPE, DTYPE).ctypes.data  # the array is gone after this line
    assert patches._reusable(SHAPE, DTYPE).ctypes.data == address


def test_a_fixed_threshold_of_two_hands_out_a_held_buffer_on_a_borrowing_interpreter(monkeypatch):
    """Why the threshold is measured: the rule of Python 3.11 and earlier, on an interpreter like 3.14."""
    _Interpreter(1, monkeypatch)
    monkeypatch.setattr(patches, "_SOLE_LOCAL", 2)
    monkeypatch.setattr(patches, "_scratch", type(patches._scratch)())
    held = patches._reusable(SHAPE, DTYPE)
    assert np.shares_memory(patches._reusable(SHAPE, DTYPE), held)


@pytest.mark.parametrize("channels", [2, 1], ids=["im2col", "offset-columns"])
def test_two_convolutions_of_one_patch_shape_keep_their_own_patches(channels, interpreter):
    """The first convolution keeps its patches for the kernel gradient while the second extracts its own
    (same shape, same cache entry): both kernel gradients against finite differences."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 5, 5, channels))
    k1, k2 = rng.standard_normal((2, 3, 3, channels, channels))
    check_gradients(lambda a, w1, w2: conv.convolution(conv.convolution(a, w1, padding="same"), w2, padding="same"),
                    x, k1, k2)
