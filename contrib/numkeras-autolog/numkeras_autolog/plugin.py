"""The autolog hook plugin: one JSON line per finished ``fit``, written to ``$NUMKERAS_AUTOLOG_PATH``."""

import datetime
import hashlib
import json
import os
import platform
import threading
import time
import uuid

import numpy as np

import numkeras
from numkeras.hooks import hookimpl

PATH_ENV = "NUMKERAS_AUTOLOG_PATH"
DEFAULT_PATH = "numkeras-runs.jsonl"


def weights_checksum(weights):
    """sha256 over every array's dtype, shape and bytes, in order (the model's ``get_weights()``)."""
    digest = hashlib.sha256()
    for array in weights:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _jsonable(value):
    """``value`` made JSON-serialisable (NumPy scalars to numbers, anything else to its repr)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0:
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class Autolog:
    """Hook implementations that collect one fit's events and append its record at ``on_train_end``."""

    def __init__(self):
        self._runs = {}  # id(model) -> the record being collected
        self._lock = threading.Lock()

    @hookimpl
    def on_train_begin(self, model, logs):
        optimizer = getattr(model, "optimizer", None)
        get_config = getattr(optimizer, "get_config", None)
        self._runs[id(model)] = {
            "run_id": uuid.uuid4().hex,
            "started": _now(),
            "_clock": time.monotonic(),
            "model": getattr(model, "name", None),
            "model_class": type(model).__name__,
            # the parameters fit gave its callbacks; History is always one of them
            "params": _jsonable(getattr(getattr(model, "history", None), "params", {}) or {}),
            "optimizer": {"class_name": type(optimizer).__name__,
                          "config": _jsonable(get_config() if get_config else {})} if optimizer else None,
            "loss": _jsonable(getattr(model, "loss", None)),
            "epochs": [],
        }

    @hookimpl
    def on_epoch_end(self, model, epoch, logs):
        run = self._runs.get(id(model))
        if run is not None:
            run["epochs"].append({"epoch": int(epoch), "logs": _jsonable(dict(logs or {}))})

    @hookimpl
    def on_train_end(self, model, logs):
        run = self._runs.pop(id(model), None)
        if run is None:
            return
        weights = model.get_weights()
        run.update(
            ended=_now(),
            duration_s=round(time.monotonic() - run.pop("_clock"), 6),
            final_logs=_jsonable(dict(logs or {})),
            stopped_early=bool(getattr(model, "stop_training", False)),
            weights_sha256=weights_checksum(weights),
            num_weights=len(weights),
            num_params=int(sum(np.size(w) for w in weights)),
            numkeras_version=getattr(numkeras, "__version__", None),
            python=platform.python_version(),
        )
        line = json.dumps(run, sort_keys=True) + "\n"
        path = os.environ.get(PATH_ENV) or DEFAULT_PATH
        with self._lock, open(path, "a", encoding="utf-8") as stream:
            stream.write(line)


plugin = Autolog()
