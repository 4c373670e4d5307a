"""scikit-learn estimators around a Keras model, with Keras 2.2's ``keras.wrappers.scikit_learn`` API.

``KerasClassifier(build_fn, **sk_params)`` and ``KerasRegressor(build_fn, **sk_params)``
build a fresh compiled model on every ``fit``, so scikit-learn's ``GridSearchCV``,
``cross_val_score`` and ``Pipeline`` can clone, tune and score them. ``build_fn`` is a
function or method returning a compiled model, or a class whose ``__call__`` does (or
None, for a subclass that defines ``__call__``). Each entry of ``sk_params`` goes to
every one of ``build_fn``, ``fit``, ``predict`` … (``predict_classes``, ``predict_proba``,
``evaluate`` for the classifier) that has an argument of that name; an entry none of
them takes is refused.

The wrappers use scikit-learn only through duck typing (``get_params`` /
``set_params``, and ``__sklearn_tags__``, which only scikit-learn calls); the model
selection tools themselves come with the ``sklearn`` extra:
``pip install 'numkeras[sklearn]'``.

Example:
    >>> def build(hidden=8):
    ...     model = Sequential([Dense(hidden, activation='relu', input_shape=(4,)),
    ...                         Dense(3, activation='softmax')])
    ...     model.compile('adam', 'categorical_crossentropy', metrics=['accuracy'])
    ...     return model
    >>> search = GridSearchCV(KerasClassifier(build, epochs=5, verbose=0), {'hidden': [4, 8]}, cv=3)
"""

import types

import numpy as np

from ..engine.sequential import Sequential
from ..utils import to_categorical
from ..utils.generic_utils import has_arg


class BaseWrapper:
    """The part of :class:`KerasClassifier` and :class:`KerasRegressor` that they share.

    Arguments:
        build_fn: a callable (function, method or instance of a class with ``__call__``)
            returning a compiled model, a class to instantiate as such, or None to use
            ``self.__call__`` (subclasses).
        **sk_params: model-building and training parameters (see the module docstring).

    Raises:
        ValueError: an entry of ``sk_params`` is taken by none of the functions it may go to.
    """

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _legal_functions(self):
        functions = [Sequential.fit, Sequential.predict, Sequential.predict_classes, Sequential.evaluate]
        if self.build_fn is None:
            functions.append(self.__call__)
        elif not isinstance(self.build_fn, (types.FunctionType, types.MethodType)) and hasattr(self.build_fn, "__call__"):
            functions.append(self.build_fn.__call__)
        else:
            functions.append(self.build_fn)
        return functions

    def check_params(self, params):
        """Raises ``ValueError`` for a parameter that no function it may go to takes."""
        functions = self._legal_functions()
        for name in params:
            if not any(has_arg(fn, name) for fn in functions):
                raise ValueError(
                    f"{name} is not a legal parameter: it is an argument of neither build_fn nor the model's "
                    f"fit / predict / predict_classes / evaluate. Check its spelling, or add it to build_fn's "
                    f"arguments.")

    def get_params(self, **params):
        """The constructor's arguments: ``build_fn`` and every ``sk_param`` (scikit-learn's API).

        The values are returned as they are (Keras 2.2 deep-copied them, which makes
        scikit-learn's ``clone`` refuse a list-valued parameter).
        """
        result = dict(self.sk_params)
        result["build_fn"] = self.build_fn
        return result

    def set_params(self, **params):
        """Updates ``sk_params`` (checked as in the constructor); returns ``self``."""
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The entries of ``sk_params`` that ``fn`` takes as arguments, updated with ``override``."""
        result = {name: value for name, value in self.sk_params.items() if has_arg(fn, name)}
        result.update(override or {})
        return result

    def _build(self):
        if self.build_fn is None:
            return self.__call__(**self.filter_sk_params(self.__call__))
        if not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            call = self.build_fn.__init__ if isinstance(self.build_fn, type) else self.build_fn.__call__
            return self.build_fn(**self.filter_sk_params(call))
        return self.build_fn(**self.filter_sk_params(self.build_fn))

    def fit(self, x, y, **kwargs):
        """Builds a new model with ``build_fn`` and trains it on ``(x, y)``.

        Integer labels are one-hot encoded when the model's loss is
        ``categorical_crossentropy``. ``kwargs`` override the ``sk_params`` for ``fit``.

        Returns:
            the ``History`` of the training.
        """
        self.model = self._build()
        if _loss_name(self.model) == "categorical_crossentropy" and np.ndim(y) != 2:
            y = to_categorical(y)
        fit_args = self.filter_sk_params(Sequential.fit, kwargs)
        return self.model.fit(x, y, **fit_args)


def _loss_name(model):
    loss = getattr(model, "loss", None)
    return getattr(loss, "__name__", loss)


class KerasClassifier(BaseWrapper):
    """A scikit-learn classifier around a Keras model (Keras 2.2's ``KerasClassifier``).

    Labels may be any sortable values (strings included): ``fit`` keeps them in
    ``classes_`` and trains on their indices; ``predict`` returns labels again. One-hot
    ``y`` (``(n, k)``, k > 1) gives ``classes_ = arange(k)``.
    """

    _estimator_type = "classifier"  # scikit-learn before 1.6 reads this

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags())

    def fit(self, x, y, **kwargs):
        """Trains a new model on ``(x, y)``; see :meth:`BaseWrapper.fit`.

        Raises:
            ValueError: ``y`` is neither 1-D, ``(n, 1)`` nor one-hot ``(n, k)``.
        """
        y = np.array(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"Invalid shape for y: {y.shape}; expected (n,), (n, 1) or one-hot (n, classes).")
        self.n_classes_ = len(self.classes_)
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        """The predicted labels (from ``classes_``); ``kwargs`` go to ``predict_classes``."""
        kwargs = self.filter_sk_params(Sequential.predict_classes, kwargs)
        classes = np.asarray(self.model.predict_classes(x, **kwargs))
        return self.classes_[classes.reshape(len(classes), -1)[:, 0] if classes.ndim > 1 else classes]

    def predict_proba(self, x, **kwargs):
        """Class probabilities ``(n, n_classes)``; a one-unit sigmoid output gives ``[1 - p, p]``."""
        kwargs = self.filter_sk_params(Sequential.predict_proba, kwargs)
        probs = self.model.predict_proba(x, **kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        """The model's accuracy on ``(x, y)`` (it must be compiled with ``metrics=['accuracy']``).

        Raises:
            ValueError: the model computes no accuracy.
        """
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        if _loss_name(self.model) == "categorical_crossentropy" and np.ndim(y) != 2:
            y = to_categorical(y, num_classes=self.n_classes_)
        outputs = self.model.evaluate(x, y, **kwargs)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, output in zip(self.model.metrics_names, outputs):
            if name in ("acc", "accuracy"):
                return float(output)
        raise ValueError("The model is not configured to compute accuracy. Pass metrics=['accuracy'] to "
                         "model.compile() in build_fn.")


class KerasRegressor(BaseWrapper):
    """A scikit-learn regressor around a Keras model (Keras 2.2's ``KerasRegressor``)."""

    _estimator_type = "regressor"

    def __sklearn_tags__(self):
        from sklearn.utils import RegressorTags, Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True),
                    regressor_tags=RegressorTags())

    def predict(self, x, **kwargs):
        """The model's predictions, squeezed (``(n,)`` for one output unit)."""
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        return np.squeeze(self.model.predict(x, **kwargs))

    def score(self, x, y, **kwargs):
        """Minus the model's loss on ``(x, y)`` (scikit-learn maximises scores)."""
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        return -float(loss[0] if isinstance(loss, list) else loss)


__all__ = ["KerasClassifier", "KerasRegressor", "BaseWrapper"]
