"""numkeras.utils.data_utils: Sequence, OrderedEnqueuer, GeneratorEnqueuer (threads and processes), get_file."""

import hashlib
import io
import multiprocessing
import os
import tarfile
import threading
import time
import zipfile

import numpy as np
import pytest

from numkeras.utils import data_utils
from numkeras.utils.data_utils import GeneratorEnqueuer, OrderedEnqueuer, RemoteTraceback, Sequence, get_file


class IndexSequence(Sequence):
    """Batch i is (i, pass number, pid); later indices are faster, to tempt reordering."""

    def __init__(self, length=8):
        self.length = length
        self.passes = 0

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        time.sleep(0.002 * (self.length - index))
        return index, self.passes, os.getpid()

    def on_epoch_end(self):
        self.passes += 1


class FailingSequence(IndexSequence):
    def __getitem__(self, index):
        if index == 3:
            raise ZeroDivisionError("batch 3 is broken")
        return index


def _take(iterator, n):
    return [next(iterator) for _ in range(n)]


def _no_children_left():
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not multiprocessing.active_children()


# -- Sequence ------------------------------------------------------------------------------------------
def test_sequence_base_class_is_an_abstract_template():
    with pytest.raises(NotImplementedError):
        len(Sequence())
    assert [b[0] for b in IndexSequence(3)] == [0, 1, 2]
    assert Sequence().on_epoch_end() is None


# -- OrderedEnqueuer ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_ordered_enqueuer_keeps_order_and_calls_on_epoch_end_between_passes(use_multiprocessing):
    sequence = IndexSequence(8)
    enqueuer = OrderedEnqueuer(sequence, use_multiprocessing=use_multiprocessing)
    enqueuer.start(workers=3, max_queue_size=4)
    try:
        batches = _take(enqueuer.get(), 20)
    finally:
        enqueuer.stop()
    assert [b[0] for b in batches] == list(range(8)) * 2 + [0, 1, 2, 3]
    # on_epoch_end ran after each complete pass, and the workers saw the updated sequence
    assert [b[1] for b in batches] == [0] * 8 + [1] * 8 + [2] * 4
    pids = {b[2] for b in batches}
    assert (os.getpid() not in pids) if use_multiprocessing else (pids == {os.getpid()})
    assert not enqueuer.is_running() and _no_children_left()


def test_ordered_enqueuer_shuffles_each_pass_from_the_seeded_generator():
    from numkeras.utils import set_random_seed

    orders = []
    for _ in range(2):
        set_random_seed(7)
        enqueuer = OrderedEnqueuer(IndexSequence(8), shuffle=True)
        enqueuer.start(workers=2)
        orders.append([b[0] for b in _take(enqueuer.get(), 16)])
        enqueuer.stop()
    assert orders[0] == orders[1]
    first, second = orders[0][:8], orders[0][8:]
    assert sorted(first) == sorted(second) == list(range(8)) and first != second != list(range(8))


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_ordered_enqueuer_raises_the_worker_exception_with_its_traceback(use_multiprocessing):
    enqueuer = OrderedEnqueuer(FailingSequence(8), use_multiprocessing=use_multiprocessing)
    enqueuer.start(workers=2)
    batches = enqueuer.get()
    assert _take(batches, 3) == [0, 1, 2]
    with pytest.raises(ZeroDivisionError, match="batch 3 is broken") as raised:
        next(batches)
    if use_multiprocessing:
        assert "__getitem__" in str(raised.value.__cause__) and "batch 3 is broken" in str(raised.value.__cause__)
    else:
        assert any(entry.name == "__getitem__" for entry in raised.traceback)
    assert not enqueuer.is_running() and _no_children_left()


def test_ordered_enqueuer_checks_its_arguments():
    with pytest.raises(RuntimeError, match="before start"):
        OrderedEnqueuer(IndexSequence()).get()
    with pytest.raises(ValueError, match="workers >= 1"):
        OrderedEnqueuer(IndexSequence()).start(workers=0)


# -- GeneratorEnqueuer --------------------------------------------------------------------------------------
def _counting(n):
    for i in range(n):
        yield i


def _failing():
    yield 0
    yield 1
    raise KeyError("generator broke")


def test_generator_enqueuer_threads_share_the_generator():
    enqueuer = GeneratorEnqueuer(_counting(50))
    enqueuer.start(workers=3, max_queue_size=5)
    items = list(enqueuer.get())
    enqueuer.stop()
    assert sorted(items) == list(range(50))  # each item once, whichever thread fetched it


def test_generator_enqueuer_processes_each_run_a_copy():
    enqueuer = GeneratorEnqueuer(_counting(5), use_multiprocessing=True, seed=1)
    enqueuer.start(workers=2)
    items = list(enqueuer.get())
    enqueuer.stop()
    assert sorted(items) == sorted(list(range(5)) * 2)
    assert _no_children_left()


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_generator_enqueuer_raises_the_generator_exception(use_multiprocessing):
    enqueuer = GeneratorEnqueuer(_failing(), use_multiprocessing=use_multiprocessing)
    enqueuer.start(workers=1)
    batches = enqueuer.get()
    assert _take(batches, 2) == [0, 1]
    with pytest.raises(KeyError, match="generator broke") as raised:
        next(batches)
    if use_multiprocessing:
        assert isinstance(raised.value.__cause__, RemoteTraceback)
        assert "_failing" in raised.value.__cause__.text
    else:
        assert any(entry.name == "_failing" for entry in raised.traceback)
    assert not enqueuer.is_running() and _no_children_left()


def test_generator_enqueuer_stop_unblocks_workers_on_a_full_queue():
    def endless():
        while True:
            yield np.zeros(100_000)  # large items: the pipe fills up

    for use_multiprocessing in (False, True):
        enqueuer = GeneratorEnqueuer(endless(), use_multiprocessing=use_multiprocessing)
        enqueuer.start(workers=2, max_queue_size=2)
        _take(enqueuer.get(), 3)
        started = time.monotonic()
        enqueuer.stop()
        assert time.monotonic() - started < 5
        assert _no_children_left()
        assert not [t for t in threading.enumerate() if t.name.startswith("numkeras-generator")]


# -- get_file -----------------------------------------------------------------------------------------
@pytest.fixture
def origin(tmp_path):
    """A file to 'download' through a file:// URL."""
    source = tmp_path / "server" / "data.bin"
    source.parent.mkdir()
    source.write_bytes(b"numkeras test data" * 100)
    return source


def _url(path):
    return path.as_uri()


def test_downloads_into_the_cache_once(origin, tmp_path, capsys):
    cache = tmp_path / "cache"
    path = get_file("data.bin", _url(origin), cache_dir=str(cache))
    assert path == str(cache / "datasets" / "data.bin")
    assert open(path, "rb").read() == origin.read_bytes()
    assert "Downloading data from file://" in capsys.readouterr().out
    origin.write_bytes(b"changed on the server")
    assert get_file("data.bin", _url(origin), cache_dir=str(cache)) == path
    assert open(path, "rb").read() != b"changed on the server"  # cached, not fetched again
    assert "Downloading" not in capsys.readouterr().out
    assert os.listdir(cache / "datasets") == ["data.bin"]  # no partial download left


def test_default_cache_is_numkeras_home_and_subdir(origin, tmp_path, monkeypatch):
    monkeypatch.setenv("NUMKERAS_HOME", str(tmp_path / "home"))
    path = get_file("d.bin", _url(origin), cache_subdir="models")
    assert path == str(tmp_path / "home" / "models" / "d.bin")


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_hash_is_checked_and_a_stale_file_is_downloaded_again(origin, tmp_path, algorithm):
    digest = hashlib.new(algorithm, origin.read_bytes()).hexdigest()
    cache = str(tmp_path / "cache")
    path = get_file("data.bin", _url(origin), file_hash=digest, cache_dir=cache)
    assert data_utils.validate_file(path, digest)
    with open(path, "wb") as stream:
        stream.write(b"corrupted")
    assert get_file("data.bin", _url(origin), file_hash=digest, cache_dir=cache) == path
    assert open(path, "rb").read() == origin.read_bytes()
    assert get_file("legacy.bin", _url(origin), md5_hash=hashlib.md5(origin.read_bytes()).hexdigest(),
                    cache_dir=cache)


def test_a_download_with_the_wrong_hash_raises_and_is_removed(origin, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="corrupted.*does not match"):
        get_file("data.bin", _url(origin), file_hash="0" * 64, cache_dir=str(cache))
    assert os.listdir(cache / "datasets") == []


def _recording_renames(monkeypatch):
    """Records every ``os.replace`` destination get_file's download makes."""
    destinations = []
    real_replace = os.replace

    def replace(source, destination):
        destinations.append(os.fspath(destination))
        return real_replace(source, destination)

    monkeypatch.setattr(data_utils.os, "replace", replace)
    return destinations


def test_the_hash_is_checked_on_the_part_file_before_the_rename(origin, tmp_path, monkeypatch):
    renamed_to = _recording_renames(monkeypatch)
    final = tmp_path / "cache" / "datasets" / "data.bin"
    checked = []
    real_validate = data_utils.validate_file

    def validate(path, file_hash, algorithm="auto", chunk_size=65535):
        checked.append((os.path.basename(path), final.exists()))
        return real_validate(path, file_hash, algorithm, chunk_size)

    monkeypatch.setattr(data_utils, "validate_file", validate)
    digest = hashlib.sha256(origin.read_bytes()).hexdigest()
    assert get_file("data.bin", _url(origin), file_hash=digest, cache_dir=str(tmp_path / "cache")) == str(final)
    assert len(checked) == 1
    checked_name, final_existed = checked[0]
    assert checked_name.startswith(".data.bin.") and checked_name.endswith(".part")
    assert not final_existed  # verified before anything had the final name
    assert renamed_to == [str(final)]


def test_a_download_with_the_wrong_hash_is_never_renamed_into_place(origin, tmp_path, monkeypatch):
    renamed_to = _recording_renames(monkeypatch)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="corrupted.*does not match"):
        get_file("data.bin", _url(origin), file_hash="0" * 32, cache_dir=str(cache))
    assert renamed_to == []
    assert os.listdir(cache / "datasets") == []  # and the .part file is gone
    # A stale file that the bad download was to replace keeps its bytes (it is checked again next time).
    stale = cache / "datasets" / "data.bin"
    stale.write_bytes(b"stale")
    with pytest.raises(ValueError, match="corrupted"):
        get_file("data.bin", _url(origin), file_hash="0" * 64, cache_dir=str(cache))
    assert renamed_to == [] and stale.read_bytes() == b"stale"
    assert os.listdir(cache / "datasets") == ["data.bin"]


def test_a_failed_download_names_the_url(tmp_path):
    missing = (tmp_path / "nowhere.bin").as_uri()
    with pytest.raises(OSError, match="URL fetch failure on " + missing):
        get_file("x.bin", missing, cache_dir=str(tmp_path / "cache"))
    assert os.listdir(tmp_path / "cache" / "datasets") == []


def _tar(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))


def test_extract_tar_and_zip_and_untar(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    _tar(served / "pack.tar.gz", {"pack/a.txt": b"A"})
    with zipfile.ZipFile(served / "pack.zip", "w") as archive:
        archive.writestr("zipped/b.txt", "B")
    cache = str(tmp_path / "cache")
    get_file("pack.tar.gz", _url(served / "pack.tar.gz"), extract=True, cache_dir=cache)
    get_file("pack.zip", _url(served / "pack.zip"), extract=True, cache_dir=cache)
    datasets = tmp_path / "cache" / "datasets"
    assert (datasets / "pack" / "a.txt").read_text() == "A"
    assert (datasets / "zipped" / "b.txt").read_text() == "B"
    folder = get_file("pack", _url(served / "pack.tar.gz"), untar=True, cache_dir=str(tmp_path / "other"))
    assert folder.endswith("pack") and os.path.exists(os.path.join(folder, "a.txt"))


def test_archive_members_outside_the_target_are_refused(tmp_path):
    served = tmp_path / "evil.tar.gz"
    _tar(served, {"../escaped.txt": b"x"})
    with pytest.raises(ValueError, match="outside"):
        get_file("evil.tar.gz", _url(served), extract=True, cache_dir=str(tmp_path / "cache"))
    assert not (tmp_path / "cache" / "escaped.txt").exists()
