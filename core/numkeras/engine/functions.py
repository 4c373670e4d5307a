"""Saving the Python functions a ``Lambda`` layer wraps, and the rules for loading them back.

A function is written as a dict::

    {'type': 'function', 'name': 'my_fn', 'registry': 'activations' | None,
     'module': 'pkg.mod', 'qualname': 'my_fn',
     'bytecode': [base64 code, defaults, closure] | None, 'python_version': '3.11'}

How a function is found again, in this order:

1. **By name.** A function registered in a numkeras registry is saved with that
   registry's kind and resolved through it; any function's short name is looked
   up in ``custom_objects`` / ``custom_object_scope``. Always allowed.
2. **numkeras's own math.** ``numkeras.backend`` functions, NumPy ufuncs (``np.tanh``)
   and the NumPy functions numkeras implements on Tensors (``np.mean``: the tables of
   ``numkeras.backend.numpy_dispatch``) are imported by their module path. Always
   allowed: they compute on their arguments and nothing else.
3. **By import path** (``module:qualname``), for any other named function. Only with
   ``safe_mode=False``: importing a module path read from a file runs that
   module's top-level code, and the file chooses which callable the model will
   call — an untrusted file would pick the code to execute.
4. **Bytecode**, for lambdas and functions with no importable name (Keras's
   ``func_dump`` format: marshalled code, base64). Only with ``safe_mode=False``,
   for the same reason, and only under the Python version that wrote it
   (building another version's code objects can crash the interpreter). numkeras's
   files record the version; Keras's do not, so their bytecode is first built and
   checked in a child Python (:mod:`numkeras.engine._bytecode_check`, a guess from the
   opcodes that narrows the risk rather than removing it).

Otherwise loading fails with :class:`UnsafeDeserializationError` (or a
``ValueError``) that says which function, why, and the three ways to supply it.
"""

import builtins
import codecs
import contextlib
import contextvars
import importlib
import marshal
import subprocess
import sys
import types

import numpy as np

from . import _bytecode_check

_safe_mode = contextvars.ContextVar("numkeras_safe_mode", default=True)
_live_functions = contextvars.ContextVar("numkeras_live_functions", default=None)

#: Registries searched for a function's registered name, in order.
FUNCTION_KINDS = ("activations", "losses", "metrics", "initializers", "regularizers", "constraints")

#: Modules whose functions are imported by path even in safe mode (pure math on their arguments).
TRUSTED_MODULE_PREFIXES = ("numkeras.backend",)

PYTHON_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


class UnsafeDeserializationError(ValueError):
    """Loading would run code named or stored in the file, and ``safe_mode`` is on."""


# -- the loading mode -------------------------------------------------------------------
@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """Within the block, deserialized functions obey ``safe_mode`` (see the module docstring)."""
    token = _safe_mode.set(bool(safe_mode))
    try:
        yield
    finally:
        _safe_mode.reset(token)


def in_safe_mode():
    """Whether the current deserialization is in safe mode (the default)."""
    return _safe_mode.get()


@contextlib.contextmanager
def live_function_scope():
    """Functions serialized inside the block are kept as objects and come back identical.

    ``clone_model`` uses it: a cloned Lambda wraps the same function object, whatever it is.
    """
    token = _live_functions.set({})
    try:
        yield
    finally:
        _live_functions.reset(token)


# -- saving -------------------------------------------------------------------------------
def serialize_function(function):
    """The dict that :func:`deserialize_function` turns back into ``function``.

    Raises:
        ValueError: a callable with neither a name nor Python bytecode (e.g. a builtin
            method), or a closure over values that cannot be written to JSON.
    """
    if function is None:
        return None
    live = _live_functions.get()
    if live is not None:
        key = str(len(live))
        live[key] = function
        return {"type": "live", "key": key, "name": getattr(function, "__name__", None)}
    config = {"type": "function", "name": getattr(function, "__name__", None), "registry": None,
              "module": None, "qualname": None, "bytecode": None, "python_version": None}
    registered = _registered_name(function)
    if registered is not None:
        config["registry"], config["name"] = registered
        return config
    module, qualname = _importable_name(function)
    config["module"], config["qualname"] = module, qualname
    if qualname is None and isinstance(function, types.FunctionType):
        config["bytecode"] = list(func_dump(function))
        config["python_version"] = PYTHON_VERSION
        config["module"] = getattr(function, "__module__", None)
    elif qualname is None:
        raise ValueError(
            f"Cannot save the function {function!r}: it has no importable name and no Python "
            f"bytecode. Wrap it in a named module-level function, or register it with "
            f"numkeras.activations.register('name', fn)."
        )
    return config


def _registered_name(function):
    from ..registry import registry

    for kind in FUNCTION_KINDS:
        name = registry(kind).name_of(function)
        if name is not None:
            return kind, name
    return None


def _importable_name(function):
    """``(module, qualname)`` when ``import module; module.<qualname>`` gives back ``function``."""
    if isinstance(function, np.ufunc):
        name = function.__name__
        return ("numpy", name) if getattr(np, name, None) is function else (None, None)
    from .. import backend

    public = getattr(function, "__name__", None)
    if public and getattr(backend, public, None) is function:
        return "numkeras.backend", public
    for name, value in vars(backend).items():  # K.square & co. are made by factories, named 'apply'
        if value is function and not name.startswith("_"):
            return "numkeras.backend", name
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname or "<" in qualname or module == "__main__":
        return module, None
    target = sys.modules.get(module)
    for part in qualname.split(".") if target is not None else ():
        target = getattr(target, part, None)
    if target is not function:
        return module, None
    return module, qualname


def func_dump(function):
    """Keras's ``func_dump``: ``(base64 marshalled code, defaults, closure values)``."""
    code = codecs.encode(marshal.dumps(function.__code__), "base64").decode("ascii")
    defaults = function.__defaults__
    closure = tuple(cell.cell_contents for cell in function.__closure__) if function.__closure__ else None
    return code, _jsonable(defaults, function), _jsonable(closure, function)


def _jsonable(values, function):
    if values is None:
        return None
    import json

    converted = []
    for value in values:
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, np.generic):
            value = value.item()
        try:
            json.dumps(value)
        except TypeError:
            raise ValueError(
                f"Cannot save the lambda {function.__qualname__} (in {function.__module__}): it refers to "
                f"{value!r} from its enclosing scope, which cannot be written to a file. Use a named "
                f"function and pass custom_objects when loading, or pass the value through the "
                f"Lambda's `arguments`."
            ) from None
        converted.append(value)
    return converted


# -- loading --------------------------------------------------------------------------------
def from_keras_function(value, function_type, module=None):
    """The dict form of what Keras 2 writes as ``function`` + ``function_type`` (``'lambda'`` / ``'function'``)."""
    config = {"type": "function", "name": None, "registry": None, "module": module, "qualname": None,
              "bytecode": None, "python_version": None}
    if isinstance(value, dict):
        return value
    if function_type == "lambda" or isinstance(value, (list, tuple)):
        config["bytecode"] = list(value) if isinstance(value, (list, tuple)) else [value, None, None]
    else:
        config["name"] = value
    return config


def deserialize_function(config, custom_objects=None, safe_mode=True):
    """The function :func:`serialize_function` wrote (or Keras 2's ``func_dump`` / name).

    Arguments:
        config: the saved dict, a name, or Keras's ``[code, defaults, closure]``.
        custom_objects: ``{name: function}`` tried first, by the function's name.
        safe_mode: ``False`` allows import paths and bytecode (see the module docstring).
            Safe mode also holds when the surrounding ``load_model`` call is in safe mode.

    Raises:
        UnsafeDeserializationError: the function needs ``safe_mode=False`` to be rebuilt.
        ValueError: the function cannot be found or rebuilt.
    """
    from ..registry import custom_object_scope

    safe = bool(safe_mode) and in_safe_mode()
    if config is None or callable(config):
        return config
    with custom_object_scope(custom_objects or {}):
        if isinstance(config, str):
            config = from_keras_function(config, "function")
        elif isinstance(config, (list, tuple)):
            config = from_keras_function(config, "lambda")
        if not isinstance(config, dict):
            raise ValueError(f"Cannot deserialize a function from {config!r}.")
        if config.get("type") == "live":
            live = _live_functions.get() or {}
            if config.get("key") in live:
                return live[config["key"]]
            raise ValueError(
                f"The function {config.get('name')!r} was serialized for cloning only (inside "
                f"clone_model) and cannot be rebuilt here."
            )
        return _resolve(config, safe)


def _resolve(config, safe):
    name, kind = config.get("name"), config.get("registry")
    module, qualname, bytecode = config.get("module"), config.get("qualname"), config.get("bytecode")
    if name:
        found = _by_name(name, kind)
        if found is not None:
            return found
        if kind is not None:
            from ..registry import registry

            registry(kind).resolve(name)  # raises the registry's UnknownComponentError
    if module and qualname:
        if not safe or _trusted(module, qualname):
            return _import(module, qualname)
    if bytecode is not None and not safe:
        return _load_bytecode(bytecode, module, config.get("python_version"))
    described = _describe(config)
    if bytecode is not None or (module and qualname):
        how = ("its Python bytecode" if bytecode is not None else f"importing {module}:{qualname}")
        if name and name != "<lambda>":
            alternative = (f"pass the function as custom_objects={{{name!r}: fn}}, or register it with "
                           f"numkeras.activations.register({name!r}, fn)")
        else:
            alternative = ("build the model in code and load only the weights from the file with "
                           "model.load_weights(path)")
        raise UnsafeDeserializationError(
            f"Refusing to rebuild the Lambda function {described} by {how}: loading is in safe mode, "
            f"and running code named or stored in a file lets that file execute arbitrary code. "
            f"If you trust the file, load it with safe_mode=False. Otherwise {alternative}."
        )
    raise ValueError(
        f"Cannot find the Lambda function {described}: it is not registered and not in custom_objects. "
        f"Pass custom_objects={{{(name or 'name')!r}: fn}} or register it with "
        f"numkeras.activations.register({(name or 'name')!r}, fn)."
    )


def _describe(config):
    name, module = config.get("name"), config.get("module")
    if config.get("qualname"):
        return f"{module}:{config['qualname']}"
    if name and name != "<lambda>":
        return repr(name) + (f" (from {module})" if module else "")
    return "<lambda>" + (f" (defined in {module})" if module else "")


def _by_name(name, kind):
    from ..registry import UnknownComponentError, active_scopes, registry

    for scope in reversed(active_scopes()):
        if name in scope:
            return scope[name]
    if kind is None:
        return None
    try:
        return registry(kind).resolve(name)
    except UnknownComponentError:
        return None


def _trusted(module, qualname):
    if module == "numpy" and _numpy_math(getattr(np, qualname, None)):
        return True
    return any(module == prefix or module.startswith(prefix + ".") for prefix in TRUSTED_MODULE_PREFIXES)


def _numpy_math(function):
    """NumPy ufuncs, and the NumPy functions numkeras implements on Tensors: math on their arguments."""
    from ..backend import numpy_dispatch

    if isinstance(function, np.ufunc):
        return True
    try:
        return function in numpy_dispatch.FUNCTIONS or function in numpy_dispatch.PLAIN_FUNCTIONS
    except TypeError:  # unhashable
        return False


def _import(module, qualname):
    try:
        target = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"Cannot import the Lambda function {module}:{qualname}: {error}.") from error
    return target


def _load_bytecode(bytecode, module, python_version):
    if python_version and python_version != PYTHON_VERSION:
        raise ValueError(
            f"The Lambda function's bytecode was written by Python {python_version}; this is Python "
            f"{PYTHON_VERSION}, and bytecode does not carry over between versions. Recreate the "
            f"Lambda layer, or pass its function as custom_objects."
        )
    if not isinstance(bytecode, (list, tuple)) or len(bytecode) != 3:
        raise ValueError(f"Malformed Lambda bytecode entry: expected [code, defaults, closure], got {bytecode!r}.")
    code, defaults, closure = bytecode
    try:
        raw = codecs.decode(code.encode("ascii"), "base64")
    except Exception as error:  # binascii.Error, AttributeError ...
        raise ValueError(f"Malformed Lambda bytecode: not base64 text ({type(error).__name__}: {error}).") from error
    if not python_version:  # a Keras file: which Python wrote it is not recorded
        _probe_bytecode(raw)
    try:
        code_object = marshal.loads(raw)
    except Exception as error:  # ValueError, EOFError, TypeError ...
        raise ValueError(
            f"Cannot rebuild the Lambda function from its bytecode ({type(error).__name__}: {error}); it was "
            f"probably written by another Python version. Recreate the Lambda layer instead."
        ) from error
    if not isinstance(code_object, types.CodeType):
        raise ValueError(_NOT_CODE)
    globs = _lambda_globals(module)
    cells = tuple(types.CellType(value) for value in closure) if closure else None
    try:
        return types.FunctionType(code_object, globs, code_object.co_name,
                                  tuple(defaults) if defaults else None, cells)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Cannot rebuild the Lambda function from its bytecode: {error}.") from error


_FOREIGN_BYTECODE = (
    f"The Lambda function's bytecode is not Python {PYTHON_VERSION}'s: the file was written under another "
    f"Python version (Keras files do not record which), and bytecode does not carry over between versions. "
    f"Load it under the Python that wrote it, or recreate the Lambda layer, or pass its function as "
    f"custom_objects.")
_NOT_CODE = "Malformed Lambda bytecode: it does not hold a code object."
_NO_CHECK = ("it is not loaded unchecked, since bytecode from another Python version can crash the interpreter. "
             "Recreate the Lambda layer, or pass its function as custom_objects.")


def _probe_bytecode(raw):
    """Checks, in a child process, that the marshalled code ``raw`` looks like this Python version's bytecode.

    Running another version's bytecode crashes the interpreter (a Keras 2 file's Lambda,
    written under Python 3.11, called under Python 3.13), and Python 3.12 and newer prepare
    a code object's bytecode as it is built, by their own opcodes' rules. So the child
    builds it first (:mod:`._bytecode_check`), and answers with its bytecode magic number
    and a verdict: only an answer from a Python of this version, saying ``ok``, lets the
    code be built here. The check is a guess from the opcodes (see that module), so it
    narrows the risk of another version's bytecode rather than removing it.
    """
    try:
        if not sys.executable or getattr(sys, "frozen", False):  # an embedded or bundled interpreter
            raise OSError("this process has no Python executable to start")
        probe = subprocess.run([sys.executable, "-I", _bytecode_check.__file__], input=raw, capture_output=True,
                               timeout=120)
    except (OSError, subprocess.SubprocessError) as error:
        raise ValueError(f"Cannot check the Lambda function's bytecode in a child Python process ({error}); "
                         f"{_NO_CHECK}") from error
    answer = probe.stdout.decode("ascii", "replace").split()
    if probe.returncode != 0 or len(answer) != 2 or answer[0] != _bytecode_check.MAGIC:
        stderr = probe.stderr.decode("utf-8", "replace").strip()[-300:]
        raise ValueError(f"Cannot check the Lambda function's bytecode: the child Python ({sys.executable}) "
                         f"exited with code {probe.returncode} without this Python's answer"
                         f"{': ' + stderr if stderr else ''}; {_NO_CHECK}")
    if answer[1] == "not-code":
        raise ValueError(_NOT_CODE)
    if answer[1] != "ok":
        raise ValueError(_FOREIGN_BYTECODE)


def _lambda_globals(module):
    """What a rebuilt lambda sees as globals: ``K``, ``np``, ``keras``, its module if imported, custom objects."""
    from .. import backend

    # The package the rebuilt code knows as ``keras``: always loaded by now (importing any
    # numkeras module loads it first), so it is looked up rather than imported from below.
    numkeras = sys.modules[__name__.partition(".")[0]]

    from ..registry import active_scopes

    globs = {"__builtins__": builtins, "K": backend, "np": np, "numpy": np, "keras": numkeras,
             "numkeras": numkeras}
    if module and module in sys.modules:
        globs.update(vars(sys.modules[module]))
    for scope in active_scopes():
        globs.update(scope)
    return globs


__all__ = [
    "serialize_function", "deserialize_function", "safe_mode_scope", "in_safe_mode",
    "live_function_scope", "func_dump", "from_keras_function", "UnsafeDeserializationError",
]
