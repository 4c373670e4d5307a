"""Finding, checking and safely reading the files Keras's dataset loaders use.

Every loader names its files with a :class:`DatasetFile` (the name Keras caches it
under, the URL Keras downloads it from and the hash Keras's loader checks).
:func:`locate` finds a file whose hash matches in the folders below, in order, or
downloads it through :func:`numkeras.utils.get_file`:

1. ``$NUMKERAS_DATASETS``;
2. Keras's cache: ``$KERAS_HOME/datasets``, else ``~/.keras/datasets``;
3. numkeras's cache: ``$NUMKERAS_HOME/datasets``, else ``~/.numkeras/datasets``;
4. ``../shared/datasets`` beside the numkeras source checkout.

A file is read only after its hash matches. Pickled content (the CIFAR batches, the
object arrays of ``imdb.npz`` / ``reuters.npz``) goes through :class:`SafeUnpickler`,
which builds NumPy arrays, lists, dicts, strings and numbers and nothing else, so a
planted file cannot run code.
"""

import dataclasses
import io
import os
import pathlib
import pickle
import zipfile

import numpy as np

from ..utils import data_utils

DATASETS_ENV = "NUMKERAS_DATASETS"
#: Set to 1 to make the loaders fail instead of downloading (the test suite sets it).
NO_DOWNLOAD_ENV = "NUMKERAS_NO_DOWNLOAD"


class DatasetError(ValueError):
    """A dataset file exists but is not what it should be (bad hash, header, layout or content)."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is in none of the searched folders and could not be downloaded."""


@dataclasses.dataclass(frozen=True)
class DatasetFile:
    """One file a loader needs.

    Attributes:
        fname: the name Keras's ``get_file`` caches it under.
        origin: the URL Keras downloads it from.
        file_hash: the md5 or sha256 hex digest Keras's loader checks (see each loader).
        subdir: the folder below ``datasets/`` it lives in (``'fashion-mnist'``), or ``''``.
        aliases: other names the same bytes are known by (the name at ``origin``).
    """

    fname: str
    origin: str
    file_hash: str
    subdir: str = ""
    aliases: tuple = ()

    @property
    def algorithm(self):
        return "sha256" if len(self.file_hash) == 64 else "md5"

    @property
    def cache_subdir(self):
        return os.path.join("datasets", self.subdir) if self.subdir else "datasets"


def checkout_datasets():
    """``../shared/datasets`` beside the source checkout this package was imported from."""
    return pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "datasets"


def search_directories(subdir=""):
    """The folders searched for a dataset file, in order (existing or not)."""
    folders = []
    if os.environ.get(DATASETS_ENV):
        folders.append(pathlib.Path(os.environ[DATASETS_ENV]).expanduser())
    folders.append(keras_cache())
    folders.append(pathlib.Path(data_utils.numkeras_home()).expanduser() / "datasets")
    folders.append(checkout_datasets())
    return [folder / subdir if subdir else folder for folder in folders]


def verify(path, spec):
    """Raises :class:`DatasetError` unless ``path``'s hash is ``spec.file_hash``."""
    actual = data_utils.hash_file(str(path), spec.algorithm)
    if actual != spec.file_hash:
        raise DatasetError(
            f"{path} is not Keras's {spec.fname}: its {spec.algorithm} is {actual}, expected "
            f"{spec.file_hash}. It is corrupt, truncated or another file: delete it and download "
            f"{spec.origin} again.")
    return pathlib.Path(path)


def locate(spec, path=None, download=True):
    """The path of ``spec``'s file, hash-checked: found, or downloaded into the cache.

    Arguments:
        spec: the :class:`DatasetFile`.
        path: the loader's ``path`` argument: a file name looked for in the search folders
            (Keras's default is ``spec.fname``), or a path to the file itself.
        download: whether to download when no matching file is found (never when
            ``$NUMKERAS_NO_DOWNLOAD`` is set).

    Raises:
        DatasetError: the file was given explicitly (or downloaded) and its hash is wrong.
        DatasetNotFoundError: no matching file, and no download (the message names the file,
            the folders searched, where to put it and its URL).
    """
    name = spec.fname if path is None else os.fspath(path)
    explicit = pathlib.Path(name).expanduser()
    if os.path.isabs(name) or os.sep in name:
        if not explicit.is_file():
            raise DatasetNotFoundError(f"{explicit} does not exist. {_how_to_get(spec)}")
        return verify(explicit, spec)
    names = [name] + ([alias for alias in spec.aliases if alias != name] if name == spec.fname else [])
    folders = search_directories(spec.subdir)
    rejected = []
    for folder in folders:
        for candidate in (folder / n for n in names):
            if candidate.is_file():
                try:
                    return verify(candidate, spec)
                except DatasetError as error:
                    rejected.append(str(error))
    problem = "\n".join(rejected)
    if download and not os.environ.get(NO_DOWNLOAD_ENV):
        try:
            fetched = data_utils.get_file(name, spec.origin, file_hash=spec.file_hash,
                                          cache_subdir=spec.cache_subdir, cache_dir=data_utils.keras_home())
        except (OSError, ValueError) as error:
            problem = "\n".join(rejected + [f"Downloading it failed: {error}"])
        else:
            return pathlib.Path(fetched)
    elif download:
        problem = "\n".join(rejected + [f"Not downloaded: ${NO_DOWNLOAD_ENV} is set."])
    searched = ", ".join(str(folder) for folder in folders)
    raise DatasetNotFoundError(
        f"Dataset file {name!r} was not found (searched {searched}).\n"
        + (problem + "\n" if problem else "") + _how_to_get(spec))


def keras_cache(subdir=""):
    """Keras's dataset cache: where Keras and numkeras download to, and where to put a file."""
    folder = pathlib.Path(data_utils.keras_home()).expanduser() / "datasets"
    return folder / subdir if subdir else folder


def _how_to_get(spec):
    folder = keras_cache(spec.subdir)
    return (f"Download {spec.origin} and save it as {folder / spec.fname} (Keras's cache, shared with "
            f"Keras), or in ${DATASETS_ENV}; its {spec.algorithm} must be {spec.file_hash}.")


# -- safe unpickling --------------------------------------------------------------------------

def _reconstruct():
    return np.ndarray.__reduce__(np.zeros(1))[0]  # numpy's own, whatever module it lives in now


def _scalar():
    return np.float64(0).__reduce__()[0]


def _frombuffer():
    return np.zeros(1).__reduce_ex__(5)[0]  # how protocol 5 rebuilds an array from its buffer


def _latin1_encode(text, encoding="latin1", errors="strict"):
    """``_codecs.encode`` as Python 3 pickles bytes for protocol 2, and nothing else."""
    if encoding.replace("-", "").lower() != "latin1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1", errors)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("_codecs", "encode"): lambda: _latin1_encode,
}


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only NumPy arrays and plain Python data.

    The CIFAR batches and NumPy's object arrays are pickles; Keras reads them with
    ``pickle.load``, so a planted file would run any code it names. This one resolves
    only NumPy's array reconstruction (``_reconstruct``, ``scalar``, protocol 5's
    ``_frombuffer``), ``numpy.ndarray``, ``numpy.dtype`` and latin-1 ``_codecs.encode``
    (how Python 3 writes bytes at protocol 2); any other global is an error.
    """

    def find_class(self, module, name):
        factory = _ALLOWED.get((module, name))
        if factory is None:
            raise pickle.UnpicklingError(
                f"the pickle asks for {module}.{name}, which a dataset file never holds; refusing to load it")
        return factory()


def safe_unpickle(stream, source, encoding="latin1"):
    """Unpickles ``stream`` with :class:`SafeUnpickler`; errors name ``source``."""
    try:
        return SafeUnpickler(stream, encoding=encoding).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise DatasetError(f"{source} is not a dataset pickle numkeras can read safely: {error}") from error


def read_npz(path, keys):
    """The arrays ``keys`` of a ``.npz`` file; object arrays are unpickled safely."""
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for key in keys:
                member = key + ".npy"
                if member not in archive.namelist():
                    raise DatasetError(f"{path} has no array {key!r}; it holds {_npz_keys(archive)}.")
                with archive.open(member) as stream:
                    arrays[key] = _read_npy(stream, f"{path}[{key}]")
    except (zipfile.BadZipFile, OSError) as error:
        raise DatasetError(f"{path} is not a readable .npz file: {error}") from error
    return arrays


def read_shuffled_xy(spec, path, test_split, seed):
    """The ``x`` and ``y`` of a Keras ``.npz`` in Keras 2.2's shuffled order (``RandomState(seed)``).

    Checks ``test_split`` first (the loaders that split a single file take it), and never
    touches NumPy's global random state.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1); got {test_split!r}.")
    arrays = read_npz(locate(spec, path), ("x", "y"))
    indices = np.arange(len(arrays["x"]))
    np.random.RandomState(seed).shuffle(indices)
    return arrays["x"][indices], arrays["y"][indices]


def train_rows(rows, test_split):
    """How many of ``rows`` go to the training set: Keras 2.2's ``int(rows * (1 - test_split))``."""
    return int(rows * (1 - test_split))


def _npz_keys(archive):
    return sorted(name[:-4] for name in archive.namelist() if name.endswith(".npy"))


def _read_npy(stream, source):
    data = io.BytesIO(stream.read())
    version = np.lib.format.read_magic(data)
    header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = header(data)
    if not dtype.hasobject:
        data.seek(0)
        return np.lib.format.read_array(data, allow_pickle=False)
    array = safe_unpickle(data, source)
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise DatasetError(f"{source} does not hold the array of shape {shape} its header announces.")
    return array


def object_array(sequences):
    """A 1-D object array of lists (what Keras's text loaders return), whatever the lengths."""
    array = np.empty(len(sequences), dtype=object)
    for index, sequence in enumerate(sequences):
        array[index] = sequence
    return array
