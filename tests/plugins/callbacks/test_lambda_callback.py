"""LambdaCallback: each given function is called at its event, with Keras's positional arguments."""

import json

import pytest

from numkeras.callbacks import LambdaCallback


def test_every_function_is_called_at_its_event(model, data):
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch, logs["size"])),
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch, "loss" in logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    model.fit(*data, epochs=2, batch_size=30, verbose=0, callbacks=[callback])
    epoch = [("batch_begin", 0, 30), ("batch_end", 0, True), ("batch_begin", 1, 10), ("batch_end", 1, True)]
    assert calls == (["train_begin", ("epoch_begin", 0)] + epoch + [("epoch_end", 0, ["loss", "mae"]),
                     ("epoch_begin", 1)] + epoch + [("epoch_end", 1, ["loss", "mae"]), "train_end"])


def test_seed_example_json_logging(model, data, tmp_path):
    path = tmp_path / "loss_log.json"
    json_log = open(path, mode="wt", buffering=1)
    callback = LambdaCallback(
        on_epoch_end=lambda epoch, logs: json_log.write(json.dumps({"epoch": epoch, "loss": logs["loss"]}) + "\n"),
        on_train_end=lambda logs: json_log.close())
    model.fit(*data, epochs=3, verbose=0, callbacks=[callback])
    assert json_log.closed
    assert [json.loads(line)["epoch"] for line in path.read_text().splitlines()] == [0, 1, 2]


def test_positional_logs_any_parameter_name_and_other_events(model, data):
    seen = []
    callback = LambdaCallback(on_epoch_end=lambda e, l: seen.append((e, "loss" in l)),
                              on_test_end=lambda l: seen.append(("test_end", "loss" in l)))
    x, y = data
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[callback])
    assert seen == [("test_end", True), (0, True)]


def test_unknown_keyword_is_an_error():
    with pytest.raises(TypeError, match="on_epoch_finish"):
        LambdaCallback(on_epoch_finish=print)
