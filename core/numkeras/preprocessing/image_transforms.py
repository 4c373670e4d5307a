"""The array transforms behind ``ImageDataGenerator``'s augmentation, on one image at a time.

Flips, channel shift and brightness are NumPy. The affine transform (rotation,
shift, shear, zoom) is one ``scipy.ndimage.affine_transform`` per channel at
spline order 1, centered on the true image center ``((h - 1) / 2, (w - 1) / 2)``;
scipy comes with the optional ``image`` extra and is imported only when needed.
"""

import numpy as np

from ._optional import require_image_extra


def _require_scipy_ndimage():
    return require_image_extra("scipy.ndimage", "Image rotation, shift, shear and zoom need scipy "
                               "(scipy.ndimage.affine_transform).", "scipy")


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
