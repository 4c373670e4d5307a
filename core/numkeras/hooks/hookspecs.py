"""Every hook numkeras calls, in one place, grouped by lifecycle phase.

Hook plugins implement these with ``@numkeras.hooks.hookimpl`` and are found
through the entry-point group ``numkeras.plugins`` (or registered with
``numkeras.hooks.plugin_manager().register(obj)``).

Training events: the training loop calls each event once, and a ``Callback``
passed to ``fit`` sees it through the same call, so both see the same events in
the same order. Within one event the ``fit`` callbacks run first (in the order
given, History last), then hook plugins (in pluggy's order: last registered
first). ``logs`` is the same dict the callbacks received; hooks may read it, and
should not modify it. Return values are ignored.

Sibling hooks take the same arguments: ``(model, logs)`` for begin/end of a
phase, ``(model, epoch, logs)`` for epochs, ``(model, batch, logs)`` for batches.
"""

import pluggy

hookspec = pluggy.HookspecMarker("numkeras")


# -- component registration ------------------------------------------------------
@hookspec
def numkeras_register_components(register):
    """Called once, the first time any registry is consulted.

    Arguments:
        register: ``register(kind, name, obj)`` adds a component to a registry,
            e.g. ``register('losses', 'focal_loss', focal_loss)``.
    """


# -- the callbacks of one call ---------------------------------------------------------
@hookspec
def numkeras_configure_callbacks(model, callbacks, params):
    """Once per ``fit`` / ``evaluate`` / ``predict`` call, before its first event.

    Lets a plugin adjust which callbacks the call runs: drop the progress bar of a
    worker process, put a callback first that the others rely on, and so on.

    Arguments:
        model: the model of the call.
        callbacks: the call's callbacks as a list, in the order they will run: the
            progress bar (when ``verbose``), the user's callbacks, ``History`` last
            (``fit`` only). Modify it in place (remove, insert, replace); the call
            runs exactly what the list holds afterwards.
        params: the call's training parameters (``epochs``, ``steps``, ``verbose`` …),
            the same dict every callback receives in ``set_params``.

    Return values are ignored; each plugin sees the list as the ones called before it
    left it (pluggy's order: last registered first).
    """


# -- fit ---------------------------------------------------------------------------
@hookspec
def on_train_begin(model, logs):
    """At the start of ``fit``. ``logs`` is empty."""


@hookspec
def on_train_end(model, logs):
    """At the end of ``fit`` (also after ``stop_training``). ``logs``: the last epoch's logs."""


@hookspec
def on_epoch_begin(model, epoch, logs):
    """At the start of each epoch; ``epoch`` counts from 0 (from ``initial_epoch``)."""


@hookspec
def on_epoch_end(model, epoch, logs):
    """At the end of each epoch, after validation.

    ``logs``: sample-weighted epoch means of ``loss`` and each metric, plus
    ``val_``-prefixed keys when validating; every value is a Python float.
    """


@hookspec
def on_train_batch_begin(model, batch, logs):
    """Before each training batch. ``logs``: ``{'batch': index, 'size': samples}``."""


@hookspec
def on_train_batch_end(model, batch, logs):
    """After each training batch. ``logs``: ``batch``, ``size``, and that batch's own ``loss`` and metrics."""


# -- evaluate (and validation inside fit) -------------------------------------------------
@hookspec
def on_test_begin(model, logs):
    """At the start of ``evaluate`` and of each validation pass inside ``fit``."""


@hookspec
def on_test_end(model, logs):
    """At the end of ``evaluate`` / validation. ``logs``: the pass's mean loss and metrics."""


@hookspec
def on_test_batch_begin(model, batch, logs):
    """Before each evaluation batch. ``logs``: ``{'batch', 'size'}``."""


@hookspec
def on_test_batch_end(model, batch, logs):
    """After each evaluation batch. ``logs``: ``batch``, ``size``, that batch's loss and metrics."""


# -- predict ---------------------------------------------------------------------------
@hookspec
def on_predict_begin(model, logs):
    """At the start of ``predict``."""


@hookspec
def on_predict_end(model, logs):
    """At the end of ``predict``."""


@hookspec
def on_predict_batch_begin(model, batch, logs):
    """Before each prediction batch. ``logs``: ``{'batch', 'size'}``."""


@hookspec
def on_predict_batch_end(model, batch, logs):
    """After each prediction batch. ``logs``: ``batch``, ``size`` and ``outputs``."""


# -- saving ----------------------------------------------------------------------------
@hookspec
def numkeras_save_model(model, attributes):
    """While a model file is written; add JSON-serialisable entries to ``attributes``.

    Arguments:
        model: the model being saved.
        attributes: a dict stored in the file (under ``numkeras_plugin_data``);
            plugins should use their distribution name as the key.
    """


@hookspec
def numkeras_load_model(model, attributes):
    """After a model file was read; ``attributes`` is what ``numkeras_save_model`` stored."""


# -- compute kernels -----------------------------------------------------------------
@hookspec(firstresult=True)
def numkeras_gemm():
    """A faster 2-D matrix-product kernel for ``numkeras.backend.blas.matmul``, or ``None``.

    Asked once, on the first product. Return a callable ``gemm(a, b, out)``: ``a`` is
    ``(m, k)``, ``b`` ``(k, n)``, both of one float dtype (any strides), ``out`` is
    ``None`` or a C-contiguous ``(m, n)`` array of that dtype. It returns the product
    (``out`` itself when given), or ``None`` for operands it does not handle, which
    NumPy then computes. The first plugin to return a kernel wins. The kernel may carry
    optional attributes: ``batched(a, b, out)``, the same on 3-D operands (a batch of
    products in one call, for ``blas.batched_matmul``); ``one_thread()``, a context
    manager running its products on one thread in the calling thread; and
    ``numpy_loops_up_to``, an int: a recurrent layer's time loop whose largest per-step
    product has at most that many multiply-adds leaves all its products to NumPy
    (``blas.step_products``).
    """


@hookspec
def numkeras_kernels():
    """Compiled versions of the kernels in ``numkeras.backend.kernels``, as ``{name: callable}``.

    Asked once, on the first kernel call; return ``None`` or a dict. Each callable takes
    the arguments of the kernel of that name (see its docstring) and returns what the
    NumPy reference returns, or ``None`` for arguments it does not handle (before
    changing any of them), which the reference then runs. A kernel whose reference
    returns ``None`` (``conv3x3``) has no NumPy computation: there the op takes its own
    path unless the plugin answers. When two plugins supply one name, the first to
    answer wins.
    """
