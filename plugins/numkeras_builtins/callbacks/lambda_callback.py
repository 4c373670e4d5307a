"""LambdaCallback: a callback built from plain functions."""

from numkeras.callbacks import Callback


class LambdaCallback(Callback):
    """A callback whose methods are the functions you pass.

    ``on_epoch_begin`` / ``on_epoch_end`` take ``(epoch, logs)``, ``on_batch_begin`` /
    ``on_batch_end`` take ``(batch, logs)``, ``on_train_begin`` / ``on_train_end``
    take ``(logs)``. Any other callback method (``on_test_begin`` …) can be given
    by name as a keyword argument.

    Example:
        >>> batch_print_callback = LambdaCallback(on_batch_begin=lambda batch, logs: print(batch))
        >>> cleanup_callback = LambdaCallback(on_train_end=lambda logs: log_file.close())
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        functions = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_batch_begin=on_batch_begin,
                         on_batch_end=on_batch_end, on_train_begin=on_train_begin, on_train_end=on_train_end)
        for name, function in kwargs.items():
            if not (name.startswith("on_") and callable(getattr(Callback, name, None))):
                raise TypeError(f"LambdaCallback got an unexpected keyword argument {name!r}: "
                                f"it is not a callback method.")
            functions[name] = function
        for name, function in functions.items():
            if function is not None:
                setattr(self, name, _called_positionally(function))


def _called_positionally(function):
    """Passes ``logs`` positionally, as Keras does, so ``lambda epoch, l: ...`` works too."""

    def method(*args, logs=None):
        return function(*args, logs)

    method.__wrapped__ = function
    return method
