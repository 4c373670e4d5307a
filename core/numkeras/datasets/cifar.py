"""The CIFAR batch format shared by :mod:`cifar10` and :mod:`cifar100`.

A CIFAR "python version" archive holds pickled dicts (written by Python 2) with the
keys ``data`` (a ``(n, 3072)`` uint8 array, channels first), ``labels`` (CIFAR-10) or
``fine_labels`` / ``coarse_labels`` (CIFAR-100), ``batch_label`` and ``filenames``.
The loaders read the batches straight out of the archive once its hash has matched,
through :class:`~numkeras.datasets._files.SafeUnpickler`; nothing is extracted.
"""

import tarfile

import numpy as np

from .. import backend as K
from ._files import DatasetError, safe_unpickle


def load_batch(fpath, label_key="labels"):
    """Reads one CIFAR batch file as Keras's ``cifar.load_batch`` does, but without running code.

    Arguments:
        fpath: the batch file (``data_batch_1``, ``test_batch``, ``train`` …).
        label_key: ``'labels'`` (CIFAR-10), ``'fine_labels'`` or ``'coarse_labels'`` (CIFAR-100).

    Returns:
        ``(data, labels)``: uint8 ``(n, 3, 32, 32)`` and a list of ints.

    Raises:
        DatasetError: not a CIFAR batch, or it asks for anything but arrays and plain data.
    """
    with open(fpath, "rb") as stream:
        return read_batch(stream, fpath, label_key)


def read_batch(stream, source, label_key="labels"):
    """Like :func:`load_batch`, from an open binary stream; errors name ``source``."""
    batch = safe_unpickle(stream, source, encoding="bytes")
    if not isinstance(batch, dict):
        raise DatasetError(f"{source} holds a {type(batch).__name__}, not a CIFAR batch dict.")
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    for key in ("data", label_key):
        if key not in batch:
            raise DatasetError(f"{source} has no {key!r} entry; it has {sorted(batch)}.")
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DatasetError(f"{source}: 'data' is not a (n, 3072) uint8 array.")
    labels = list(batch[label_key])
    if len(labels) != len(data):
        raise DatasetError(f"{source} holds {len(data)} images but {len(labels)} labels.")
    return data.reshape(len(data), 3, 32, 32), labels


def read_archive_batches(archive_path, members, label_key="labels"):
    """``[(data, labels), …]`` for the named members of a (hash-checked) CIFAR ``.tar.gz``."""
    try:
        with tarfile.open(archive_path, "r:*") as archive:
            batches = []
            for member in members:
                try:
                    stream = archive.extractfile(member)
                except KeyError:
                    stream = None
                if stream is None:
                    raise DatasetError(f"{archive_path} has no file {member!r}: not a CIFAR python archive.")
                with stream:
                    batches.append(read_batch(stream, f"{archive_path}:{member}", label_key))
            return batches
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DatasetError(f"{archive_path} is not a readable tar archive: {error}") from error


def to_data_format(x):
    """Channels first as stored; transposed to ``(n, 32, 32, 3)`` for ``channels_last``."""
    return x.transpose(0, 2, 3, 1) if K.image_data_format() == "channels_last" else x


__all__ = ["load_batch"]
