"""Writes sklearn_metrics.json: scikit-learn's precision, recall, F1 and ROC AUC on fixed data.

scikit-learn is a dependency of neither numkeras nor numkeras-extras: run this in any
environment that has it (it was run with scikit-learn 1.x, see the file's "versions"),
and commit the output. The inputs are stored in the file too, so the tests do not depend
on NumPy's random streams.

    python make_sklearn_reference.py      # writes sklearn_metrics.json next to this file
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score


def case(labels, scores, weights=None, threshold=0.5):
    labels, scores = np.asarray(labels), np.asarray(scores)
    flat_labels, flat_scores = labels.ravel(), scores.ravel()
    flat_weights = None if weights is None else np.broadcast_to(
        np.asarray(weights).reshape(-1, *([1] * (labels.ndim - 1))), labels.shape).ravel()
    predicted = (flat_scores > threshold).astype(int)
    return {
        "y_true": labels.tolist(), "y_pred": scores.tolist(),
        "sample_weight": None if weights is None else np.asarray(weights).tolist(), "threshold": threshold,
        "precision": precision_score(flat_labels, predicted, sample_weight=flat_weights, zero_division=0),
        "recall": recall_score(flat_labels, predicted, sample_weight=flat_weights, zero_division=0),
        "f1": f1_score(flat_labels, predicted, sample_weight=flat_weights, zero_division=0),
        "auc": roc_auc_score(flat_labels, flat_scores, sample_weight=flat_weights),
    }


def main():
    rng = np.random.default_rng(20261205)
    labels = rng.integers(0, 2, size=(40, 1))
    scores = np.clip(0.35 * labels + rng.uniform(0, 0.65, size=(40, 1)), 0, 1).round(1)  # ties on purpose
    weights = rng.uniform(0.2, 2.0, size=40)
    multilabel = rng.integers(0, 2, size=(12, 3))
    multiscores = np.clip(0.3 * multilabel + rng.uniform(0, 0.7, size=(12, 3)), 0, 1)
    cases = {
        "binary": case(labels, scores),
        "binary_weighted": case(labels, scores, weights),
        "binary_threshold_0.3": case(labels, scores, threshold=0.3),
        "multilabel_micro": case(multilabel, multiscores),
    }
    column = case(multilabel[:, 1], multiscores[:, 1])
    column.update({"y_true": multilabel.tolist(), "y_pred": multiscores.tolist(), "class_id": 1})
    cases["multilabel_class_1"] = column
    out = {"versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__}, "cases": cases}
    path = pathlib.Path(__file__).with_name("sklearn_metrics.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
