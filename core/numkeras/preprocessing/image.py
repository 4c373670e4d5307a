"""Image preprocessing and real-time data augmentation, as in Keras 2.2.4's
``keras.preprocessing.image``.

- :class:`ImageDataGenerator`: standardization (rescale, sample-wise and
  feature-wise centering / normalization, ZCA whitening) and random augmentation
  (rotation, shifts, shear, zoom, channel shift, brightness, flips) of 4D image
  batches; :meth:`ImageDataGenerator.flow` wraps arrays in a
  :class:`NumpyArrayIterator`, a :class:`numkeras.utils.Sequence` that is also an
  endless Python iterator, so ``model.fit(datagen.flow(x, y), ...)`` works.
- :func:`img_to_array`, :func:`array_to_img`, :func:`load_img`, :func:`save_img`:
  conversions between arrays and PIL images.

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

import os
import threading
import warnings

import numpy as np

from .. import backend as K
from ..utils.data_utils import Sequence

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "array_to_img", "img_to_array",
           "load_img", "save_img", "apply_affine_transform", "apply_channel_shift",
           "apply_brightness_shift", "flip_axis", "transform_matrix_offset_center"]


def _require_scipy_ndimage():
    try:
        from scipy import ndimage
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Image rotation, shift, shear and zoom need scipy (scipy.ndimage.affine_transform). "
            "Install it with `pip install numkeras[image]` (or `pip install scipy`)."
        ) from exc
    return ndimage


def _require_pil():
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Converting between arrays and images needs Pillow. Install it with "
            "`pip install numkeras[image]` (or `pip install Pillow`)."
        ) from exc
    return Image


# --------------------------------------------------------------------------- transforms

def flip_axis(x, axis):
    """``x`` reversed along ``axis`` (a copy)."""
    return np.ascontiguousarray(np.flip(np.asarray(x), axis))


def apply_channel_shift(x, intensity, channel_axis=0):
    """Adds ``intensity`` to every channel of ``x``, clipped to the image's value range."""
    x = np.moveaxis(np.asarray(x), channel_axis, 0)
    min_x, max_x = np.min(x), np.max(x)
    channels = [np.clip(channel + intensity, min_x, max_x) for channel in x]
    return np.moveaxis(np.stack(channels, axis=0), 0, channel_axis)


def apply_brightness_shift(x, brightness):
    """``x`` with its brightness scaled by ``brightness`` (1.0 leaves it unchanged).

    A NumPy scale ``x * brightness``; Keras 2.2.4 goes through a PIL image instead.
    """
    return np.asarray(x) * brightness


def transform_matrix_offset_center(matrix, x, y):
    """``matrix`` (3x3, homogeneous) conjugated so it acts about the center of an
    ``x`` by ``y`` image instead of about its corner."""
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset_matrix @ matrix @ reset_matrix


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=0, col_axis=1,
                           channel_axis=2, fill_mode="nearest", cval=0., order=1):
    """One affine transform of a single 3D image ``x``.

    Args:
        theta: rotation angle in degrees.
        tx, ty: shift in pixels along the row and the column axis (output pixel
            ``(i, j)`` samples input pixel ``(i + tx, j + ty)``).
        shear: shear angle in degrees.
        zx, zy: zoom along the row and the column axis (``> 1`` zooms out).
        row_axis, col_axis, channel_axis: the axes of ``x``.
        fill_mode: ``'constant'``, ``'nearest'``, ``'reflect'`` or ``'wrap'``, for
            points outside the input.
        cval: the fill value for ``fill_mode='constant'``.
        order: spline interpolation order.

    Needs scipy when the transform is not the identity.
    """
    transform_matrix = None
    if theta != 0:
        theta = np.deg2rad(theta)
        rotation_matrix = np.array([[np.cos(theta), -np.sin(theta), 0],
                                    [np.sin(theta), np.cos(theta), 0],
                                    [0, 0, 1]])
        transform_matrix = rotation_matrix
    if tx != 0 or ty != 0:
        shift_matrix = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        transform_matrix = shift_matrix if transform_matrix is None else transform_matrix @ shift_matrix
    if shear != 0:
        shear = np.deg2rad(shear)
        shear_matrix = np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])
        transform_matrix = shear_matrix if transform_matrix is None else transform_matrix @ shear_matrix
    if zx != 1 or zy != 1:
        zoom_matrix = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        transform_matrix = zoom_matrix if transform_matrix is None else transform_matrix @ zoom_matrix
    if transform_matrix is None:
        return x
    ndimage = _require_scipy_ndimage()
    h, w = x.shape[row_axis], x.shape[col_axis]
    transform_matrix = transform_matrix_offset_center(transform_matrix, h, w)
    # Work on (channel, row, col) planes whatever the layout of x.
    planes = np.transpose(x, (channel_axis, row_axis, col_axis))
    final_affine_matrix = transform_matrix[:2, :2]
    final_offset = transform_matrix[:2, 2]
    channel_images = [ndimage.affine_transform(plane, final_affine_matrix, final_offset, order=order,
                                               mode=fill_mode, cval=cval) for plane in planes]
    out = np.stack(channel_images, axis=0)
    inverse = np.argsort((channel_axis, row_axis, col_axis))
    return np.transpose(out, inverse)


# --------------------------------------------------------------------------- PIL conversions

def img_to_array(img, data_format=None, dtype="float32"):
    """A PIL image (or anything array-like) as a 3D array in ``data_format``."""
    data_format = data_format or K.image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(f"Unknown data_format: {data_format!r}")
    x = np.asarray(img, dtype=dtype)
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape) if data_format == "channels_first" else x.reshape(x.shape + (1,))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def array_to_img(x, data_format=None, scale=True, dtype="float32"):
    """A 3D array as a PIL image (1 channel: ``'L'``, 3: ``'RGB'``, 4: ``'RGBA'``).

    With ``scale=True`` the values are shifted and scaled to 0-255 first. Needs Pillow.
    """
    Image = _require_pil()
    data_format = data_format or K.image_data_format()
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(f"Invalid data_format: {data_format!r}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x + max(-np.min(x), 0)
        x_max = np.max(x)
        if x_max != 0:
            x = x / x_max
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves the 3D array ``x`` as an image file (see :func:`array_to_img`). Needs Pillow."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    img.save(path, format=file_format, **kwargs)


def load_img(path, grayscale=False, color_mode="rgb", target_size=None, interpolation="nearest"):
    """Loads an image file as a PIL image.

    Args:
        color_mode: ``'grayscale'``, ``'rgb'`` or ``'rgba'`` (``grayscale=True`` is
            the deprecated spelling of ``color_mode='grayscale'``).
        target_size: ``(height, width)`` to resize to, or None.
        interpolation: ``'nearest'``, ``'bilinear'``, ``'bicubic'``, ``'lanczos'``,
            ``'box'`` or ``'hamming'``.
    Needs Pillow.
    """
    Image = _require_pil()
    if grayscale:
        warnings.warn("grayscale is deprecated. Please use color_mode = 'grayscale'")
        color_mode = "grayscale"
    img = Image.open(path)
    if color_mode == "grayscale":
        if img.mode != "L":
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if target_size is not None:
        width_height_tuple = (target_size[1], target_size[0])
        if img.size != width_height_tuple:
            methods = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
                       "lanczos": Image.LANCZOS, "box": Image.BOX, "hamming": Image.HAMMING}
            if interpolation not in methods:
                raise ValueError(f"Invalid interpolation method {interpolation!r}; supported: "
                                 f"{', '.join(methods)}")
            img = img.resize(width_height_tuple, methods[interpolation])
    return img


# --------------------------------------------------------------------------- generator

def _shift_is_valid(value):
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    return isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1


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

        if data_format not in {"channels_last", "channels_first"}:
            raise ValueError("`data_format` should be `'channels_last'` (channel after row and column) "
                             f"or `'channels_first'` (channel before row and column). Received: {data_format!r}")
        self.data_format = data_format
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if fill_mode not in {"constant", "nearest", "reflect", "wrap"}:
            raise ValueError("fill_mode must be one of 'constant', 'nearest', 'reflect', 'wrap'; "
                             f"got {fill_mode!r}")
        if not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be strictly between 0 and 1. Received: {validation_split}")
        self._validation_split = validation_split

        self.mean = None
        self.std = None
        self.principal_components = None

        if np.isscalar(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2:
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"`zoom_range` should be a float or a tuple or list of two floats. Received: {zoom_range}")
        for name in ("width_shift_range", "height_shift_range"):
            if not _shift_is_valid(getattr(self, name)):
                raise ValueError(f"`{name}` should be a float, a 1-D array-like or an int. "
                                 f"Received: {getattr(self, name)!r}")
        if brightness_range is not None:
            if not isinstance(brightness_range, (tuple, list, np.ndarray)) or len(brightness_range) != 2:
                raise ValueError("`brightness_range should be tuple or list of two floats. "
                                 f"Received: {brightness_range}")
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
        tx = self._draw_shift(self.height_shift_range, img_shape[img_row_axis]) if self.height_shift_range else 0
        ty = self._draw_shift(self.width_shift_range, img_shape[img_col_axis]) if self.width_shift_range else 0
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


# --------------------------------------------------------------------------- iterators

class Iterator(Sequence):
    """Base class of the image iterators: a :class:`numkeras.utils.Sequence` of
    ``ceil(n / batch_size)`` batches that is also an endless Python iterator.

    Subclasses implement ``_get_batches_of_transformed_samples(index_array)``.
    With ``seed``, batch ``k`` (counting every batch produced so far) seeds NumPy's
    global random state with ``seed + k``, and the shuffling uses it too.
    """

    def __init__(self, n, batch_size, shuffle, seed):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        """Reshuffles the sample order (when ``shuffle``)."""
        self._set_index_array()

    def reset(self):
        """Restarts the iteration (``next``) at the beginning of a pass."""
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current_index = (self.batch_index * self.batch_size) % self.n
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current_index:current_index + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def next(self):
        """The next batch (Keras 2 spelling of ``next(iterator)``)."""
        return self.__next__()

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError


class NumpyArrayIterator(Iterator):
    """Iterator over augmented batches of NumPy image data (see :meth:`ImageDataGenerator.flow`)."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None, dtype=None):
        data_format = data_format or K.image_data_format()
        dtype = dtype or K.floatx()
        self.dtype = dtype
        if isinstance(x, (tuple, list)):
            if not isinstance(x[0], np.ndarray):
                raise ValueError("All of the arrays in `x` should be Numpy arrays, but the first is "
                                 f"{type(x[0]).__name__}.")
            x_misc = [np.asarray(xx) for xx in x[1:]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError("All of the arrays in `x` should have the same length. Found a pair with: "
                                     f"len(x[0]) = {len(x)}, len(x[?]) = {len(xx)}")
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ValueError("`x` (images tensor) and `y` (labels) should have the same length. "
                             f"Found: x.shape = {np.asarray(x).shape}, y.shape = {np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError("`x` (images tensor) and `sample_weight` should have the same length. "
                             f"Found: x.shape = {np.asarray(x).shape}, "
                             f"sample_weight.shape = {np.asarray(sample_weight).shape}")
        if y is not None:
            y = np.asarray(y)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)
        if subset is not None:
            if subset not in {"training", "validation"}:
                raise ValueError(f"Invalid subset name: {subset!r}; expected 'training' or 'validation'.")
            split_idx = int(len(x) * image_data_generator._validation_split)
            if y is not None and not np.array_equal(np.unique(y[:split_idx]), np.unique(y[split_idx:])):
                raise ValueError("Training and validation subsets have different number of classes after the "
                                 "split. If your numpy arrays are sorted by the label, you might want to shuffle "
                                 "them.")
            part = slice(None, split_idx) if subset == "validation" else slice(split_idx, None)
            x = x[part]
            x_misc = [xx[part] for xx in x_misc]
            if y is not None:
                y = y[part]
            if sample_weight is not None:
                sample_weight = sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError(f"Input data in `NumpyArrayIterator` should have rank 4. You passed an array with "
                             f"shape {self.x.shape}")
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in {1, 3, 4}:
            warnings.warn(f"NumpyArrayIterator is set to use the data format convention {data_format!r} "
                          f"(channels on axis {channels_axis}), i.e. expected either 1, 3, or 4 channels on axis "
                          f"{channels_axis}. However, it was passed an array with shape {self.x.shape} "
                          f"({self.x.shape[channels_axis]} channels).")
        self.y = y
        self.sample_weight = sample_weight
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            x = self.x[j]
            params = self.image_data_generator.get_random_transform(x.shape)
            x = self.image_data_generator.apply_transform(x.astype(self.dtype), params)
            x = self.image_data_generator.standardize(x)
            batch_x[i] = x
        if self.save_to_dir:
            for i, j in enumerate(index_array):
                img = array_to_img(batch_x[i], self.data_format, scale=True)
                fname = (f"{self.save_prefix}_{j}_{np.random.randint(10 ** 4)}.{self.save_format}")
                img.save(os.path.join(self.save_to_dir, fname))
        batch_x_miscs = [xx[index_array] for xx in self.x_misc]
        output = batch_x if not batch_x_miscs else [batch_x] + batch_x_miscs
        if self.y is None:
            return output
        if self.sample_weight is None:
            return output, self.y[index_array]
        return output, self.y[index_array], self.sample_weight[index_array]
