"""Whether marshalled code is this interpreter's bytecode: a module with no numkeras imports, so that a
child process can run it as a script (:func:`numkeras.engine.functions._probe_bytecode`).

Run as ``python -I _bytecode_check.py`` with marshalled code on stdin, it exits 0 when the
code decodes as that interpreter's bytecode, and non-zero otherwise (a crash included).
"""

import dis
import marshal
import sys
import types


def decodes_here(code_object):
    """Whether ``code_object`` (and every code object inside it) decodes as this interpreter's bytecode.

    Every opcode known, no inline-cache entry where an instruction should start, and ``RESUME``
    first on the interpreters that have it (3.11 and newer). Code written by another Python
    version fails this: its opcode numbers and cache sizes differ.
    """
    try:
        names = [instruction.opname for instruction in dis.get_instructions(code_object)]
    except Exception:  # an argument or constant index out of range ...
        return False
    if not names or any(name.startswith("<") or name == "CACHE" for name in names):
        return False
    if "RESUME" in dis.opmap and next((n for n in names if n not in ("MAKE_CELL", "COPY_FREE_VARS")), None) != "RESUME":
        return False
    return all(decodes_here(const) for const in code_object.co_consts if isinstance(const, types.CodeType))


if __name__ == "__main__":
    code = marshal.loads(sys.stdin.buffer.read())
    sys.exit(0 if isinstance(code, types.CodeType) and decodes_here(code) else 1)
