"""numkeras.preprocessing — data preparation helpers, as in Keras 2.2.4.

- :mod:`numkeras.preprocessing.sequence`: ``pad_sequences``, ``skipgrams``,
  ``make_sampling_table`` and ``TimeseriesGenerator``.
- :mod:`numkeras.preprocessing.text`: ``Tokenizer``, ``text_to_word_sequence``,
  ``one_hot`` and ``hashing_trick``.
- :mod:`numkeras.preprocessing.image`: ``ImageDataGenerator`` and friends.

The submodules are imported on demand (``from numkeras.preprocessing.text import
Tokenizer``); this package imports none of them itself.
"""
