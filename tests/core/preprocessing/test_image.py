"""Tests for numkeras.preprocessing.image (ImageDataGenerator and conversions)."""

import importlib.util

import numpy as np
import pytest

from numkeras import backend as K
from numkeras.preprocessing.image import (
    ImageDataGenerator, NumpyArrayIterator, array_to_img, img_to_array,
)
from numkeras.utils import Sequence

HAS_SCIPY = importlib.util.find_spec("scipy") is not None
HAS_PIL = importlib.util.find_spec("PIL") is not None
needs_scipy = pytest.mark.skipif(not HAS_SCIPY, reason="scipy not installed (pip install numkeras[image])")
needs_pil = pytest.mark.skipif(not HAS_PIL, reason="Pillow not installed (pip install numkeras[image])")


def _images(n=10, h=6, w=5, c=3, seed=0):
    return np.random.RandomState(seed).uniform(0, 255, size=(n, h, w, c)).astype("float32")


def test_flips_are_exact():
    x = _images(1)[0]
    gen = ImageDataGenerator(data_format="channels_last")
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_horizontal": True}), x[:, ::-1, :])
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_vertical": True}), x[::-1, :, :])
    xf = np.transpose(x, (2, 0, 1))
    gen_cf = ImageDataGenerator(data_format="channels_first")
    np.testing.assert_array_equal(gen_cf.apply_transform(xf, {"flip_horizontal": True}), xf[:, :, ::-1])
    # Random flips produce either the image or its mirror.
    gen_h = ImageDataGenerator(horizontal_flip=True, data_format="channels_last")
    seen = set()
    for seed in range(20):
        out = gen_h.random_transform(x, seed=seed)
        if np.array_equal(out, x):
            seen.add("same")
        else:
            np.testing.assert_array_equal(out, x[:, ::-1, :])
            seen.add("flipped")
    assert seen == {"same", "flipped"}


def test_rescale_and_standardize_does_not_mutate():
    x = _images(2)
    before = x.copy()
    out = ImageDataGenerator(rescale=1. / 255, data_format="channels_last").standardize(x)
    np.testing.assert_allclose(out, before / 255, rtol=1e-6)
    np.testing.assert_array_equal(x, before)


def test_featurewise_center_and_std():
    x = _images(12)
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True,
                             data_format="channels_last")
    gen.fit(x)
    mean = x.mean(axis=(0, 1, 2)).reshape(1, 1, 3)
    std = (x - mean).std(axis=(0, 1, 2)).reshape(1, 1, 3)
    np.testing.assert_allclose(gen.mean, mean, rtol=1e-5)
    np.testing.assert_allclose(gen.std, std, rtol=1e-5)
    out = gen.standardize(x[0])
    np.testing.assert_allclose(out, (x[0] - mean) / (std + K.epsilon()), rtol=1e-4, atol=1e-5)
    batch = gen.standardize(x)
    np.testing.assert_allclose(batch.mean(axis=(0, 1, 2)), 0, atol=1e-3)
    np.testing.assert_allclose(batch.std(axis=(0, 1, 2)), 1, atol=1e-3)


def test_featurewise_channels_first():
    x = _images(8)
    xf = np.transpose(x, (0, 3, 1, 2))
    gen = ImageDataGenerator(featurewise_center=True, data_format="channels_first")
    gen.fit(xf)
    assert gen.mean.shape == (3, 1, 1)
    np.testing.assert_allclose(gen.mean.ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-5)


def test_samplewise_normalization():
    x = _images(1)[0]
    gen = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True,
                             data_format="channels_last")
    out = gen.standardize(x)
    expected = (x - x.mean()) / (x.std() + K.epsilon())
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert abs(out.mean()) < 1e-4 and abs(out.std() - 1) < 1e-4


def test_zca_whitening_decorrelates():
    x = np.random.RandomState(1).normal(size=(200, 2, 2, 1)).astype("float32")
    x[..., 1, 1, 0] = x[..., 0, 0, 0] * 0.9 + 0.1 * x[..., 1, 1, 0]
    gen = ImageDataGenerator(featurewise_center=True, zca_whitening=True, data_format="channels_last")
    gen.fit(x)
    flat = gen.standardize(x).reshape(200, -1)
    cov = flat.T @ flat / 200
    np.testing.assert_allclose(cov, np.eye(4), atol=1e-2)


def test_brightness_and_channel_shift():
    x = _images(1)[0]
    gen = ImageDataGenerator(data_format="channels_last")
    np.testing.assert_allclose(gen.apply_transform(x, {"brightness": 0.5}), x * 0.5)
    shifted = gen.apply_transform(x, {"channel_shift_intensity": 10.0})
    np.testing.assert_allclose(shifted, np.clip(x + 10, x.min(), x.max()), rtol=1e-6)


@needs_scipy
@pytest.mark.parametrize("tx,ty", [(2, 0), (0, -1), (1, 3), (-2, -2)])
def test_integer_shift_equals_roll_with_zeros(tx, ty):
    x = _images(1, h=7, w=6)[0]
    gen = ImageDataGenerator(fill_mode="constant", cval=0., data_format="channels_last")
    out = gen.apply_transform(x, {"tx": tx, "ty": ty})
    # Output pixel (i, j) samples input pixel (i + tx, j + ty); outside is zero.
    expected = np.roll(x, (-tx, -ty), axis=(0, 1))
    if tx > 0:
        expected[-tx:] = 0
    elif tx < 0:
        expected[:-tx] = 0
    if ty > 0:
        expected[:, -ty:] = 0
    elif ty < 0:
        expected[:, :-ty] = 0
    np.testing.assert_allclose(out, expected, atol=1e-4)


@needs_scipy
def test_shift_range_in_pixels_is_reproducible_and_integral():
    x = _images(1, h=8, w=8, c=1)[0]
    gen = ImageDataGenerator(width_shift_range=3, height_shift_range=2, data_format="channels_last")
    params = gen.get_random_transform(x.shape, seed=5)
    assert params["tx"] == int(params["tx"]) and abs(params["tx"]) < 2
    assert params["ty"] == int(params["ty"]) and abs(params["ty"]) < 3
    frac = ImageDataGenerator(width_shift_range=0.25, data_format="channels_last")
    for seed in range(10):
        assert abs(frac.get_random_transform(x.shape, seed=seed)["ty"]) <= 0.25 * 8


@pytest.mark.parametrize("shifts", [np.array([2, 3]), [2, 3], (2, 3), np.array([0.25])], ids=str)
def test_shift_range_as_an_array_draws_from_it(shifts):
    """A 1-D array-like shift range (Keras 2.2.4 documents it) draws one of its values, sign random."""
    x = _images(1, h=8, w=8, c=1)[0]
    gen = ImageDataGenerator(width_shift_range=shifts, height_shift_range=shifts, data_format="channels_last")
    allowed = {float(v) * (8 if np.max(shifts) < 1 else 1) for v in np.asarray(shifts)}
    for seed in range(10):
        params = gen.get_random_transform(x.shape, seed=seed)
        assert abs(params["tx"]) in allowed and abs(params["ty"]) in allowed


@needs_scipy
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_rotation_90_equals_rot90(data_format):
    img = np.arange(25, dtype="float32").reshape(5, 5)
    gen = ImageDataGenerator(fill_mode="constant", data_format=data_format)
    x = img[..., None] if data_format == "channels_last" else img[None]
    out = gen.apply_transform(x, {"theta": 90})
    plane = out[..., 0] if data_format == "channels_last" else out[0]
    np.testing.assert_allclose(plane, np.rot90(img, -1), atol=1e-3)
    back = gen.apply_transform(x, {"theta": -90})
    plane = back[..., 0] if data_format == "channels_last" else back[0]
    np.testing.assert_allclose(plane, np.rot90(img, 1), atol=1e-3)


@needs_scipy
def test_seed_makes_random_transform_reproducible():
    x = _images(1, h=8, w=8)[0]
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=0.2, height_shift_range=0.2,
                             shear_range=10, zoom_range=0.2, channel_shift_range=5.,
                             brightness_range=(0.5, 1.5), horizontal_flip=True, vertical_flip=True,
                             data_format="channels_last")
    a = gen.random_transform(x, seed=42)
    b = gen.random_transform(x, seed=42)
    c = gen.random_transform(x, seed=43)
    np.testing.assert_array_equal(a, b)
    assert a.shape == x.shape and not np.allclose(a, c)
    assert gen.get_random_transform(x.shape, seed=7) == gen.get_random_transform(x.shape, seed=7)


def test_flow_shapes_and_epoch_coverage():
    n, bs = 21, 4
    x = _images(n)
    x[:, 0, 0, 0] = np.arange(n)  # tag each sample
    y = np.arange(n)
    w = np.linspace(0.1, 1, n)
    gen = ImageDataGenerator(horizontal_flip=False, data_format="channels_last")
    it = gen.flow(x, y, batch_size=bs, shuffle=True, sample_weight=w, seed=3)
    assert isinstance(it, Sequence) and isinstance(it, NumpyArrayIterator)
    assert len(it) == 6
    for epoch in range(2):
        seen = []
        for i in range(len(it)):
            bx, by, bw = it[i]
            assert bx.shape == ((bs if i < 5 else 1), 6, 5, 3) and bx.dtype == np.float32
            np.testing.assert_array_equal(bx[:, 0, 0, 0], by)
            np.testing.assert_allclose(bw, w[by])
            seen.extend(by.tolist())
        assert sorted(seen) == list(range(n))
        it.on_epoch_end()
    # Also a Python iterator: next() walks one pass, then starts over.
    it2 = gen.flow(x, y, batch_size=bs, shuffle=True, seed=1)
    seen = []
    for _ in range(6):
        bx, by = next(it2)
        seen.extend(by.tolist())
    assert sorted(seen) == list(range(n))
    assert it2.next()[0].shape == (bs, 6, 5, 3)
    # x alone gives bare batches.
    bx = gen.flow(x, batch_size=5, shuffle=False)[0]
    np.testing.assert_array_equal(bx, x[:5])


def test_flow_validation_subset():
    x = _images(10)
    y = np.array([0, 1] * 5)
    gen = ImageDataGenerator(validation_split=0.2, data_format="channels_last")
    val = gen.flow(x, y, batch_size=32, shuffle=False, subset="validation")
    train = gen.flow(x, y, batch_size=32, shuffle=False, subset="training")
    assert val.n == 2 and train.n == 8
    np.testing.assert_array_equal(val[0][0], x[:2])
    np.testing.assert_array_equal(train[0][0], x[2:])


def test_flow_seed_reproducible():
    x = _images(9)
    gen = ImageDataGenerator(horizontal_flip=True, vertical_flip=True, data_format="channels_last")
    a = [b for b in gen.flow(x, batch_size=4, seed=11)[0]]
    b = [b for b in gen.flow(x, batch_size=4, seed=11)[0]]
    np.testing.assert_array_equal(np.array(a), np.array(b))


def test_invalid_arguments():
    with pytest.raises(ValueError):
        ImageDataGenerator(data_format="channels_middle")
    with pytest.raises(ValueError):
        ImageDataGenerator(zoom_range=[0.5, 1.0, 1.5])
    with pytest.raises(ValueError):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError):
        ImageDataGenerator(width_shift_range="wide")
    gen = ImageDataGenerator(data_format="channels_last")
    with pytest.raises(ValueError):
        gen.flow(np.zeros((4, 3, 3)), np.zeros(4))
    with pytest.raises(ValueError):
        gen.flow(np.zeros((4, 3, 3, 1)), np.zeros(3))


@pytest.mark.parametrize("arguments, says", [
    ({"validation_split": "0.2"}, "validation_split must be a number in [0, 1), got '0.2'"),
    ({"validation_split": 1.0}, "validation_split must be a number in [0, 1)"),
    ({"fill_mode": "mirror"}, "fill_mode must be one of 'constant', 'nearest', 'reflect', 'wrap'"),
    ({"zoom_range": (0.5,)}, "zoom_range must be a finite number or a pair (lower, upper) of numbers"),
    ({"brightness_range": 0.5}, "brightness_range must be a pair (low, high) of numbers or None"),
    ({"rotation_range": "30"}, "rotation_range must be a finite number"),
    ({"preprocessing_function": "normalize"}, "preprocessing_function must be a function or None"),
    ({"width_shift_range": [[1, 2]]}, "width_shift_range must be a finite number or a 1-D list of numbers"),
])
def test_bad_arguments_name_themselves_as_value_errors(arguments, says):
    # Keras 2.2 raises ValueError for every bad argument here; the message says what is allowed
    with pytest.raises(ValueError) as raised:
        ImageDataGenerator(**arguments)
    assert str(raised.value).startswith("ImageDataGenerator: " + says), str(raised.value)


def test_img_to_array():
    img = np.arange(12, dtype="uint8").reshape(2, 2, 3)
    assert img_to_array(img, data_format="channels_last").shape == (2, 2, 3)
    assert img_to_array(img, data_format="channels_first").shape == (3, 2, 2)
    assert img_to_array(img[..., 0], data_format="channels_last").shape == (2, 2, 1)
    assert img_to_array(img[..., 0], data_format="channels_first").shape == (1, 2, 2)


@needs_pil
def test_array_to_img_roundtrip(tmp_path):
    from numkeras.preprocessing.image import load_img, save_img
    x = np.random.RandomState(0).randint(0, 256, size=(4, 5, 3)).astype("float32")
    img = array_to_img(x, data_format="channels_last", scale=False)
    assert img.size == (5, 4) and img.mode == "RGB"
    np.testing.assert_array_equal(img_to_array(img, data_format="channels_last"), x)
    gray = array_to_img(x[..., :1], data_format="channels_last", scale=True)
    assert gray.mode == "L"
    path = tmp_path / "img.png"
    save_img(str(path), x, data_format="channels_last", scale=False)
    loaded = img_to_array(load_img(str(path)), data_format="channels_last")
    np.testing.assert_array_equal(loaded, x)
    assert load_img(str(path), color_mode="grayscale", target_size=(2, 3)).size == (3, 2)


def test_model_fit_on_flow():
    from numkeras.layers import Dense, Flatten
    from numkeras.models import Sequential
    rng = np.random.RandomState(0)
    x = rng.uniform(size=(32, 4, 4, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")
    gen = ImageDataGenerator(horizontal_flip=True, vertical_flip=True, data_format="channels_last")
    model = Sequential([Flatten(input_shape=(4, 4, 1)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(gen.flow(x, y, batch_size=8), epochs=1, steps_per_epoch=4, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    history = model.fit(gen.flow(x, y, batch_size=8), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
