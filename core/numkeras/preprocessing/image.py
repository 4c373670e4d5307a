"""Image preprocessing and real-time data augmentation, as in Keras 2.2.4's
``keras.preprocessing.image``.

- :class:`ImageDataGenerator`: standardization (rescale, sample-wise and
  feature-wise centering / normalization, ZCA whitening) and random augmentation
  (rotation, shifts, shear, zoom, channel shift, brightness, flips) of 4D image
  batches; :meth:`ImageDataGenerator.flow` wraps arrays in a
  :class:`NumpyArrayIterator`, a :class:`numkeras.utils.Sequence` that is also an
  endless Python iterator, so ``model.fit(datagen.flow(x, y), ...)`` works;
  :meth:`ImageDataGenerator.flow_from_directory` reads the image files of one
  subfolder per class into a :class:`DirectoryIterator` of the same kind.
- :func:`img_to_array`, :func:`array_to_img`, :func:`load_img`, :func:`save_img`:
  conversions between arrays and PIL images.

This module holds the generator and is the public surface; the transforms are in
:mod:`.image_transforms`, the PIL conversions in :mod:`.image_conversions` and the
iterators in :mod:`.image_iterators`, all importable from here.

Optional dependencies (``pip install numkeras[image]``): the geometric transforms
(rotation, shift, shear, zoom — one affine transform per image, resampled with
``scipy.ndimage.affine_transform`` at spline order 1) need scipy, and the PIL
conversions need Pillow. Both are imported only when such a feature is used;
everything else (flips, rescale, standardization, ZCA, channel shift, brightness)
is pure NumPy.

Differences from Keras 2.2.4, on purpose:

- The affine transforms are centered on the true image center ``((h - 1) / 2,
  (w - 1) / 2)`` (Keras 2.2.4 used ``h / 2 + 0.5``, off by one pixel; later
  keras-preprocessing releases fixed it), so a 90 degree rotation of a square
  image is an exact ``np.rot90``.
- ``brightness_range`` scales the pixel values by the drawn factor in NumPy
  (``x * brightness``) instead of round-tripping through a PIL image (which in
  Keras rescales the image to 0-255 and quantizes it to ``uint8``).
- ``standardize`` does not modify its argument in place.

Example:
    >>> from numkeras.preprocessing.image import ImageDataGenerator
    >>> datagen = ImageDataGenerator(featurewise_center=True, rotation_range=20,
    ...                              width_shift_range=0.1, horizontal_flip=True)
    >>> datagen.fit(x_train)
    >>> model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=5)
"""

import warnings

import numpy as np

from .. import backend as K
from ..utils import validation
from ..utils.validation import check
from .image_conversions import array_to_img, img_to_array, load_img, save_img
from .image_iterators import DirectoryIterator, Iterator, NumpyArrayIterator
from .image_transforms import (
    apply_affine_transform, apply_brightness_shift, apply_channel_shift, flip_axis, transform_matrix_offset_center,
)

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator", "array_to_img", "img_to_array",
           "load_img", "save_img", "apply_affine_transform", "apply_channel_shift",
           "apply_brightness_shift", "flip_axis", "transform_matrix_offset_center"]


def _pair(words, optional=False):
    """Two numbers, as a list, a tuple or an array."""
    return validation.Rule(words, lambda value: isinstance(value, (list, tuple, np.ndarray)),
                           lambda value: len(value) == 2 and all(validation.is_number(v) for v in value),
                           optional=optional)


# a shift range: a number (a fraction of the size, or whole pixels), or the pixel shifts to pick from
_SHIFT = validation.number() | validation.Rule(
    "a 1-D list of numbers", lambda value: isinstance(value, (list, tuple, np.ndarray)),
    lambda value: np.ndim(value) == 1 and all(validation.is_number(v) for v in value))


class ImageDataGenerator:
    """Generates batches of image data with real-time data augmentation.

    Args:
        featurewise_center: subtract the per-channel dataset mean (from :meth:`fit`).
        samplewise_center: subtract each sample's mean.
        featurewise_std_normalization: divide by the per-channel dataset std.
        samplewise_std_normalization: divide each sample by its std.
        zca_whitening: apply ZCA whitening (from :meth:`fit`).
        zca_epsilon: epsilon for ZCA whitening.
        rotation_range: random rotations in ``[-rotation_range, rotation_range]`` degrees.
        width_shift_range, height_shift_range: float < 1 (fraction of the width /
            height), float >= 1 or int (pixels; an int draws whole pixels from
            ``[-n, n)`` with a random sign), or a 1-D list of allowed values.
        brightness_range: ``(low, high)``: scale values by a factor drawn there.
        shear_range: shear angle in degrees (counter-clockwise).
        zoom_range: float ``z`` (zoom in ``[1 - z, 1 + z]``) or ``[low, high]``.
        channel_shift_range: random shifts of every channel's values.
        fill_mode: ``'constant'``, ``'nearest'``, ``'reflect'`` or ``'wrap'``.
        cval: fill value for ``fill_mode='constant'``.
        horizontal_flip, vertical_flip: randomly flip half of the inputs.
        rescale: multiply the data by this value (after every other transform,
            before standardization); None or 0 for none.
        preprocessing_function: called on each image (a 3D array) after
            augmentation, before rescaling; returns an array of the same shape.
        data_format: ``'channels_first'`` or ``'channels_last'``; defaults to
            ``K.image_data_format()``.
        validation_split: fraction of the data reserved for ``subset='validation'``.
        dtype: dtype of the generated arrays; defaults to ``K.floatx()``.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0, width_shift_range=0.,
                 height_shift_range=0., brightness_range=None, shear_range=0., zoom_range=0.,
                 channel_shift_range=0., fill_mode="nearest", cval=0., horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, dtype=None):
        data_format = data_format or K.image_data_format()
        dtype = dtype or K.floatx()
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.brightness_range = brightness_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype

        try:
            check("ImageDataGenerator",
                data_format=(data_format, validation.one_of("channels_last", "channels_first")),
                fill_mode=(fill_mode, validation.one_of("constant", "nearest", "reflect", "wrap")),
                validation_split=(validation_split, validation.number(0, 1, high_open=True)),
                zca_epsilon=(zca_epsilon, validation.number(0, low_open=True)),
                rotation_range=(rotation_range, validation.number()),
                width_shift_range=(width_shift_range, _SHIFT),
                height_shift_range=(height_shift_range, _SHIFT),
                brightness_range=(brightness_range, _pair("a pair (low, high) of numbers", optional=True)),
                shear_range=(shear_range, validation.number()),
                zoom_range=(zoom_range, validation.number() | _pair("a pair (lower, upper) of numbers")),
                channel_shift_range=(channel_shift_range, validation.number()),
                cval=(cval, validation.number()),
                rescale=(rescale, validation.number(optional=True)),
                preprocessing_function=(preprocessing_function, validation.Rule("a function", callable, optional=True)))
        except validation.ArgumentTypeError as error:  # Keras 2.2 raises ValueError for every bad argument here
            raise validation.ArgumentValueError(str(error)) from None
        self.data_format = data_format
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self._validation_split = validation_split

        self.mean = None
        self.std = None
        self.principal_components = None

        if validation.is_number(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        else:
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which overrides setting of "
                              "`featurewise_center`.")
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which overrides setting of"
                              "`featurewise_std_normalization`.")
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, which overrides "
                          "setting of `featurewise_center`.")
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, which overrides "
                          "setting of `samplewise_center`.")

    # ------------------------------------------------------------------ flows

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", subset=None):
        """A :class:`NumpyArrayIterator` of augmented, standardized batches of ``x``
        (``(x, y)`` or ``(x, y, sample_weight)`` when those are given).

        ``x`` is a 4D array, or a list whose first element is the 4D image array and
        whose other arrays are passed through unchanged. ``subset`` is
        ``'training'`` or ``'validation'`` when ``validation_split`` is set.
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed, data_format=self.data_format,
                                  save_to_dir=save_to_dir, save_prefix=save_prefix, save_format=save_format,
                                  subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest"):
        """A :class:`DirectoryIterator` of augmented, standardized batches of the images
        in ``directory``, one subfolder per class (Keras 2.2's method). Needs Pillow.

        Arguments:
            directory: the folder holding one subfolder per class; each subfolder's
                image files (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``, ``.ppm``, ``.tif``,
                ``.tiff``, any case, in its own subfolders too) are that class's samples.
            target_size: ``(height, width)`` every image is resized to.
            color_mode: ``'grayscale'`` (1 channel), ``'rgb'`` (3) or ``'rgba'`` (4).
            classes: the class subfolders, in class-index order; default: every
                subfolder, sorted by name.
            class_mode: the targets: ``'categorical'`` (one-hot), ``'binary'`` (the class
                index as a float, for two classes), ``'sparse'`` (int32 class indices),
                ``'input'`` (the images themselves, for autoencoders) or None (no targets:
                batches are the images alone).
            batch_size, shuffle, seed: as for :meth:`flow`; without shuffling the
                samples come class by class, each class's files in sorted order.
            save_to_dir, save_prefix, save_format: write every augmented image there
                (an existing folder), as ``{prefix}_{index}_{random}.{format}``.
            follow_links: follow symbolic links to folders inside the class subfolders.
            subset: ``'training'`` or ``'validation'``: of each class's sorted files, the
                first ``validation_split`` fraction (rounded down) is the validation
                subset and the rest the training subset.
            interpolation: how images are resized (Pillow's resampling filters):
                ``'nearest'``, ``'bilinear'``, ``'bicubic'``, ``'lanczos'``, ``'box'`` or
                ``'hamming'``.

        Returns:
            A :class:`DirectoryIterator` (a :class:`numkeras.utils.Sequence`), yielding
            ``(x, y)`` batches, or ``x`` alone with ``class_mode=None``.

        Raises:
            FileNotFoundError: ``directory`` (or a name in ``classes``, or
                ``save_to_dir``) does not exist.
            ValueError / TypeError: a bad argument (the message names it), a directory
                without class subfolders or images, an empty ``subset``.
            ImportError: Pillow is not installed (``pip install numkeras[image]``).

        Example:
            >>> datagen = ImageDataGenerator(rescale=1 / 255, validation_split=0.2)
            >>> train = datagen.flow_from_directory("data/", target_size=(64, 64), subset="training")
            >>> val = datagen.flow_from_directory("data/", target_size=(64, 64), subset="validation")
            >>> model.fit(train, validation_data=val, epochs=5, workers=4, use_multiprocessing=True)
        """
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode,
                                 classes=classes, class_mode=class_mode, batch_size=batch_size, shuffle=shuffle,
                                 seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                 save_prefix=save_prefix, save_format=save_format, follow_links=follow_links,
                                 subset=subset, interpolation=interpolation, dtype=self.dtype,
                                 _owner="flow_from_directory")

    # ------------------------------------------------------------------ standardization

    def standardize(self, x):
        """Applies the normalization configuration to a batch or a single image ``x``
        (returns a new array; ``x`` is left unchanged)."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        x = np.array(x, dtype=self.dtype, copy=True)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= (np.std(x, keepdims=True) + K.epsilon())
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it hasn't been fit on "
                              "any training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= (self.std + K.epsilon())
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, but it hasn't "
                              "been fit on any training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.zca_whitening:
            if self.principal_components is not None:
                flatx = np.reshape(x, (-1, int(np.prod(x.shape[-3:]))))
                whitex = flatx @ self.principal_components
                x = np.reshape(whitex, x.shape).astype(self.dtype, copy=False)
            else:
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, but it hasn't been fit on any "
                              "training data. Fit it first by calling `.fit(numpy_data)`.")
        return x

    # ------------------------------------------------------------------ augmentation

    def _draw_shift(self, shift_range, size):
        if isinstance(shift_range, (int, np.integer)):
            shift = np.random.choice(shift_range) * np.random.choice([-1, 1])
        elif isinstance(shift_range, (list, tuple, np.ndarray)):
            shift = np.random.choice(shift_range) * np.random.choice([-1, 1])
        else:
            shift = np.random.uniform(-shift_range, shift_range)
        if np.max(shift_range) < 1:
            shift *= size
        return shift

    def get_random_transform(self, img_shape, seed=None):
        """Random transformation parameters for one image of shape ``img_shape`` (3D).

        Returns a dict with ``theta``, ``tx``, ``ty``, ``shear``, ``zx``, ``zy``,
        ``flip_horizontal``, ``flip_vertical``, ``channel_shift_intensity`` and
        ``brightness``. With ``seed``, NumPy's global random state is seeded first.
        """
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        # np.any, not truthiness: a shift range may be an array of allowed shifts (Keras 2.2.4 raised
        # NumPy's "truth value of an array is ambiguous" on those).
        tx = ty = 0
        if np.any(self.height_shift_range):
            tx = self._draw_shift(self.height_shift_range, img_shape[img_row_axis])
        if np.any(self.width_shift_range):
            ty = self._draw_shift(self.width_shift_range, img_shape[img_col_axis])
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(np.random.random() < 0.5) and bool(self.horizontal_flip)
        flip_vertical = bool(np.random.random() < 0.5) and bool(self.vertical_flip)
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = np.random.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift_intensity, "brightness": brightness}

    def apply_transform(self, x, transform_parameters):
        """Applies the transformation ``transform_parameters`` (a dict as returned by
        :meth:`get_random_transform`; missing keys mean no change) to one 3D image."""
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        img_channel_axis = self.channel_axis - 1
        p = transform_parameters
        x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0),
                                   p.get("zx", 1), p.get("zy", 1), row_axis=img_row_axis, col_axis=img_col_axis,
                                   channel_axis=img_channel_axis, fill_mode=self.fill_mode, cval=self.cval)
        if p.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, p["channel_shift_intensity"], img_channel_axis)
        if p.get("flip_horizontal", False):
            x = flip_axis(x, img_col_axis)
        if p.get("flip_vertical", False):
            x = flip_axis(x, img_row_axis)
        if p.get("brightness") is not None:
            x = apply_brightness_shift(x, p["brightness"])
        return x

    def random_transform(self, x, seed=None):
        """A randomly augmented copy of the single 3D image ``x``."""
        params = self.get_random_transform(np.shape(x), seed)
        return self.apply_transform(x, params)

    # ------------------------------------------------------------------ fit

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the data statistics that the feature-wise options need (mean,
        std, ZCA principal components) from the 4D sample array ``x``.

        With ``augment=True`` the statistics come from ``rounds`` randomly augmented
        copies of ``x``. ``rescale`` and ``preprocessing_function`` are not applied.
        """
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to `.fit()` should have rank 4. Got array with shape: {x.shape}")
        if x.shape[self.channel_axis] not in {1, 3, 4}:
            warnings.warn(f"Expected input to be images (as Numpy array) following the data format convention "
                          f"{self.data_format!r} (channels on axis {self.channel_axis}), i.e. expected either 1, "
                          f"3 or 4 channels on axis {self.channel_axis}. However, it was passed an array with "
                          f"shape {x.shape} ({x.shape[self.channel_axis]} channels).")
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if augment:
            ax = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            for r in range(rounds):
                for i in range(x.shape[0]):
                    ax[i + r * x.shape[0]] = self.random_transform(x[i])
            x = ax
        broadcast_shape = [1, 1, 1]
        broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.mean(x, axis=(0, self.row_axis, self.col_axis)).reshape(broadcast_shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=(0, self.row_axis, self.col_axis)).reshape(broadcast_shape)
            x /= (self.std + K.epsilon())
        if self.zca_whitening:
            flat_x = np.reshape(x, (x.shape[0], -1)).astype("float64")
            sigma = flat_x.T @ flat_x / flat_x.shape[0]
            u, s, _ = np.linalg.svd(sigma)
            s_inv = 1. / np.sqrt(s[np.newaxis] + self.zca_epsilon)
            self.principal_components = ((u * s_inv) @ u.T).astype(self.dtype)
