"""CSVLogger: one row per epoch, sorted keys, append mode, separators, iterables as Keras writes them."""

import csv

import numpy as np

from numkeras.callbacks import CSVLogger, LambdaCallback


def _rows(path, separator=","):
    with open(path, newline="") as stream:
        return list(csv.reader(stream, delimiter=separator))


def test_writes_a_header_and_one_row_per_epoch(model, data, tmp_path):
    path = tmp_path / "log.csv"
    x, y = data
    history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[CSVLogger(str(path))])
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    assert [float(row[1]) for row in rows[1:]] == history.history["loss"]


def test_append_continues_the_file_without_a_second_header(model, data, tmp_path):
    path = tmp_path / "log.csv"
    model.fit(*data, epochs=2, verbose=0, callbacks=[CSVLogger(str(path))])
    model.fit(*data, epochs=3, initial_epoch=2, verbose=0, callbacks=[CSVLogger(str(path), append=True)])
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "mae"] and [row[0] for row in rows[1:]] == ["0", "1", "2"]
    model.fit(*data, epochs=1, verbose=0, callbacks=[CSVLogger(str(path))])  # no append: overwritten
    assert len(_rows(path)) == 2


def test_append_to_an_empty_file_writes_the_header(model, data, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    model.fit(*data, epochs=1, verbose=0, callbacks=[CSVLogger(str(path), append=True)])
    assert _rows(path)[0] == ["epoch", "loss", "mae"]


def test_separator(model, data, tmp_path):
    path = tmp_path / "log.tsv"
    model.fit(*data, epochs=1, verbose=0, callbacks=[CSVLogger(str(path), separator="\t")])
    assert path.read_text().splitlines()[0] == "epoch\tloss\tmae"


def test_iterables_are_written_as_keras_does(model, data, tmp_path):
    path = tmp_path / "log.csv"
    extra = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(
        vector=np.array([1.5, 2.0]), note="ok", scalar=np.array(3.0)))
    model.fit(*data, epochs=1, verbose=0, callbacks=[extra, CSVLogger(str(path))])
    header, row = _rows(path)
    values = dict(zip(header, row))
    # Keras 2 writes '"[1.5, 2.0]"' and the csv module quotes it again
    assert values["vector"] == '"[1.5, 2.0]"'
    assert 'vector' in path.read_text().splitlines()[0]
    assert '"""[1.5, 2.0]"""' in path.read_text()
    assert values["note"] == "ok" and float(values["scalar"]) == 3.0


def test_epochs_without_validation_get_na(model, data, tmp_path):
    path = tmp_path / "log.csv"
    x, y = data
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), validation_freq=2,
              callbacks=[CSVLogger(str(path))])
    header, first, second = _rows(path)
    assert header == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert first[3:] == ["NA", "NA"] and second[3] != "NA"


def test_file_is_closed_at_train_end(model, data, tmp_path):
    logger = CSVLogger(str(tmp_path / "log.csv"))
    model.fit(*data, epochs=1, verbose=0, callbacks=[logger])
    assert logger.csv_file is None
