"""Convolution ops: forward against a direct loop, gradients against finite differences."""

import itertools

import numpy as np
import pytest

from numkeras.backend import kernels
from numkeras.backend.ops import conv
from numkeras.backend.tensor import Variable, no_tape
from numkeras.testing.gradcheck import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def reference_conv(x, kernel, strides, padding, dilation):
    """Direct N-D cross-correlation over channels-last ``x`` (loops, for testing only)."""
    rank = x.ndim - 2
    size = kernel.shape[:rank]
    pads = [conv.padding_amounts(n, k, s, d, padding) for n, k, s, d in zip(x.shape[1:-1], size, strides, dilation)]
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out = [(n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(xp.shape[1:-1], size, strides, dilation)]
    y = np.zeros([x.shape[0]] + out + [kernel.shape[-1]])
    for position in itertools.product(*[range(n) for n in out]):
        for offset in itertools.product(*[range(k) for k in size]):
            source = tuple(p * s + o * d for p, s, o, d in zip(position, strides, offset, dilation))
            y[(slice(None),) + position] += xp[(slice(None),) + source] @ kernel[offset]
    return y


CASES = [
    # rank, padding, strides, dilation
    (1, "valid", 1, 1), (1, "same", 2, 1), (1, "causal", 1, 2), (1, "full", 1, 1),
    (2, "valid", 1, 1), (2, "same", 1, 1), (2, "same", (2, 3), 1), (2, "valid", 1, (2, 1)), (2, "full", 2, 1),
    (3, "same", 1, 1), (3, "valid", (1, 2, 1), 1),
]


@pytest.mark.parametrize("channels", [3, 1], ids=["3-channels", "1-channel"])  # 1: offset-major patches
@pytest.mark.parametrize("rank, padding, strides, dilation", CASES)
def test_convolution_matches_direct_loop(rank, padding, strides, dilation, channels, rng):
    x = rng.standard_normal((2,) + (7, 6, 5)[:rank] + (channels,))
    kernel = rng.standard_normal((3, 2, 2)[:rank] + (channels, 4))
    strides_t = conv.normalize_tuple(strides, rank, "strides")
    dilation_t = conv.normalize_tuple(dilation, rank, "dilation_rate")
    y = conv.convolution(x, kernel, None, strides, padding, "channels_last", dilation).data
    np.testing.assert_allclose(y, reference_conv(x, kernel, strides_t, padding, dilation_t), atol=1e-10)
    for axis, n in enumerate(x.shape[1:-1]):
        expected = conv.conv_output_length(n, kernel.shape[axis], strides_t[axis], padding, dilation_t[axis])
        assert y.shape[1 + axis] == expected


@pytest.mark.parametrize("channels", [2, 1], ids=["2-channels", "1-channel"])
@pytest.mark.parametrize("rank, padding, strides, dilation", CASES)
def test_convolution_gradients(rank, padding, strides, dilation, channels, rng):
    x = rng.standard_normal((2,) + (5, 4, 4)[:rank] + (channels,))
    kernel = rng.standard_normal((3, 2, 2)[:rank] + (channels, 3))
    bias = rng.standard_normal(3)
    check_gradients(lambda a, w, b: conv.convolution(a, w, b, strides, padding, "channels_last", dilation),
                    x, kernel, bias)


@pytest.mark.parametrize("channels", [2, 1], ids=["2-channels", "1-channel"])
@pytest.mark.parametrize("rank, padding, strides, dilation", CASES[::2])
@pytest.mark.parametrize("relu", [False, True])
def test_forward_in_chunks_of_samples_matches_the_direct_loop_and_finite_differences(
        rank, padding, strides, dilation, relu, channels, rng, monkeypatch):
    """Patches a sample or two at a time (re-extracted for the kernel gradient): the same convolution."""
    per_sample = []
    for name in ("im2col", "offset_columns"):  # one channel: the offset-major copy
        original = getattr(conv, name)
        monkeypatch.setattr(conv, name, lambda x, *a, _original=original, _name=name, **k:
                            per_sample.append((_name, len(x))) or _original(x, *a, **k))
    monkeypatch.setattr(conv, "_PATCH_BYTES", 1)  # one sample per chunk
    x = rng.standard_normal((3,) + (5, 4, 4)[:rank] + (channels,))
    kernel = rng.standard_normal((3, 2, 2)[:rank] + (channels, 3))
    bias = rng.standard_normal(3)
    strides_t = conv.normalize_tuple(strides, rank, "strides")
    dilation_t = conv.normalize_tuple(dilation, rank, "dilation_rate")
    y = conv.convolution(x, kernel, bias, strides, padding, "channels_last", dilation, relu=relu).data
    expected = reference_conv(x, kernel, strides_t, padding, dilation_t) + bias
    np.testing.assert_allclose(y, np.maximum(expected, 0) if relu else expected, atol=1e-10)
    copy = "offset_columns" if channels == 1 else "im2col"
    assert per_sample == [(copy, 1)] * 3
    check_gradients(lambda a, w, b: conv.convolution(a, w, b, strides, padding, "channels_last", dilation, relu=relu),
                    x, kernel, bias)
    monkeypatch.setattr(conv, "_PATCH_BYTES", 2 * per_sample_bytes(x, kernel, strides_t, padding, dilation_t))
    per_sample.clear()
    conv.convolution(x, kernel, bias, strides, padding, "channels_last", dilation)
    assert per_sample == [(copy, 2), (copy, 1)]


def test_an_empty_batch_gives_an_empty_output(monkeypatch):
    monkeypatch.setattr(conv, "_PATCH_BYTES", 1)
    y = conv.convolution(np.zeros((0, 8, 8, 3)), np.ones((3, 3, 3, 4)), np.ones(4), 1, "valid")
    assert y.shape == (0, 6, 6, 4)


def per_sample_bytes(x, kernel, strides, padding, dilation):
    rank = x.ndim - 2
    out = [conv.conv_output_length(n, k, s, padding, d) for n, k, s, d in zip(x.shape[1:-1], kernel.shape, strides,
                                                                               dilation)]
    return int(np.prod(out)) * int(np.prod(kernel.shape[:rank])) * x.shape[-1] * x.dtype.itemsize


def test_input_gradient_in_several_chunks_matches_col2im(rng, monkeypatch):
    from numkeras.backend.ops import sum as reduce_sum, tensordot
    from numkeras.backend.tensor import Tensor, gradients

    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)  # one sample per chunk

    x = Tensor(rng.standard_normal((3, 9, 9, 5)).astype("float32"), requires_grad=True)
    kernel = rng.standard_normal((3, 3, 5, 4)).astype("float32")
    projection = rng.standard_normal((3, 5, 5, 4)).astype("float32")
    fast = conv.convolution(x, kernel, None, 2, "same")
    patches = conv.extract_patches(x, 3, 2, "same")
    slow = tensordot(patches, kernel, axes=([3, 4, 5], [0, 1, 2]))
    np.testing.assert_allclose(fast.data, slow.data, rtol=1e-4, atol=1e-4)
    (g_fast,) = gradients(reduce_sum(fast * projection), [x])
    (g_slow,) = gradients(reduce_sum(slow * projection), [x])
    np.testing.assert_allclose(g_fast, g_slow, rtol=1e-4, atol=1e-4)


def test_fused_relu(rng):
    x, kernel, bias = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)
    fused = conv.convolution(x, kernel, bias, 1, "same", relu=True).data
    np.testing.assert_allclose(fused, np.maximum(conv.convolution(x, kernel, bias, 1, "same").data, 0))
    check_gradients(lambda a, w, b: conv.convolution(a, w, b, 1, "same", relu=True), x, kernel, bias)
    check_gradients(lambda a, w: conv.convolution(a, w, None, 1, "valid", relu=True),
                    rng.standard_normal((2, 3, 3, 2)), rng.standard_normal((1, 1, 2, 2)))


def test_a_plugins_3x3_convolution_serves_the_forward_pass_only_where_it_applies(rng):
    """The ``conv3x3`` kernel seam (numkeras-numba answers it with Winograd's algorithm): asked
    only for a 3x3, stride-1, undilated 2-D convolution (in inference and in training), with the
    input and its padding; what it returns is the op's output, and where it declines the op
    computes as before."""
    calls = []

    def conv3x3(x, pads, kernel, bias, relu):
        calls.append((x.shape, pads, bias is not None, relu))
        padded = np.pad(x, ((0, 0),) + pads + ((0, 0),))
        y = reference_conv(padded, kernel, (1, 1), "valid", (1, 1)) + (0 if bias is None else bias)
        return (np.maximum(y, 0) if relu else y) + 1000  # marked: the op must return this

    x, kernel, bias = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)
    expected = np.maximum(reference_conv(x, kernel, (1, 1), "same", (1, 1)) + bias, 0)
    previous = kernels.set_kernels({"conv3x3": conv3x3})
    try:
        with no_tape():
            np.testing.assert_allclose(conv.convolution(x, kernel, bias, 1, "same", relu=True).data, expected + 1000)
            assert calls == [((2, 5, 6, 3), ((1, 1), (1, 1)), True, True)]  # the padding for the kernel to add
            conv.convolution(x, kernel, None, 1, "valid")
            assert calls[1:] == [((2, 5, 6, 3), ((0, 0), (0, 0)), False, False)]
            del calls[:]
            conv.convolution(x, kernel, bias, 2, "same")  # strided
            conv.convolution(x, kernel, bias, 1, "same", dilation_rate=2)  # dilated
            conv.convolution(x, rng.standard_normal((2, 3, 3, 4)), bias, 1, "same")  # a 2x3 kernel
            conv.convolution(x[:, 0], rng.standard_normal((3, 3, 4)), None, 1, "same")  # 1-D
        recorded = conv.convolution(x, Variable(kernel), bias, 1, "same", relu=True)  # training: asked too
        np.testing.assert_allclose(recorded.data, expected + 1000, rtol=1e-5, atol=1e-5)  # (a float32 Variable)
        assert calls == [((2, 5, 6, 3), ((1, 1), (1, 1)), True, True)]
    finally:
        kernels.set_kernels(previous)
    del calls[:]
    declining = {"conv3x3": lambda *args: calls.append(args) and None}
    previous = kernels.set_kernels(declining)
    try:
        with no_tape():
            np.testing.assert_allclose(conv.convolution(x, kernel, bias, 1, "same", relu=True).data, expected)
        assert len(calls) == 1
    finally:
        kernels.set_kernels(previous)


def test_channels_first_is_a_transpose_of_channels_last(rng):
    x = rng.standard_normal((2, 3, 6, 5))
    kernel = rng.standard_normal((3, 3, 3, 4))
    first = conv.conv2d(x, kernel, padding="same", data_format="channels_first").data
    last = conv.conv2d(x.transpose(0, 2, 3, 1), kernel, padding="same", data_format="channels_last").data
    np.testing.assert_allclose(first, last.transpose(0, 3, 1, 2), atol=1e-12)


def test_pointwise_convolution_gradients(rng):
    check_gradients(lambda a, w: conv.conv2d(a, w), rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((1, 1, 4, 2)))


@pytest.mark.parametrize("padding, strides, output_padding", [
    ("valid", 1, None), ("valid", 2, None), ("same", 2, None), ("same", 1, None), ("full", 1, None),
    ("valid", 3, None), ("same", 2, 1),
])
def test_transposed_convolution_is_the_adjoint_of_convolution(padding, strides, output_padding, rng):
    x = rng.standard_normal((2, 4, 5, 3))
    kernel = rng.standard_normal((3, 2, 4, 3))  # (kh, kw, filters, in)
    y = conv.convolution_transpose(x, kernel, None, None, strides, padding, "channels_last", 1, output_padding)
    expected_shape = tuple(conv.deconv_output_length(n, k, strides, padding, output_padding)
                           for n, k in zip((4, 5), (3, 2)))
    assert y.shape == (2,) + expected_shape + (4,)
    # <conv_transpose(x), v> == <x, conv(v)> for the forward convolution with the same geometry.
    v = rng.standard_normal(y.shape)
    pads = [conv._deconv_pads(n, o, k, strides, 1, padding) for n, o, k in zip((4, 5), expected_shape, (3, 2))]
    cols = conv.im2col(v, (3, 2), (strides, strides), (1, 1), pads)[:, :4, :5]
    forward = np.tensordot(cols, kernel.transpose(0, 1, 2, 3), axes=([3, 4, 5], [0, 1, 2]))
    np.testing.assert_allclose(np.sum(y.data * v), np.sum(x * forward), rtol=1e-10)
    check_gradients(lambda a, w: conv.convolution_transpose(a, w, None, None, strides, padding, None, 1,
                                                            output_padding), x, kernel)


def test_depthwise_convolution_matches_per_channel_convolution(rng):
    x = rng.standard_normal((2, 5, 5, 3))
    kernel = rng.standard_normal((3, 3, 3, 2))
    y = conv.depthwise_conv2d(x, kernel, padding="same").data
    for c in range(3):
        single = conv.conv2d(x[..., c:c + 1], kernel[:, :, c:c + 1, :], padding="same").data
        np.testing.assert_allclose(y[..., 2 * c:2 * c + 2], single, atol=1e-12)
    check_gradients(lambda a, w: conv.depthwise_conv2d(a, w, strides=(2, 1)), x, kernel)


def test_separable_convolution_gradients(rng):
    check_gradients(lambda a, d, p, b: conv.separable_convolution(a, d, p, b, 1, "same"),
                    rng.standard_normal((2, 4, 4, 2)), rng.standard_normal((3, 3, 2, 2)),
                    rng.standard_normal((1, 1, 4, 3)), rng.standard_normal(3))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_local_convolution_matches_per_position_dense(data_format, rng):
    x = rng.standard_normal((2, 5, 4, 3))
    kernel = rng.standard_normal((3 * 2, 2 * 2 * 3, 4))
    y = conv.local_convolution(x, kernel, None, (2, 2), (2, 1), "channels_last").data
    assert y.shape == (2, 2, 3, 4)
    for i, j in itertools.product(range(2), range(3)):
        patch = x[:, 2 * i:2 * i + 2, j:j + 2, :].reshape(2, -1)
        np.testing.assert_allclose(y[:, i, j], patch @ kernel[i * 3 + j], atol=1e-12)
    if data_format == "channels_first":
        kernel_first = kernel.reshape(6, 2, 2, 3, 4).transpose(0, 3, 1, 2, 4).reshape(6, 12, 4)
        y_first = conv.local_convolution(x.transpose(0, 3, 1, 2), kernel_first, None, (2, 2), (2, 1),
                                         "channels_first").data
        np.testing.assert_allclose(y_first, y.transpose(0, 3, 1, 2), atol=1e-12)
    check_gradients(lambda a, w: conv.local_convolution(a, w, None, (2, 2), (2, 1)), x, kernel)


def test_extract_patches_gradient(rng):
    check_gradients(lambda a: conv.extract_patches(a, 2, 2, "same"), rng.standard_normal((1, 5, 5, 2)))


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="padding"):
        conv.padding_amounts(5, 3, 1, 1, "sideways")
    with pytest.raises(ValueError, match="channels"):
        conv.conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 2, 1)))
    with pytest.raises(ValueError, match="larger than"):
        conv.conv2d(np.zeros((1, 2, 2, 1)), np.zeros((3, 3, 1, 1)))
