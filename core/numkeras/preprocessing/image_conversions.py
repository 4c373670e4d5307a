"""Conversions between arrays and PIL images, and image files (``load_img`` / ``save_img``).

Pillow comes with the optional ``image`` extra and is imported only when needed.
"""

import warnings

import numpy as np

from .. import backend as K
from ._optional import require_image_extra


def _require_pil():
    return require_image_extra("PIL.Image", "Converting between arrays and images needs Pillow.", "Pillow")


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
