"""Whether marshalled code looks like this interpreter's bytecode: a module with no numkeras imports, so that
a child process can run it as a script (:func:`numkeras.engine.functions._probe_bytecode`).

Run as ``python -I _bytecode_check.py`` with marshalled code on stdin, it prints this interpreter's
bytecode magic number and a verdict (``ok``, ``foreign``, ``not-code`` or ``unreadable``), so that the
parent can tell a verdict from a child that failed to run, or from another program.

The check is a guess from the opcodes, not a proof: it refuses what visibly is not this version's
(unknown opcodes, an inline-cache entry where an instruction starts, no ``RESUME`` at the start);
versions whose opcodes mostly agree (3.11 and 3.12) can pass each other's code.
"""

import dis
import importlib.util
import marshal
import sys
import types

# What may come before RESUME: cells and free variables, and a generator's, coroutine's or
# generator expression's RETURN_GENERATOR + POP_TOP (Python 3.11 to 3.13).
_PROLOGUE = ("MAKE_CELL", "COPY_FREE_VARS", "RETURN_GENERATOR", "POP_TOP")


def decodes_here(code_object):
    """Whether ``code_object`` (and every code object inside it) decodes as this interpreter's bytecode.

    Every opcode known, no inline-cache entry where an instruction should start, and ``RESUME``
    first after the prologue on the interpreters that have it (3.11 and newer).
    """
    try:
        names = [instruction.opname for instruction in dis.get_instructions(code_object)]
    except Exception:  # an argument or constant index out of range ...
        return False
    if not names or any(name.startswith("<") or name == "CACHE" for name in names):
        return False
    if "RESUME" in dis.opmap and next((n for n in names if n not in _PROLOGUE), None) != "RESUME":
        return False
    return all(decodes_here(const) for const in code_object.co_consts if isinstance(const, types.CodeType))


def verdict(raw):
    """``'ok'``, ``'foreign'``, ``'not-code'`` or ``'unreadable'`` for the marshalled bytes ``raw``."""
    try:
        code = marshal.loads(raw)
    except Exception:  # ValueError, EOFError, TypeError ...
        return "unreadable"
    if not isinstance(code, types.CodeType):
        return "not-code"
    return "ok" if decodes_here(code) else "foreign"


MAGIC = importlib.util.MAGIC_NUMBER.hex()

if __name__ == "__main__":
    print(MAGIC, verdict(sys.stdin.buffer.read()))
