"""Data utilities, as in Keras 2.2.4's ``keras.utils.data_utils``.

- :class:`Sequence`: a dataset of batches indexed ``0 … len - 1``, the safe way to
  feed ``fit`` from several workers (every batch is produced once per pass).
- :class:`OrderedEnqueuer` / :class:`GeneratorEnqueuer`: background queues over a
  Sequence or a generator (see :mod:`numkeras.utils.enqueuers`).
- :func:`get_file`: downloads a file into a cache folder once, checks its hash and
  optionally extracts it.
"""

import hashlib
import os
import tempfile

from .enqueuers import GeneratorEnqueuer, OrderedEnqueuer, RemoteTraceback, SequenceEnqueuer
from .files import give_ordinary_mode
from .generic_utils import Progbar
from .sequence import Sequence, iter_sequence_infinite


# -- get_file -------------------------------------------------------------------------------------

def keras_home():
    """Keras's own folder: ``$KERAS_HOME``, else ``~/.keras`` (as tf.keras reads it)."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def numkeras_home():
    """numkeras's own cache folder: ``$NUMKERAS_HOME``, else ``~/.numkeras``."""
    return os.environ.get("NUMKERAS_HOME") or os.path.join(os.path.expanduser("~"), ".numkeras")


def cache_home():
    """Where :func:`get_file` caches by default: ``$NUMKERAS_HOME`` when set, else Keras's folder.

    Sharing Keras's folder (``$KERAS_HOME`` or ``~/.keras``) means a file that Keras
    downloaded is found, and one that numkeras downloads is found by Keras.
    """
    return os.environ.get("NUMKERAS_HOME") or keras_home()


def _hash_algorithm(file_hash, hash_algorithm):
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"hash_algorithm must be 'auto', 'sha256' or 'md5'; got {hash_algorithm!r}.")
    if hash_algorithm == "auto":
        return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"
    return hash_algorithm


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file (``'sha256'``, ``'md5'`` or ``'auto'``: sha256)."""
    hasher = hashlib.md5() if algorithm == "md5" else hashlib.sha256()
    with open(fpath, "rb") as stream:
        for chunk in iter(lambda: stream.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's hash (sha256 or md5, from the hash's length with ``'auto'``) is ``file_hash``."""
    algorithm = _hash_algorithm(file_hash, algorithm)
    return hash_file(fpath, algorithm, chunk_size) == str(file_hash).lower()


def _extract_archive(file_path, path=".", archive_format="auto"):
    """Extracts a tar or zip archive into ``path``; True if it was one of the formats asked for."""
    import tarfile
    import zipfile

    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    for kind in archive_format:
        if kind == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                _check_members(file_path, path, archive.getnames())
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(path, filter="data")
                else:  # pragma: no cover - Python without extraction filters
                    archive.extractall(path)
            return True
        if kind == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                _check_members(file_path, path, archive.namelist())
                archive.extractall(path)
            return True
    return False


def _check_members(archive_path, target, names):
    root = os.path.realpath(target)
    for name in names:
        destination = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, destination]) != root:
            raise ValueError(f"Refusing to extract {archive_path!r}: member {name!r} would be written "
                             f"outside {target!r}.")


#: Seconds a download may wait for the server before it fails (never a hang without network).
DOWNLOAD_TIMEOUT = 60


def _open_url(origin, timeout):
    """Opens ``origin`` for reading (the one place that touches the network; tests replace it)."""
    import urllib.request  # imported here: it costs a tenth of a second at start-up

    return urllib.request.urlopen(origin, timeout=timeout)


def _download(origin, fpath, file_hash=None, hash_algorithm="auto", chunk_size=1 << 16):
    """Downloads ``origin`` to a temporary name beside ``fpath``, then renames it into place.

    Only a complete download whose hash matches ``file_hash`` (when given) is renamed:
    an interruption (network error, Ctrl-C, a crash) or a corrupted download leaves at
    most a ``.part`` file, never a file named ``fpath``.

    Raises:
        OSError: the URL could not be fetched.
        ValueError: the downloaded bytes do not have the hash ``file_hash``.
    """
    print("Downloading data from", origin)
    folder = os.path.dirname(fpath) or "."
    handle, partial = tempfile.mkstemp(prefix="." + os.path.basename(fpath) + ".", suffix=".part",
                                       dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with _open_url(origin, DOWNLOAD_TIMEOUT) as response:
                    length = getattr(response, "headers", {}).get("Content-Length")
                    progress = Progbar(int(length) if length and int(length) > 0 else None)
                    received = 0
                    for chunk in iter(lambda: response.read(chunk_size), b""):
                        out.write(chunk)
                        received += len(chunk)
                        progress.update(received)
            except (OSError, ValueError) as error:  # URLError, timeouts, resets; ValueError: a bad URL
                raise OSError(f"URL fetch failure on {origin}: {error}") from error
            out.flush()
            os.fsync(out.fileno())
        if file_hash is not None and not validate_file(partial, file_hash, hash_algorithm):
            raise ValueError(
                f"Incomplete or corrupted file detected: the {_hash_algorithm(file_hash, hash_algorithm)} "
                f"hash of the file downloaded from {origin} (for {fpath!r}) does not match the expected "
                f"value {file_hash}.")
        give_ordinary_mode(partial, fpath)  # mkstemp made it 0600
        os.replace(partial, fpath)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def get_file(fname, origin, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None):
    """Downloads a file from a URL unless it is already in the cache, and returns its path.

    The file goes to ``cache_dir/cache_subdir/fname`` (default
    ``$NUMKERAS_HOME``, else ``$KERAS_HOME``, else ``~/.keras``; then ``/tmp/.keras``
    when that is not writable). An existing file whose hash does not match
    ``file_hash`` is downloaded again; a download whose hash does not match raises.
    The download is written to a temporary ``.part`` name, its hash checked there, and
    renamed only when complete and verified (a corrupted download never sits under
    ``fname``; a stale file it was to replace stays, and is checked again next time), with a
    progress bar; a server that does not answer within ``DOWNLOAD_TIMEOUT`` seconds
    is a failure, not a hang.

    Arguments:
        fname: file name; an absolute path stores the file exactly there.
        origin: the URL (``http(s)://``, ``ftp://`` or ``file://``).
        untar: deprecated: extract ``fname + '.tar.gz'`` and return the extracted folder.
        md5_hash: deprecated: use ``file_hash``.
        file_hash: the expected sha256 or md5 hex digest.
        cache_subdir: folder under the cache dir; an absolute path is used as is.
        hash_algorithm: ``'md5'``, ``'sha256'`` or ``'auto'`` (from the hash's length).
        extract: extract the archive (tar, tar.gz, tar.bz2, zip) next to the file.
        archive_format: ``'auto'``, ``'tar'``, ``'zip'``, a list of those, or None.
        cache_dir: where to cache (default as above).

    Returns:
        The path of the downloaded file (of the extracted folder with ``untar``).

    Raises:
        OSError: the download failed (names the URL).
        ValueError: the downloaded file's hash does not match ``file_hash``.

    Example:
        >>> path = get_file('data.npz', origin='https://example.org/data.npz',
        ...                 file_hash='<sha256 hex digest>')
    """
    if cache_dir is None:
        cache_dir = cache_home()
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    cache_dir = os.path.expanduser(cache_dir)
    datadir = os.path.join(cache_dir, cache_subdir)
    try:
        os.makedirs(datadir, exist_ok=True)
        writable = os.access(datadir, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        datadir = os.path.join(tempfile.gettempdir(), ".keras", cache_subdir)
        os.makedirs(datadir, exist_ok=True)

    if untar:
        untar_fpath = os.path.join(datadir, fname)
        fpath = untar_fpath + ".tar.gz"
    else:
        fpath = os.path.join(datadir, fname)

    download = not os.path.exists(fpath)
    if not download and file_hash is not None and not validate_file(fpath, file_hash, hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because the "
              f"{_hash_algorithm(file_hash, hash_algorithm)} file hash does not match the original "
              f"value of {file_hash} so we will re-download the data.")
        download = True
    if download:
        _download(origin, fpath, file_hash, hash_algorithm)

    if untar:
        if not os.path.exists(untar_fpath):
            _extract_archive(fpath, datadir, archive_format="tar")
        return untar_fpath
    if extract:
        _extract_archive(fpath, datadir, archive_format)
    return fpath


__all__ = ["Sequence", "OrderedEnqueuer", "GeneratorEnqueuer", "SequenceEnqueuer", "RemoteTraceback",
           "get_file", "validate_file", "hash_file", "iter_sequence_infinite", "cache_home", "keras_home",
           "numkeras_home"]
