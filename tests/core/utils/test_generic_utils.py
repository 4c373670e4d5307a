"""numkeras.utils.Progbar: Keras's bar format, running means, stateful values, TTY vs pipe output."""

import io
import itertools
import re

import numpy as np
import pytest

from numkeras.utils import Progbar, generic_utils


class TTY(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    """Each reading of the clock is one second later than the previous one."""
    ticks = itertools.count(100.0, 1.0)
    monkeypatch.setattr(generic_utils, "_now", lambda: next(ticks))


def test_terminal_bar_redraws_in_place_with_eta_then_finishes_with_a_newline(clock):
    stream = TTY()
    bar = Progbar(target=4, stream=stream)
    for step in range(1, 5):
        bar.update(step, [("loss", float(step))])
    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) == 4
    assert frames[0].startswith("1/4 [======>.......................] - ETA: 3s")
    assert frames[0].rstrip().endswith("- loss: 1.0000")
    assert frames[1].rstrip().endswith("- loss: 1.5000")  # running mean of 1 and 2
    assert re.match(r"^4/4 \[={30}\] - \d+s 1s/step - loss: 2\.5000\n$", frames[3]), frames[3]


def test_pipe_gets_only_the_finished_line(clock):
    stream = io.StringIO()
    bar = Progbar(target=3, stream=stream)
    for step in range(1, 4):
        bar.update(step, [("loss", 1.0)])
    assert stream.getvalue().count("\n") == 1 and "\r" not in stream.getvalue()
    assert stream.getvalue().startswith("3/3 [==============================] - ")


def test_shorter_redraw_is_padded_over_the_previous_one(clock):
    stream = TTY()
    bar = Progbar(target=10, stream=stream)
    bar.update(1, [("loss", 123456.0)])
    bar.update(2, [("loss", -123456.0)])  # running mean 0 -> a shorter text
    first, second = stream.getvalue().split("\r")[1:]
    assert len(second) >= len(first)


@pytest.mark.parametrize("stateful", [["auc"], ("auc",), {"auc"}, np.array(["auc"])], ids=str)
def test_values_are_weighted_by_progress_and_stateful_values_shown_as_is(clock, stateful):
    stream = io.StringIO()
    bar = Progbar(target=10, verbose=2, stateful_metrics=stateful, stream=stream)
    bar.update(8, [("loss", 1.0), ("auc", 0.1)])
    bar.update(10, [("loss", 6.0), ("auc", 0.9)])
    assert stream.getvalue().endswith(" - loss: 2.0000 - auc: 0.9000\n")


def test_verbose_2_writes_one_line_at_the_end_and_verbose_0_nothing(clock):
    stream = io.StringIO()
    bar = Progbar(target=2, verbose=2, stream=stream)
    bar.update(1, [("loss", 0.5)])
    assert stream.getvalue() == ""
    bar.update(2, [("loss", 0.5)])
    assert re.match(r"^ - \d+s - loss: 0\.5000\n$", stream.getvalue())
    silent = io.StringIO()
    Progbar(target=1, verbose=0, stream=silent).update(1, [("loss", 1.0)])
    assert silent.getvalue() == ""


def test_small_values_use_scientific_notation_and_units_are_named(clock):
    stream = io.StringIO()
    bar = Progbar(target=1, stream=stream, unit_name="sample")
    bar.update(1, [("loss", 1e-5)])
    assert "s/sample - loss: 1.0000e-05" in stream.getvalue()


def test_eta_formats_minutes_and_hours():
    assert generic_utils._format_eta(5) == "5s"
    assert generic_utils._format_eta(125) == "2:05"
    assert generic_utils._format_eta(3725) == "1:02:05"


def test_unknown_target_and_add(clock):
    stream = TTY()
    bar = Progbar(target=None, stream=stream)
    bar.add(3)
    bar.add(2)
    assert "      5/Unknown" in stream.getvalue()
