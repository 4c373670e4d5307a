"""Keras 2.2's index conventions for the word-index datasets (imdb, reuters), in one place.

A review or newswire is a list of word ranks (1 = the most frequent word). Keras 2.2's
loaders then, in this order: shift every rank by ``index_from`` and put ``start_char`` in
front (so 0 stays padding, 1 the start mark, 2 the out-of-vocabulary mark); drop the
sequences whose length (start mark included) is not below ``maxlen``; and replace each
index outside ``[skip_top, num_words)`` by ``oov_char`` (or drop it when ``oov_char`` is
None). ``num_words=None`` keeps every index.
"""

from ._files import object_array


def encode(parts, num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3):
    """Applies the conventions above to ``parts``, a list of ``(sequences, labels)`` pairs.

    Each part is filtered by ``maxlen`` on its own (imdb's training and test sets stay
    apart); ``num_words=None`` takes Keras 2.2's default, the largest index over all parts
    (which, as in Keras 2.2, itself falls outside ``[skip_top, num_words)``).

    Returns:
        a list of ``(list of lists, list of labels)``, one per part.

    Raises:
        ValueError: ``maxlen`` filters out every sequence.
    """
    shifted = []
    for sequences, labels in parts:
        if start_char is not None:
            sequences = [[start_char] + [w + index_from for w in seq] for seq in sequences]
        elif index_from:
            sequences = [[w + index_from for w in seq] for seq in sequences]
        else:
            sequences = [list(seq) for seq in sequences]
        labels = list(labels)
        if maxlen:
            kept = [i for i, seq in enumerate(sequences) if len(seq) < maxlen]
            sequences, labels = [sequences[i] for i in kept], [labels[i] for i in kept]
        shifted.append((sequences, labels))
    if maxlen and not any(sequences for sequences, _ in shifted):
        raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence "
                         "was kept. Increase maxlen.")
    if not num_words:
        num_words = max(max(seq) for sequences, _ in shifted for seq in sequences if seq)
    encoded = []
    for sequences, labels in shifted:
        if oov_char is not None:
            sequences = [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
        else:
            sequences = [[w for w in seq if skip_top <= w < num_words] for seq in sequences]
        encoded.append((sequences, labels))
    return encoded


def as_arrays(sequences, labels, labels_dtype):
    """``(object array of lists, label array)`` as Keras returns them."""
    import numpy as np

    return object_array(sequences), np.asarray(labels, dtype=labels_dtype)
