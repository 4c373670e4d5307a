"""numkeras.preprocessing.text against hand-computed Keras 2.2.4 results."""

import hashlib
import json
import math

import numpy as np
import pytest

from numkeras.preprocessing.text import (Tokenizer, hashing_trick, one_hot, text_to_word_sequence,
                                         tokenizer_from_json)

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat cat dog"]
# counts: the 3, cat 3, sat 1, on 1, mat 1, dog 2, ate 1, my 1, homework 1
# ranked by count, ties in order of first appearance:
INDEX = {"the": 1, "cat": 2, "dog": 3, "sat": 4, "on": 5, "mat": 6, "ate": 7, "my": 8, "homework": 9}


def fitted(**kwargs):
    tokenizer = Tokenizer(**kwargs)
    tokenizer.fit_on_texts(TEXTS)
    return tokenizer


# ------------------------------------------------------------ functions

def test_text_to_word_sequence():
    assert text_to_word_sequence("Hello, World!  Hi\tthere\n") == ["hello", "world", "hi", "there"]
    assert text_to_word_sequence("Hello World", lower=False) == ["Hello", "World"]
    assert text_to_word_sequence("a,b;c", filters=";", split=",") == ["a", "b", "c"]
    assert text_to_word_sequence("don't stop", filters="'") == ["don", "t", "stop"]
    assert text_to_word_sequence("") == []


def test_hashing_trick_md5_and_callable():
    n = 10
    expected = [int(hashlib.md5(w.encode()).hexdigest(), 16) % (n - 1) + 1 for w in ["hello", "world", "hello"]]
    assert hashing_trick("Hello world, hello!", n, hash_function="md5") == expected
    assert hashing_trick("a bb ccc", 5, hash_function=len) == [2, 3, 4]
    assert hashing_trick("A b", 7, hash_function=lambda w: ord(w[0])) == [97 % 6 + 1, 98 % 6 + 1]


def test_one_hot_range_and_consistency():
    result = one_hot("The cat and the hat and THE bat", 5)
    assert len(result) == 8
    assert all(1 <= i <= 4 for i in result)
    assert result[0] == result[3] == result[6]
    assert result[2] == result[5]
    assert hashing_trick("x y x", 50) == [hash("x") % 49 + 1, hash("y") % 49 + 1, hash("x") % 49 + 1]


# ------------------------------------------------------------ Tokenizer fitting

def test_fit_on_texts_vocabulary():
    tok = fitted()
    assert tok.document_count == 3
    assert list(tok.word_counts.items()) == [("the", 3), ("cat", 3), ("sat", 1), ("on", 1), ("mat", 1),
                                             ("dog", 2), ("ate", 1), ("my", 1), ("homework", 1)]
    assert dict(tok.word_docs) == {"the": 2, "cat": 2, "sat": 1, "on": 1, "mat": 1, "dog": 2, "ate": 1,
                                   "my": 1, "homework": 1}
    assert tok.word_index == INDEX
    assert tok.index_word == {i: w for w, i in INDEX.items()}
    assert dict(tok.index_docs) == {1: 2, 2: 2, 3: 2, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}


def test_fit_again_accumulates():
    tok = fitted()
    tok.fit_on_texts(["dog dog dog zebra"])
    assert tok.document_count == 4
    assert tok.word_counts["dog"] == 5
    assert tok.word_docs["dog"] == 3
    assert tok.word_index["dog"] == 1 and tok.word_index["zebra"] == 10


def test_oov_token_gets_index_one():
    tok = fitted(oov_token="<OOV>")
    assert tok.word_index["<OOV>"] == 1
    assert tok.word_index == {"<OOV>": 1, **{w: i + 1 for w, i in INDEX.items()}}
    assert tok.texts_to_sequences(["the cat ate a fish"]) == [[2, 3, 8, 1, 1]]


def test_char_level_and_token_lists():
    tok = Tokenizer(char_level=True)
    tok.fit_on_texts(["abca", "B!"])
    # a 2, b 2 (lower-cased), c 1, ! 1 (filters are not applied at char level)
    assert tok.word_index == {"a": 1, "b": 2, "c": 3, "!": 4}
    assert tok.texts_to_sequences(["cab?"]) == [[3, 1, 2]]

    tok = Tokenizer()
    tok.fit_on_texts([["Hello", "new york"], ["new york"]])
    assert tok.word_index == {"new york": 1, "hello": 2}
    assert tok.texts_to_sequences([["new york", "hello", "paris"]]) == [[1, 2]]


def test_nb_words_legacy_and_unknown_kwargs():
    with pytest.warns(DeprecationWarning, match="num_words"):
        tok = Tokenizer(nb_words=7)
    assert tok.num_words == 7
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        Tokenizer(foo=1)


# ------------------------------------------------------------ conversions

def test_texts_to_sequences():
    tok = fitted()
    assert tok.texts_to_sequences(["The cat ate a fish.", "", "homework my dog"]) == [[1, 2, 7], [], [9, 8, 3]]
    assert list(tok.texts_to_sequences_generator(["mat on the"])) == [[6, 5, 1]]


def test_num_words_limits_indices():
    tok = fitted(num_words=3)
    assert tok.word_index == INDEX  # the vocabulary itself is kept whole
    assert tok.texts_to_sequences(["the dog cat sat"]) == [[1, 2]]
    tok = fitted(num_words=3, oov_token="<OOV>")  # <OOV> 1, the 2, cat 3, dog 4
    assert tok.texts_to_sequences(["the dog cat zebra"]) == [[2, 1, 1, 1]]


def test_sequences_to_texts():
    tok = fitted()
    assert tok.sequences_to_texts([[1, 2, 7, 42], []]) == ["the cat ate", ""]
    tok = fitted(num_words=3, oov_token="<OOV>")
    assert tok.sequences_to_texts([[2, 4, 42, 1]]) == ["the <OOV> <OOV> <OOV>"]
    assert list(tok.sequences_to_texts_generator([[2]])) == ["the"]


def test_texts_to_matrix_binary_count_freq():
    tok = fitted()
    texts = ["the cat the", "dog zebra", ""]  # sequences [1, 2, 1], [3], []
    binary = np.zeros((3, 10))
    binary[0, [1, 2]] = 1
    binary[1, 3] = 1
    np.testing.assert_array_equal(tok.texts_to_matrix(texts), binary)
    np.testing.assert_array_equal(tok.texts_to_matrix(texts, mode="binary"), binary)

    count = np.zeros((3, 10))
    count[0, 1], count[0, 2], count[1, 3] = 2, 1, 1
    np.testing.assert_array_equal(tok.texts_to_matrix(texts, mode="count"), count)

    freq = np.zeros((3, 10))
    freq[0, 1], freq[0, 2], freq[1, 3] = 2 / 3, 1 / 3, 1.0
    np.testing.assert_allclose(tok.texts_to_matrix(texts, mode="freq"), freq)


def test_texts_to_matrix_tfidf():
    tok = fitted()
    x = tok.texts_to_matrix(["the cat the", "mat mat mat dog"], mode="tfidf")
    # document_count 3; documents containing: the 2, cat 2, dog 2, mat 1
    expected = np.zeros((2, 10))
    expected[0, 1] = (1 + math.log(2)) * math.log(1 + 3 / 3)
    expected[0, 2] = 1 * math.log(1 + 3 / 3)
    expected[1, 6] = (1 + math.log(3)) * math.log(1 + 3 / 2)
    expected[1, 3] = 1 * math.log(1 + 3 / 3)
    np.testing.assert_allclose(x, expected)


def test_sequences_to_matrix_with_num_words_ignores_large_indices():
    tok = Tokenizer(num_words=4)
    x = tok.sequences_to_matrix([[1, 3, 3, 7]], mode="count")
    np.testing.assert_array_equal(x, [[0, 1, 0, 2]])
    # freq still divides by the full sequence length
    np.testing.assert_allclose(tok.sequences_to_matrix([[1, 3, 3, 7]], mode="freq"), [[0, 0.25, 0, 0.5]])


def test_fit_on_sequences_tfidf():
    tok = Tokenizer(num_words=4)
    tok.fit_on_sequences([[1, 2, 2], [1]])
    assert tok.document_count == 2
    assert dict(tok.index_docs) == {1: 2, 2: 1}
    x = tok.sequences_to_matrix([[2, 2, 3]], mode="tfidf")
    expected = [0.0, 0.0, (1 + math.log(2)) * math.log(1 + 2 / 2), 1 * math.log(1 + 2 / 1)]
    np.testing.assert_allclose(x, [expected])


def test_matrix_errors():
    with pytest.raises(ValueError, match="Specify a dimension"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="Fit the Tokenizer on some data before using tfidf mode"):
        Tokenizer(num_words=5).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match="Unknown vectorization mode"):
        fitted().texts_to_matrix(["the"], mode="onehot")


# ------------------------------------------------------------ config / JSON

def test_get_config():
    tok = fitted(num_words=5, oov_token="?")
    config = tok.get_config()
    assert {k: config[k] for k in ["num_words", "lower", "split", "char_level", "oov_token", "document_count"]} == \
        {"num_words": 5, "lower": True, "split": " ", "char_level": False, "oov_token": "?", "document_count": 3}
    assert json.loads(config["word_index"]) == tok.word_index
    assert json.loads(config["index_word"]) == {str(i): w for i, w in tok.index_word.items()}


def test_to_json_round_trip():
    tok = fitted(num_words=6, oov_token="<OOV>")
    text = tok.to_json()
    assert json.loads(text)["class_name"] == "Tokenizer"
    loaded = tokenizer_from_json(text)
    assert loaded.word_index == tok.word_index
    assert loaded.index_word == tok.index_word
    assert list(loaded.word_counts.items()) == list(tok.word_counts.items())
    assert dict(loaded.word_docs) == dict(tok.word_docs)
    assert dict(loaded.index_docs) == dict(tok.index_docs)
    assert (loaded.num_words, loaded.oov_token, loaded.document_count) == (6, "<OOV>", 3)
    texts = ["the cat ate my zebra", "dog dog"]
    assert loaded.texts_to_sequences(texts) == tok.texts_to_sequences(texts)
    np.testing.assert_allclose(loaded.texts_to_matrix(texts, mode="tfidf"), tok.texts_to_matrix(texts, mode="tfidf"))
    assert loaded.sequences_to_texts([[2, 3, 9]]) == tok.sequences_to_texts([[2, 3, 9]])
    loaded.fit_on_texts(["zebra"])  # the loaded tokenizer can keep fitting
    assert loaded.word_docs["zebra"] == 1 and loaded.document_count == 4
    assert json.loads(tok.to_json(indent=2)) == json.loads(text)
