"""The bytecode check: marshalled code is built in this process only once a child Python has built it and
found it to be its own version's bytecode (another version's can crash the interpreter as it is built)."""

import dis
import marshal
import shutil
import subprocess
import sys
import types

import pytest

from numkeras.engine import _bytecode_check, functions


def _nested(a, b=2):
    scale = 3

    def inner(x, *args, k=1, **kwargs):
        try:
            return [i * scale for i in x if i > a] + [{j: j for j in range(b)}.get(0, k)]
        except (TypeError, ValueError) as error:
            raise RuntimeError(str(error)) from error

    return inner


def _generator(n):
    yield from range(n)


NATIVE = [(lambda x: x * 2.0 + 1.0).__code__, _nested.__code__, _nested(1).__code__,
          (lambda xs: sum(x * 2 for x in xs)).__code__, _generator.__code__]


def _with_first_opcode(code_object, opcode):
    """``code_object`` marshalled, with its first instruction's opcode replaced in the marshalled bytes only
    (never built here: a code object with bytecode that is not this version's may corrupt memory as it is built)."""
    raw = marshal.dumps(code_object)
    at = raw.find(code_object.co_code)
    assert at > 0 and raw.count(code_object.co_code) == 1
    return raw[:at] + bytes([opcode]) + raw[at + 1:]


@pytest.mark.parametrize("code_object", NATIVE, ids=["lambda", "closure-maker", "closure", "generator-expression",
                                                     "generator"])
def test_this_interpreters_code_passes_in_the_child_and_here(code_object):
    assert _bytecode_check.decodes_here(code_object)
    assert _bytecode_check.verdict(marshal.dumps(code_object)) == "ok"
    functions._probe_bytecode(marshal.dumps(code_object))  # no error


def test_the_verdicts_on_what_is_not_code():
    assert _bytecode_check.verdict(b"\xff not marshal data") == "unreadable"
    assert _bytecode_check.verdict(marshal.dumps((1, 2))) == "not-code"
    with pytest.raises(ValueError, match="Malformed Lambda bytecode: it does not hold a code object"):
        functions._probe_bytecode(marshal.dumps((1, 2)))


def test_an_inline_cache_entry_where_an_instruction_starts_is_refused():
    with pytest.raises(ValueError, match="not Python .*'s: the file was written under another Python version"):
        functions._probe_bytecode(_with_first_opcode(NATIVE[0], 0))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="RESUME opens every code object from Python 3.11 on")
def test_code_that_does_not_open_with_resume_is_refused():
    with pytest.raises(ValueError, match="another Python version"):
        functions._probe_bytecode(_with_first_opcode(NATIVE[0], dis.opmap["NOP"]))


def test_bytes_that_are_not_marshalled_code_are_refused():
    with pytest.raises(ValueError, match="another Python version"):
        functions._probe_bytecode(b"\xff not marshal data")


def test_a_child_that_crashes_is_a_refusal_not_a_crash_here(tmp_path, monkeypatch):
    crashing = tmp_path / "crash.py"
    crashing.write_text("import os\nos.abort()\n")
    monkeypatch.setattr(functions, "_bytecode_check",
                        types.SimpleNamespace(__file__=str(crashing), MAGIC=_bytecode_check.MAGIC))
    with pytest.raises(ValueError, match=r"exited with code -?\d+ without this Python's answer.*not loaded unchecked"):
        functions._probe_bytecode(marshal.dumps(NATIVE[0]))


def test_a_program_that_is_not_this_python_gets_no_say(monkeypatch):
    """An executable that exits 0 (``sys.executable`` under some hosts) is not taken for an ``ok``."""
    true = shutil.which("true")
    if true is None:
        pytest.skip("no 'true' program")
    monkeypatch.setattr(sys, "executable", true)
    with pytest.raises(ValueError, match="exited with code 0 without this Python's answer"):
        functions._probe_bytecode(marshal.dumps(NATIVE[0]))


def test_without_a_child_process_the_bytecode_is_refused_with_the_reason(monkeypatch):
    def no_processes(*args, **kwargs):
        raise OSError("fork not permitted")

    monkeypatch.setattr(subprocess, "run", no_processes)
    with pytest.raises(ValueError, match=r"child Python process \(fork not permitted\).*custom_objects"):
        functions._probe_bytecode(marshal.dumps(NATIVE[0]))


@pytest.mark.parametrize("interpreter", [dict(executable=""), dict(frozen=True)], ids=["no-executable", "bundled"])
def test_an_embedded_or_bundled_interpreter_starts_no_child(interpreter, monkeypatch):
    """``sys.executable`` of a bundled application is the application itself: it is never started."""
    for name, value in interpreter.items():
        monkeypatch.setattr(sys, name, value, raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: pytest.fail("a child process was started"))
    with pytest.raises(ValueError, match="no Python executable to start"):
        functions._probe_bytecode(marshal.dumps(NATIVE[0]))
