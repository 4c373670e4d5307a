"""Masking: marks timesteps whose features all equal ``mask_value`` as padding."""

import numpy as np

from numkeras.engine.base_layer import Layer


class Masking(Layer):
    """Masks a sequence: timesteps where every feature equals ``mask_value`` are skipped downstream.

    The output is the input with those timesteps zeroed; the mask (``(batch, steps)``
    booleans, False at padding) goes to the next layers that support masking (RNN
    layers carry their state over masked steps).

    Arguments:
        mask_value: the padding value (default 0.0).

    Example:
        >>> model.add(Masking(mask_value=0., input_shape=(timesteps, features)))
        >>> model.add(LSTM(32))
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs):
        data = np.asarray(inputs.data if hasattr(inputs, "data") else inputs)
        return np.any(data != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = self._keep(inputs)
        return inputs * keep[..., None].astype(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
