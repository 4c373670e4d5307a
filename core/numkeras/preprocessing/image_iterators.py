"""The iterators that ``ImageDataGenerator.flow`` and ``flow_from_directory`` return:
:class:`Iterator` (the base), :class:`NumpyArrayIterator` (augmented batches of an
in-memory array) and :class:`DirectoryIterator` (augmented batches of the image files
in one subfolder per class).
"""

import os
import threading
import warnings

import numpy as np

from .. import backend as K
from ..utils.data_utils import Sequence
from ..utils.validation import Rule, boolean, check, instance_of, integer, is_integer, one_of, sequence_of
from .image_conversions import _require_pil, array_to_img, img_to_array, load_img


class Iterator(Sequence):
    """Base class of the image iterators: a :class:`numkeras.utils.Sequence` of
    ``ceil(n / batch_size)`` batches that is also an endless Python iterator.

    Subclasses implement ``_get_batches_of_transformed_samples(index_array)``.
    With ``seed``, batch ``k`` (counting every batch produced so far) seeds NumPy's
    global random state with ``seed + k``, and the shuffling uses it too.
    """

    def __init__(self, n, batch_size, shuffle, seed):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        with self.lock:  # worker threads asking for their first batches must share one order
            if self.index_array is None:
                self._set_index_array()
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        """Reshuffles the sample order (when ``shuffle``)."""
        self._set_index_array()

    def reset(self):
        """Restarts the iteration (``next``) at the beginning of a pass."""
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current_index = (self.batch_index * self.batch_size) % self.n
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current_index:current_index + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def next(self):
        """The next batch (Keras 2 spelling of ``next(iterator)``)."""
        return self.__next__()

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError

    def _augment(self, x):
        """One 3D image with the generator's random transform and standardization applied."""
        generator = self.image_data_generator
        x = generator.apply_transform(x, generator.get_random_transform(x.shape))
        return generator.standardize(x)

    #: Saved file names are ``{prefix}_{index}_{random below this}.{format}`` (Keras's bounds).
    _save_name_bound = 10 ** 4

    def _save_batch(self, batch_x, index_array):
        """Writes the batch's images to ``save_to_dir`` (when set), for looking at the augmentation."""
        if not self.save_to_dir:
            return
        for image, index in zip(batch_x, index_array):
            img = array_to_img(image, self.data_format, scale=True)
            fname = f"{self.save_prefix}_{index}_{np.random.randint(self._save_name_bound)}.{self.save_format}"
            img.save(os.path.join(self.save_to_dir, fname))


class NumpyArrayIterator(Iterator):
    """Iterator over augmented batches of NumPy image data (see :meth:`ImageDataGenerator.flow`)."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None, dtype=None):
        data_format = data_format or K.image_data_format()
        dtype = dtype or K.floatx()
        self.dtype = dtype
        if isinstance(x, (tuple, list)):
            if not isinstance(x[0], np.ndarray):
                raise ValueError("All of the arrays in `x` should be Numpy arrays, but the first is "
                                 f"{type(x[0]).__name__}.")
            x_misc = [np.asarray(xx) for xx in x[1:]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError("All of the arrays in `x` should have the same length. Found a pair with: "
                                     f"len(x[0]) = {len(x)}, len(x[?]) = {len(xx)}")
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ValueError("`x` (images tensor) and `y` (labels) should have the same length. "
                             f"Found: x.shape = {np.asarray(x).shape}, y.shape = {np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError("`x` (images tensor) and `sample_weight` should have the same length. "
                             f"Found: x.shape = {np.asarray(x).shape}, "
                             f"sample_weight.shape = {np.asarray(sample_weight).shape}")
        if y is not None:
            y = np.asarray(y)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)
        if subset is not None:
            if subset not in {"training", "validation"}:
                raise ValueError(f"Invalid subset name: {subset!r}; expected 'training' or 'validation'.")
            split_idx = int(len(x) * image_data_generator._validation_split)
            if y is not None and not np.array_equal(np.unique(y[:split_idx]), np.unique(y[split_idx:])):
                raise ValueError("Training and validation subsets have different number of classes after the "
                                 "split. If your numpy arrays are sorted by the label, you might want to shuffle "
                                 "them.")
            part = slice(None, split_idx) if subset == "validation" else slice(split_idx, None)
            x = x[part]
            x_misc = [xx[part] for xx in x_misc]
            if y is not None:
                y = y[part]
            if sample_weight is not None:
                sample_weight = sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError(f"Input data in `NumpyArrayIterator` should have rank 4. You passed an array with "
                             f"shape {self.x.shape}")
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in {1, 3, 4}:
            warnings.warn(f"NumpyArrayIterator is set to use the data format convention {data_format!r} "
                          f"(channels on axis {channels_axis}), i.e. expected either 1, 3, or 4 channels on axis "
                          f"{channels_axis}. However, it was passed an array with shape {self.x.shape} "
                          f"({self.x.shape[channels_axis]} channels).")
        self.y = y
        self.sample_weight = sample_weight
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._augment(self.x[j].astype(self.dtype))
        self._save_batch(batch_x, index_array)
        batch_x_miscs = [xx[index_array] for xx in self.x_misc]
        output = batch_x if not batch_x_miscs else [batch_x] + batch_x_miscs
        if self.y is None:
            return output
        if self.sample_weight is None:
            return output, self.y[index_array]
        return output, self.y[index_array], self.sample_weight[index_array]


#: The file extensions ``flow_from_directory`` reads (Keras 2.2's white list), matched case-insensitively.
WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
CLASS_MODES = ("categorical", "binary", "sparse", "input")
COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")

_PATH = instance_of((str, os.PathLike), "a path (a str or os.PathLike)")
_OPTIONAL_PATH = instance_of((str, os.PathLike), "a path (a str or os.PathLike)", optional=True)
_TARGET_SIZE = Rule("a (height, width) pair of positive integers",
                    lambda value: isinstance(value, (list, tuple)),
                    lambda value: len(value) == 2 and all(is_integer(v) and v >= 1 for v in value))


def check_directory_arguments(owner, directory, target_size, color_mode, classes, class_mode, batch_size, shuffle,
                              seed, save_to_dir, save_prefix, save_format, follow_links, subset, interpolation):
    """Checks the arguments of ``flow_from_directory`` / :class:`DirectoryIterator` (raises naming ``owner``)."""
    check(owner, directory=(directory, _PATH), target_size=(target_size, _TARGET_SIZE),
          color_mode=(color_mode, one_of(*COLOR_MODES)),
          classes=(classes, sequence_of(instance_of(str, "a string"), "a list of class subfolder names",
                                        optional=True)),
          class_mode=(class_mode, one_of(*CLASS_MODES, optional=True)),
          batch_size=(batch_size, integer(minimum=1)), shuffle=(shuffle, boolean()),
          seed=(seed, integer(minimum=0, optional=True)), save_to_dir=(save_to_dir, _OPTIONAL_PATH),
          save_prefix=(save_prefix, instance_of(str, "a string")),
          save_format=(save_format, instance_of(str, "a string")), follow_links=(follow_links, boolean()),
          subset=(subset, one_of("training", "validation", optional=True)),
          interpolation=(interpolation, one_of(*INTERPOLATIONS)))
    if save_to_dir is not None and not os.path.isdir(save_to_dir):
        raise FileNotFoundError(f"{owner}: save_to_dir {os.fspath(save_to_dir)!r} is not a directory. "
                                "Create it first, or pass save_to_dir=None.")


def _valid_files(class_dir, follow_links):
    """The image files under ``class_dir`` (its subfolders too), as Keras 2.2 orders them:
    folders by path, then the files of each folder by name."""
    for root, _, files in sorted(os.walk(class_dir, followlinks=follow_links), key=lambda entry: entry[0]):
        for fname in sorted(files):
            if fname.lower().endswith(tuple("." + extension for extension in WHITE_LIST_FORMATS)):
                yield os.path.join(root, fname)


def _split_range(count, split):
    """Keras 2.2's slice of one class's ``count`` files for ``split = (start, stop)`` fractions."""
    if split is None:
        return 0, count
    return int(split[0] * count), int(split[1] * count)


class DirectoryIterator(Iterator):
    """Iterator over augmented batches of the images in a directory (see
    :meth:`ImageDataGenerator.flow_from_directory`), as in Keras 2.2.

    Each subfolder of ``directory`` (or each name in ``classes``) is one class; its
    image files, in its own subfolders too, are its samples.

    Attributes:
        class_indices: ``{class name: index}``, the classes in sorted (or given) order.
        classes: int32 array, the class index of every sample.
        filenames: every sample's path relative to ``directory`` (``'cats/001.png'``).
        samples: the number of images (of this ``subset``); ``num_classes``.
        image_shape: the shape of one image in a batch.

    Raises:
        FileNotFoundError: ``directory`` (or a folder named in ``classes``, or
            ``save_to_dir``) does not exist.
        ValueError / TypeError: an argument the method does not take, a directory without
            class subfolders or without images, a ``subset`` that holds no images.
        ImportError: Pillow (the ``image`` extra) is not installed.
    """

    _save_name_bound = 10 ** 7

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", dtype=None, _owner="DirectoryIterator"):
        check_directory_arguments(_owner, directory, target_size, color_mode, classes, class_mode, batch_size,
                                  shuffle, seed, save_to_dir, save_prefix, save_format, follow_links, subset,
                                  interpolation)
        _require_pil()  # now, not in a worker in the middle of fit
        self.directory = os.fspath(directory)
        self.image_data_generator = image_data_generator
        self.target_size = tuple(int(v) for v in target_size)
        self.color_mode = color_mode
        self.data_format = data_format or K.image_data_format()
        channels = (COLOR_MODES[color_mode],)
        self.image_shape = (self.target_size + channels if self.data_format == "channels_last"
                            else channels + self.target_size)
        self.class_mode = class_mode
        self.dtype = dtype or K.floatx()
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        self.subset = subset
        if subset is None:
            self.split = None
        else:
            validation_split = image_data_generator._validation_split
            self.split = (0, validation_split) if subset == "validation" else (validation_split, 1)

        class_names = self._class_names(_owner, classes)
        self.num_classes = len(class_names)
        self.class_indices = {name: index for index, name in enumerate(class_names)}
        self.filenames, labels, found = [], [], 0
        for name in class_names:
            class_dir = os.path.join(self.directory, name)
            files = list(_valid_files(class_dir, follow_links))
            found += len(files)
            start, stop = _split_range(len(files), self.split)
            self.filenames += [os.path.join(name, os.path.relpath(path, class_dir)) for path in files[start:stop]]
            labels += [self.class_indices[name]] * (stop - start)
        self.classes = np.array(labels, dtype="int32")
        self.samples = len(self.filenames)
        if found == 0:
            raise ValueError(f"{_owner}: found no images in the class folders of {self.directory!r} "
                             f"({', '.join(class_names)}). It reads the files ending in "
                             f"{', '.join('.' + e for e in WHITE_LIST_FORMATS)} (any case).")
        if self.samples == 0:
            raise ValueError(f"{_owner}: subset={subset!r} holds no images: the generator's validation_split "
                             f"is {image_data_generator._validation_split}, which leaves no file of any class "
                             f"in it. Pass ImageDataGenerator(validation_split=...) with a fraction that does.")
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _class_names(self, owner, classes):
        if not os.path.exists(self.directory):
            raise FileNotFoundError(f"{owner}: directory {self.directory!r} does not exist. Pass the folder that "
                                    "holds one subfolder of images per class.")
        if not os.path.isdir(self.directory):
            raise NotADirectoryError(f"{owner}: directory {self.directory!r} is a file, not a folder. Pass the "
                                     "folder that holds one subfolder of images per class.")
        if classes:
            missing = [name for name in classes if not os.path.isdir(os.path.join(self.directory, name))]
            if missing:
                raise FileNotFoundError(f"{owner}: classes lists {missing} but {self.directory!r} has no such "
                                        "subfolder. Each class is a subfolder of directory.")
            return list(classes)
        names = [name for name in sorted(os.listdir(self.directory))
                 if os.path.isdir(os.path.join(self.directory, name))]
        if not names:
            raise ValueError(f"{owner}: directory {self.directory!r} has no subfolders. It reads one subfolder "
                             "per class (directory/cats/*.jpg, directory/dogs/*.jpg): put each class's images in "
                             "its own subfolder, or pass classes=[...].")
        return names

    def _load(self, filename):
        img = load_img(os.path.join(self.directory, filename), color_mode=self.color_mode,
                       target_size=self.target_size, interpolation=self.interpolation)
        try:
            return img_to_array(img, data_format=self.data_format, dtype=self.dtype)
        finally:
            img.close()

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._augment(self._load(self.filenames[j]))
        self._save_batch(batch_x, index_array)
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode == "sparse":
            return batch_x, self.classes[index_array]
        if self.class_mode == "binary":
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1
            return batch_x, batch_y
        return batch_x
