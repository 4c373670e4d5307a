"""Text preprocessing, as in Keras 2.2.4's ``keras.preprocessing.text``.

- :func:`text_to_word_sequence`: a string to a list of lower-cased words.
- :func:`one_hot` / :func:`hashing_trick`: words to indices by hashing.
- :class:`Tokenizer`: a vocabulary fitted on texts; texts to index sequences or
  to bag-of-words matrices (binary, count, freq, tfidf); JSON round trip through
  :meth:`Tokenizer.to_json` and :func:`tokenizer_from_json`.
"""

import json
import warnings
from collections import OrderedDict, defaultdict
from hashlib import md5

import numpy as np

__all__ = ["text_to_word_sequence", "one_hot", "hashing_trick", "Tokenizer", "tokenizer_from_json"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Splits ``text`` into words: optionally lower-cased, every character of
    ``filters`` replaced by ``split``, then split on ``split`` with empty words dropped.

    Example:
        >>> text_to_word_sequence("Hello, World!  Hi")
        ['hello', 'world', 'hi']
    """
    if lower:
        text = text.lower()
    if filters:
        text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def one_hot(text, n, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Words of ``text`` to indices in ``1 … n - 1`` by Python's ``hash``
    (:func:`hashing_trick` with ``hash_function=hash``); different words may collide,
    and ``hash`` of a string differs between processes unless ``PYTHONHASHSEED`` is set.
    """
    return hashing_trick(text, n, hash_function=hash, filters=filters, lower=lower, split=split)


def _md5_hash(word):
    return int(md5(word.encode()).hexdigest(), 16)


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Words of ``text`` to indices ``hash_function(word) % (n - 1) + 1`` (0 is never used).

    ``hash_function`` is ``None`` (Python's ``hash``), ``'md5'`` (stable across
    processes) or any callable from a string to an int.
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    seq = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    return [(hash_function(word) % (n - 1) + 1) for word in seq]


class Tokenizer:
    """A text vocabulary: maps words (or characters) to indices ranked by frequency.

    Arguments:
        num_words: keep only the ``num_words - 1`` most frequent words (indices below
            ``num_words``) when converting; ``None`` keeps all.
        filters: characters removed from texts (see :func:`text_to_word_sequence`).
        lower: lower-case texts.
        split: the word separator.
        char_level: every character is a token.
        oov_token: a token that gets index 1 and stands in for out-of-vocabulary words
            in :meth:`texts_to_sequences` (otherwise those words are dropped).
        document_count: the starting number of documents seen.

    After :meth:`fit_on_texts`: ``word_counts`` (word -> occurrences, in order of first
    appearance), ``word_docs`` (word -> number of documents containing it),
    ``word_index`` (word -> index, 1 = most frequent, ties in order of first
    appearance), ``index_word`` (the inverse) and ``index_docs`` (index -> documents).
    Index 0 is reserved (padding) and never assigned.
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, document_count=0, **kwargs):
        if "nb_words" in kwargs:
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.",
                          DeprecationWarning, stacklevel=2)
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError("Unrecognized keyword arguments: " + str(kwargs))
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = defaultdict(int)
        self.word_index = {}
        self.index_word = {}

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Updates the vocabulary from ``texts``: strings, or lists of tokens
        (taken as already split), or, with ``char_level``, strings of characters."""
        for text in texts:
            self.document_count += 1
            seq = self._tokens(text)
            for word in seq:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(seq):
                self.word_docs[word] += 1

        wcounts = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        sorted_voc = [] if self.oov_token is None else [self.oov_token]
        sorted_voc.extend(word for word, _ in wcounts if word != self.oov_token)
        self.word_index = {word: index for index, word in enumerate(sorted_voc, start=1)}
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Updates the document statistics (for ``tfidf``) from index sequences."""
        self.document_count += len(sequences)
        for seq in sequences:
            for index in set(seq):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (see :meth:`texts_to_sequences_generator`)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Yields each text as a list of indices; unknown words, and words with index
        ``>= num_words``, become the ``oov_token``'s index, or are dropped without one."""
        num_words = self.num_words
        oov_token_index = self.word_index.get(self.oov_token)
        for text in texts:
            vect = []
            for word in self._tokens(text):
                index = self.word_index.get(word)
                if index is not None:
                    if num_words and index >= num_words:
                        if oov_token_index is not None:
                            vect.append(oov_token_index)
                    else:
                        vect.append(index)
                elif self.oov_token is not None:
                    vect.append(oov_token_index)
            yield vect

    def sequences_to_texts(self, sequences):
        """Each index sequence back to a space-joined string (see
        :meth:`sequences_to_texts_generator`)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Yields each index sequence as a string; unknown indices, and indices
        ``>= num_words``, become the ``oov_token``, or are dropped without one."""
        num_words = self.num_words
        oov_token_index = self.word_index.get(self.oov_token)
        for seq in sequences:
            vect = []
            for num in seq:
                word = self.index_word.get(num)
                if word is not None:
                    if num_words and num >= num_words:
                        if oov_token_index is not None:
                            vect.append(self.index_word[oov_token_index])
                    else:
                        vect.append(word)
                elif self.oov_token is not None:
                    vect.append(self.index_word[oov_token_index])
            yield " ".join(vect)

    def texts_to_matrix(self, texts, mode="binary"):
        """``sequences_to_matrix(texts_to_sequences(texts), mode)``."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A ``(len(sequences), num_words)`` float matrix; indices ``>= num_words`` are ignored.

        With ``c`` the count of index ``j`` in a sequence of length ``n``, entry ``j`` is:
        ``'binary'``: 1; ``'count'``: ``c``; ``'freq'``: ``c / n``; ``'tfidf'``:
        ``(1 + log c) * log(1 + document_count / (1 + index_docs[j]))``.
        Without ``num_words`` the width is ``len(word_index) + 1``.
        """
        if not self.num_words:
            if self.word_index:
                num_words = len(self.word_index) + 1
            else:
                raise ValueError("Specify a dimension (`num_words` argument), "
                                 "or fit on some text data first.")
        else:
            num_words = self.num_words
        if mode not in ("binary", "count", "tfidf", "freq"):
            raise ValueError("Unknown vectorization mode: %r; expected one of "
                             "'binary', 'count', 'tfidf', 'freq'." % (mode,))
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")

        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not len(seq):
                continue
            counts = defaultdict(int)
            for j in seq:
                if j >= num_words:
                    continue
                counts[j] += 1
            for j, c in counts.items():
                if mode == "count":
                    x[i][j] = c
                elif mode == "freq":
                    x[i][j] = c / len(seq)
                elif mode == "binary":
                    x[i][j] = 1
                else:
                    tf = 1 + np.log(c)
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i][j] = tf * idf
        return x

    def get_config(self):
        """The tokenizer's settings and fitted state; dictionaries as JSON strings."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """A JSON string ``{"class_name": "Tokenizer", "config": ...}``; ``kwargs`` go to
        ``json.dumps``. Load it back with :func:`tokenizer_from_json`."""
        return json.dumps({"class_name": self.__class__.__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """A :class:`Tokenizer` from :meth:`Tokenizer.to_json`'s string, fitted state included."""
    config = dict(json.loads(json_string).get("config"))
    word_counts = json.loads(config.pop("word_counts"), object_pairs_hook=OrderedDict)
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))

    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = defaultdict(int, word_docs)
    tokenizer.index_docs = defaultdict(int, index_docs)
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer
