"""Gradient compression for the allreduce, as Horovod's ``hvd.Compression``."""

import numpy as np


class NoneCompressor:
    """Sends values as they are."""

    name = "none"

    @staticmethod
    def compress(array):
        return array, None

    @staticmethod
    def decompress(array, context):
        return array


class FP16Compressor:
    """Sends floating-point values as float16 (half the bytes of float32), sums them in float16,
    and gives them back in their own dtype. Integers are sent as they are."""

    name = "fp16"

    @staticmethod
    def compress(array):
        if np.issubdtype(array.dtype, np.floating) and array.dtype != np.float16:
            return array.astype(np.float16), array.dtype
        return array, None

    @staticmethod
    def decompress(array, context):
        return array if context is None else array.astype(context)


class Compression:
    """``Compression.none`` (default) or ``Compression.fp16``."""

    none = NoneCompressor
    fp16 = FP16Compressor
