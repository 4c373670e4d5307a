"""docs/plugins.md's hook reference is the hookspecs' docstrings, and every hookspec has one."""

import pathlib
import types

import pluggy
import pytest

from numkeras.hooks import reference

DOC = pathlib.Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def test_every_hookspec_is_documented():
    functions = reference.hookspec_functions()
    assert len(functions) >= 20
    assert [f.__name__ for f in functions if not (f.__doc__ or "").strip()] == []


def test_docs_hold_the_generated_reference():
    text = DOC.read_text()
    assert reference.BEGIN in text and reference.END in text
    start = text.index(reference.BEGIN)
    current = text[start:text.index(reference.END) + len(reference.END)] + "\n"
    assert current == reference.markdown(), (
        "docs/plugins.md's hook reference is stale: paste numkeras.hooks.reference.markdown() between its markers")


def test_a_hookspec_without_a_docstring_is_refused():
    hookspec = pluggy.HookspecMarker("numkeras")
    module = types.ModuleType("fake_hookspecs")
    exec("# -- phase ---\n", module.__dict__)

    def on_something(model):
        pass

    on_something.__module__ = module.__name__
    module.on_something = hookspec(on_something)
    with pytest.raises(ValueError, match="hookspecs without a docstring: on_something"):
        reference.markdown(module)
