"""Tests for ImageDataGenerator.flow_from_directory / DirectoryIterator against Keras 2.2's semantics.

Every expected value is written out from Keras 2.2's documented behaviour (sorted class
subfolders, each class's files walked folder by folder in sorted order, the first
``int(validation_split * n)`` files of each class as its validation subset) or computed
with Pillow itself, the library Keras reads images with.
"""

import os
import sys

import numpy as np
import pytest

from numkeras import backend as K
from numkeras.layers import Dense, Flatten
from numkeras.models import Sequential
from numkeras.utils import Sequence
from numkeras.utils.data_utils import OrderedEnqueuer

Image = pytest.importorskip("PIL.Image", reason="Pillow not installed (pip install numkeras[image])")

from numkeras.preprocessing.image import DirectoryIterator, ImageDataGenerator  # noqa: E402

# name -> (value of every pixel, height, width, Pillow mode); the value identifies the image in a batch.
FILES = {
    "dogs/d2.png": (10, 6, 8, "RGB"),
    "dogs/d1.PNG": (20, 9, 5, "L"),
    "dogs/puppies/p1.bmp": (30, 7, 7, "RGB"),
    "dogs/notes.txt": None,
    "dogs/anim.gif": (200, 4, 4, "L"),       # not a Keras image extension
    "cats/c3.jpeg": (40, 8, 8, "RGB"),
    "cats/c1.ppm": (50, 5, 6, "RGB"),
    "cats/c2.tif": (60, 6, 6, "RGBA"),
    "cats/c4.jpg": (70, 10, 4, "L"),
    "cats/c5.png": (80, 6, 6, "LA"),
    "readme.png": (220, 4, 4, "RGB"),        # beside the class folders: no class's sample
}
# Keras 2.2's order: classes sorted (cats, dogs); in each class, folders in sorted path order, files sorted.
EXPECTED_FILENAMES = ["cats/c1.ppm", "cats/c2.tif", "cats/c3.jpeg", "cats/c4.jpg", "cats/c5.png",
                      "dogs/d1.PNG", "dogs/d2.png", os.path.join("dogs", "puppies", "p1.bmp")]
EXPECTED_VALUES = [50, 60, 40, 70, 80, 20, 10, 30]


def _write(path, value, height, width, mode):
    path.parent.mkdir(parents=True, exist_ok=True)
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
    pixels = np.full((height, width, channels), value, dtype="uint8")
    if mode in ("LA", "RGBA"):
        pixels[..., -1] = 255  # opaque
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF"}.get(path.suffix.lower())
    image.save(path, format=fmt, **({"quality": 100} if fmt == "JPEG" else {}))


@pytest.fixture
def image_dir(tmp_path):
    root = tmp_path / "images"
    for name, spec in FILES.items():
        if spec is None:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("not an image")
        else:
            _write(root / name, *spec)
    return root


def _values(batch_x):
    """The identifying value of each image in a batch (JPEG may be off by a little)."""
    return [int(round(float(image[..., 0].mean()))) for image in batch_x]


def _all_batches(iterator):
    return [iterator[i] for i in range(len(iterator))]


def test_classes_filenames_and_order_follow_keras(image_dir, capsys):
    it = ImageDataGenerator().flow_from_directory(str(image_dir), target_size=(6, 6), shuffle=False, batch_size=3)
    assert isinstance(it, DirectoryIterator) and isinstance(it, Sequence)
    assert "Found 8 images belonging to 2 classes." in capsys.readouterr().out
    assert it.class_indices == {"cats": 0, "dogs": 1}
    assert it.num_classes == 2 and it.samples == 8 and len(it) == 3
    assert it.filenames == EXPECTED_FILENAMES
    assert it.classes.dtype == np.int32
    np.testing.assert_array_equal(it.classes, [0, 0, 0, 0, 0, 1, 1, 1])
    batches = _all_batches(it)
    assert [len(x) for x, _ in batches] == [3, 3, 2]
    values = sum((_values(x) for x, _ in batches), [])
    assert all(abs(got - want) <= 2 for got, want in zip(values, EXPECTED_VALUES)), values


def test_given_classes_set_the_indices_and_which_folders_are_read(image_dir):
    it = ImageDataGenerator().flow_from_directory(image_dir, target_size=(4, 4), classes=["dogs"], shuffle=False)
    assert it.class_indices == {"dogs": 0}
    assert it.filenames == EXPECTED_FILENAMES[5:]
    it = ImageDataGenerator().flow_from_directory(image_dir, target_size=(4, 4), classes=["dogs", "cats"],
                                                  shuffle=False, class_mode="sparse")
    assert it.class_indices == {"dogs": 0, "cats": 1}
    assert it.filenames == EXPECTED_FILENAMES[5:] + EXPECTED_FILENAMES[:5]
    np.testing.assert_array_equal(it.classes, [0, 0, 0, 1, 1, 1, 1, 1])
    # a tuple works; a NumPy array is a clear error (never NumPy's "truth value is ambiguous")
    it = ImageDataGenerator().flow_from_directory(image_dir, target_size=(4, 4), classes=("dogs", "cats"),
                                                  shuffle=False, class_mode="sparse")
    assert it.class_indices == {"dogs": 0, "cats": 1}
    with pytest.raises(TypeError, match="classes must be a list of class subfolder names"):
        ImageDataGenerator().flow_from_directory(image_dir, target_size=(4, 4), classes=np.array(["dogs", "cats"]))


def test_class_modes(image_dir):
    def first(class_mode, **kwargs):
        return ImageDataGenerator(**kwargs).flow_from_directory(
            image_dir, target_size=(5, 5), class_mode=class_mode, shuffle=False, batch_size=8)[0]

    x, y = first("categorical")
    assert x.shape == (8, 5, 5, 3) and x.dtype == np.float32
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[1, 0]] * 5 + [[0, 1]] * 3)
    x, y = first("binary")
    assert y.dtype == np.float32 and y.shape == (8,)
    np.testing.assert_array_equal(y, [0, 0, 0, 0, 0, 1, 1, 1])
    x, y = first("sparse")
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [0, 0, 0, 0, 0, 1, 1, 1])
    x, y = first("input", rescale=1 / 255)
    np.testing.assert_array_equal(x, y)
    assert y is not x
    only = first(None)
    assert isinstance(only, np.ndarray) and only.shape == (8, 5, 5, 3)


def test_dtype_comes_from_the_generator(image_dir):
    x, y = ImageDataGenerator(dtype="float64").flow_from_directory(image_dir, target_size=(3, 3))[0]
    assert x.dtype == np.float64 and y.dtype == np.float64


@pytest.mark.parametrize("color_mode, pil_mode, channels", [("grayscale", "L", 1), ("rgb", "RGB", 3),
                                                             ("rgba", "RGBA", 4)])
def test_color_modes_convert_as_pillow_does(image_dir, color_mode, pil_mode, channels):
    it = ImageDataGenerator().flow_from_directory(image_dir, target_size=(6, 6), color_mode=color_mode,
                                                  shuffle=False, batch_size=8, class_mode=None)
    assert it.image_shape == (6, 6, channels)
    batch = it[0]
    assert batch.shape == (8, 6, 6, channels)
    for image, name in zip(batch, EXPECTED_FILENAMES):
        with Image.open(image_dir / name) as source:
            expected = np.asarray(source.convert(pil_mode).resize((6, 6), Image.NEAREST), dtype="float32")
        np.testing.assert_array_equal(image, expected.reshape(6, 6, channels))
    if color_mode == "rgba":  # images without alpha get an opaque one, as the others are
        np.testing.assert_array_equal(batch[..., 3], 255)


def test_channels_first(image_dir):
    gen = ImageDataGenerator(data_format="channels_first")
    x, _ = gen.flow_from_directory(image_dir, target_size=(4, 7), color_mode="rgba", batch_size=2)[0]
    assert x.shape == (2, 4, 4, 7)
    x, _ = gen.flow_from_directory(image_dir, target_size=(4, 7), color_mode="grayscale", batch_size=2)[0]
    assert x.shape == (2, 1, 4, 7)


def test_interpolation_resamples_as_pillow(tmp_path):
    ramp = (np.arange(9 * 13 * 3).reshape(9, 13, 3) * 7 % 256).astype("uint8")
    (tmp_path / "a").mkdir()
    Image.fromarray(ramp, "RGB").save(tmp_path / "a" / "ramp.png")
    results = {}
    for name, resample in [("nearest", Image.NEAREST), ("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC),
                           ("lanczos", Image.LANCZOS), ("box", Image.BOX), ("hamming", Image.HAMMING)]:
        it = ImageDataGenerator().flow_from_directory(tmp_path, target_size=(5, 6), interpolation=name,
                                                      class_mode=None)
        results[name] = it[0][0]
        expected = np.asarray(Image.fromarray(ramp, "RGB").resize((6, 5), resample), dtype="float32")
        np.testing.assert_array_equal(results[name], expected)
    assert not np.array_equal(results["nearest"], results["bilinear"])
    # An image already at target_size is not resampled.
    it = ImageDataGenerator().flow_from_directory(tmp_path, target_size=(9, 13), interpolation="bicubic",
                                                  class_mode=None)
    np.testing.assert_array_equal(it[0][0], ramp)


def _numbered_dir(root, counts):
    """Class folders ``c0, c1, ...`` holding ``counts[k]`` 2x2 images named 00.png, 01.png ..."""
    for k, count in enumerate(counts):
        for i in range(count):
            _write(root / f"c{k}" / f"{i:02d}.png", 10 * k + i, 2, 2, "L")
    return root


def test_subsets_split_every_class_as_keras_does(tmp_path):
    root = _numbered_dir(tmp_path, [5, 3, 4])
    gen = ImageDataGenerator(validation_split=0.4)
    val = gen.flow_from_directory(root, target_size=(2, 2), subset="validation", shuffle=False)
    train = gen.flow_from_directory(root, target_size=(2, 2), subset="training", shuffle=False)
    # int(0.4 * 5) = 2, int(0.4 * 3) = 1, int(0.4 * 4) = 1: the first files of each class validate.
    assert val.filenames == ["c0/00.png", "c0/01.png", "c1/00.png", "c2/00.png"]
    np.testing.assert_array_equal(val.classes, [0, 0, 1, 2])
    assert train.filenames == ["c0/02.png", "c0/03.png", "c0/04.png", "c1/01.png", "c1/02.png",
                               "c2/01.png", "c2/02.png", "c2/03.png"]
    np.testing.assert_array_equal(train.classes, [0, 0, 0, 1, 1, 2, 2, 2])
    assert val.class_indices == train.class_indices == {"c0": 0, "c1": 1, "c2": 2}
    assert val.samples == 4 and train.samples == 8


def test_shuffle_and_seed(tmp_path):
    root = _numbered_dir(tmp_path, [4, 3])
    it = ImageDataGenerator().flow_from_directory(root, target_size=(2, 2), class_mode="sparse", batch_size=7,
                                                  seed=3)
    x, y = it[0]
    # Keras seeds NumPy with seed + batches seen (0) and draws the order with np.random.permutation.
    np.random.seed(3)
    order = np.random.permutation(7)
    values = np.array([0, 1, 2, 3, 10, 11, 12])
    np.testing.assert_array_equal(_values(x), values[order])
    np.testing.assert_array_equal(y, np.array([0, 0, 0, 0, 1, 1, 1])[order])
    again = ImageDataGenerator().flow_from_directory(root, target_size=(2, 2), class_mode="sparse",
                                                     batch_size=7, seed=3)
    np.testing.assert_array_equal(again[0][0], x)


def test_random_transforms_and_standardization_apply_to_each_image(tmp_path):
    root = tmp_path
    pixels = np.arange(4 * 5, dtype="uint8").reshape(4, 5) * 10
    (root / "a").mkdir()
    Image.fromarray(pixels, "L").save(root / "a" / "x.png")
    seen = []

    def preprocess(image):
        seen.append(image.shape)
        return image

    gen = ImageDataGenerator(horizontal_flip=True, rescale=0.5, preprocessing_function=preprocess)
    flipped = plain = 0
    for seed in range(12):
        x = gen.flow_from_directory(root, target_size=(4, 5), color_mode="grayscale", class_mode=None,
                                    seed=seed)[0][0, ..., 0]
        if np.array_equal(x, pixels[:, ::-1] * 0.5):
            flipped += 1
        else:
            np.testing.assert_array_equal(x, pixels * 0.5)
            plain += 1
    assert flipped and plain
    assert seen == [(4, 5, 1)] * 12  # one 3D image at a time
    centered = ImageDataGenerator(samplewise_center=True).flow_from_directory(
        root, target_size=(4, 5), class_mode=None)[0]
    np.testing.assert_allclose(centered.mean(), 0, atol=1e-4)


def test_save_to_dir_writes_every_augmented_image(image_dir, tmp_path):
    out = tmp_path / "saved"
    out.mkdir()
    it = ImageDataGenerator().flow_from_directory(image_dir, target_size=(6, 6), batch_size=3, shuffle=False,
                                                  save_to_dir=str(out), save_prefix="aug", save_format="jpeg")
    it[0]
    it[2]
    names = sorted(os.listdir(out))
    assert len(names) == 5
    indices = sorted(int(name.split("_")[1]) for name in names)
    assert indices == [0, 1, 2, 6, 7]  # index of the image in filenames
    for name in names:
        prefix, _, rest = name.split("_")
        number, extension = rest.split(".")
        assert prefix == "aug" and extension == "jpeg" and 0 <= int(number) < 10 ** 7
        with Image.open(out / name) as saved:
            assert saved.format == "JPEG" and saved.size == (6, 6)


def test_follow_links(tmp_path):
    root = _numbered_dir(tmp_path / "data", [2])
    _numbered_dir(tmp_path / "elsewhere", [3])
    try:
        os.symlink(tmp_path / "elsewhere" / "c0", root / "c0" / "linked", target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available")
    assert ImageDataGenerator().flow_from_directory(root, target_size=(2, 2)).samples == 2
    it = ImageDataGenerator().flow_from_directory(root, target_size=(2, 2), follow_links=True, shuffle=False)
    assert it.filenames == ["c0/00.png", "c0/01.png", "c0/linked/00.png", "c0/linked/01.png", "c0/linked/02.png"]


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(class_mode="onehot"), ValueError, "class_mode must be one of 'categorical'"),
    (dict(color_mode="RGB"), ValueError, "color_mode must be one of 'grayscale', 'rgb', 'rgba'"),
    (dict(subset="test"), ValueError, "subset must be one of 'training', 'validation'"),
    (dict(interpolation="linear"), ValueError, "interpolation must be one of 'nearest'"),
    (dict(target_size=(4,)), ValueError, "target_size must be a \\(height, width\\) pair"),
    (dict(target_size=64), TypeError, "target_size must be"),
    (dict(batch_size=0), ValueError, "batch_size must be a positive integer"),
    (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
    (dict(classes="cats"), TypeError, "classes must be a list of class subfolder names"),
])
def test_bad_arguments_are_named(image_dir, kwargs, error, words):
    with pytest.raises(error, match="flow_from_directory: " + words):
        ImageDataGenerator().flow_from_directory(image_dir, **kwargs)


def test_bad_directories_are_explained(tmp_path, image_dir):
    gen = ImageDataGenerator()
    with pytest.raises(FileNotFoundError, match="directory .*nowhere' does not exist"):
        gen.flow_from_directory(tmp_path / "nowhere")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        gen.flow_from_directory(image_dir / "readme.png")
    (tmp_path / "flat").mkdir()
    _write(tmp_path / "flat" / "x.png", 1, 2, 2, "L")
    with pytest.raises(ValueError, match="has no subfolders.*one subfolder\\s+per class"):
        gen.flow_from_directory(tmp_path / "flat")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    (tmp_path / "empty" / "a" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="found no images.*\\.png, \\.jpg"):
        gen.flow_from_directory(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="classes lists \\['birds'\\]"):
        gen.flow_from_directory(image_dir, classes=["cats", "birds"])
    with pytest.raises(FileNotFoundError, match="save_to_dir .* is not a directory"):
        gen.flow_from_directory(image_dir, save_to_dir=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="subset='validation' holds no images.*validation_split is 0.0"):
        gen.flow_from_directory(image_dir, subset="validation")


def test_missing_pillow_names_the_extra(image_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL.Image", None)  # makes `import PIL.Image` fail
    with pytest.raises(ImportError, match=r"pip install numkeras\[image\]"):
        ImageDataGenerator().flow_from_directory(image_dir)


def _model(input_shape, classes):
    model = Sequential([Flatten(input_shape=input_shape), Dense(classes, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    return model


def test_one_pass_in_worker_processes_reads_every_image_once(tmp_path):
    root = _numbered_dir(tmp_path, [5, 4])
    it = ImageDataGenerator().flow_from_directory(root, target_size=(2, 2), color_mode="grayscale",
                                                  class_mode="sparse", batch_size=2)
    enqueuer = OrderedEnqueuer(it, use_multiprocessing=True)
    enqueuer.start(workers=2, max_queue_size=4)
    try:
        batches = enqueuer.get()
        seen = sum((_values(next(batches)[0]) for _ in range(len(it))), [])
    finally:
        enqueuer.stop()
    assert sorted(seen) == [0, 1, 2, 3, 4, 10, 11, 12, 13]


@pytest.mark.parametrize("workers, use_multiprocessing", [(0, False), (2, True)])
def test_fit_on_training_and_validation_subsets(tmp_path, workers, use_multiprocessing):
    root = _numbered_dir(tmp_path, [6, 6])
    gen = ImageDataGenerator(rescale=1 / 255, validation_split=0.5)
    train = gen.flow_from_directory(root, target_size=(2, 2), color_mode="grayscale", batch_size=4,
                                    subset="training", seed=1)
    val = gen.flow_from_directory(root, target_size=(2, 2), color_mode="grayscale", batch_size=4,
                                  subset="validation")
    assert train.samples == val.samples == 6
    model = _model((2, 2, 1), 2)
    history = model.fit(train, validation_data=val, epochs=2, verbose=0, workers=workers,
                        use_multiprocessing=use_multiprocessing)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["val_loss"]) == 2
    assert all(np.isfinite(history.history["loss"]))
    history = model.fit_generator(train, steps_per_epoch=len(train), epochs=1, verbose=0, workers=workers,
                                  use_multiprocessing=use_multiprocessing)
    assert len(history.history["loss"]) == 1


def test_iterator_protocol_cycles_forever(tmp_path):
    root = _numbered_dir(tmp_path, [3])
    it = ImageDataGenerator().flow_from_directory(root, target_size=(2, 2), batch_size=2, shuffle=False,
                                                  class_mode=None)
    assert [len(next(it)) for _ in range(4)] == [2, 1, 2, 1]
    assert K.floatx() == "float32"
