#!/usr/bin/env python3
"""Reference values for `LogisticRegression` and `entropyMembershipInference`: scikit-learn.

    pip install numpy scikit-learn scipy
    python3 Tests/EvaluationTests/Fixtures/generate_mia_golden.py

Writes mia_golden.json. Every input is written too (rounded to float32 first, so the Swift test reads
exactly the numbers sklearn saw), so the test rebuilds nothing by formula.

- "two_features": 60 points, 2 features, 40 positives / 20 negatives, overlapping Gaussians. sklearn's
  `LogisticRegression()` (C = 1, lbfgs, L2 on the weights only) fitted plain and with
  `class_weight="balanced"`, and plain with C = 0.25; coefficients, intercept and the probabilities
  P(y = 1) of five query points. The reference fits use tol = 1e-12 and max_iter = 10,000 so they
  are the exact optimum of sklearn's objective; the fits with sklearn's defaults (tol = 1e-4,
  max_iter = 100) are written under "default_*" for comparison (they differ in the 4th-6th digit).
- "entropy_attack": the synaptic-dampening paper's attack (Chundawat et al.'s
  `get_membership_attack_prob`): a balanced logistic regression on one feature, the entropy of the
  softmax, with retain-train examples labelled member (1) and test examples non-member (0), then the
  share of forget-train examples predicted as members, in percent. The forget entropies are chosen so
  none lies within 1e-3 of the decision threshold, so the percentage is exact. The authors passed
  multi_class="multinomial" (removed in sklearn 1.8); for two classes that is a softmax over two
  weight vectors both penalised, whose optimum is the binary fit with C doubled: "multinomial_C2"
  checks this by fitting the two-class softmax objective directly with SciPy.
"""
import json
import pathlib

import numpy as np
import sklearn
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(20_260_415)
f32 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)


def fit(x, y, tight=True, **kwargs):
    extra = dict(tol=1e-12, max_iter=10_000) if tight else {}
    return LogisticRegression(**kwargs, **extra).fit(x, y)


def describe(model, queries):
    return {
        "weights": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
        "query_probabilities": model.predict_proba(queries)[:, 1].tolist(),
    }


# Two features, imbalanced classes.
positives = rng.normal([1.0, -0.5], [1.0, 0.8], size=(40, 2))
negatives = rng.normal([-0.5, 0.5], [1.2, 1.0], size=(20, 2))
x = f32(np.vstack([positives, negatives]))
y = np.array([1] * 40 + [0] * 20)
order = rng.permutation(len(y))
x, y = x[order], y[order]
queries = f32([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.5], [3.0, -1.0], [0.25, -0.75]])
two_features = {
    "features": x.tolist(),
    "labels": y.tolist(),
    "queries": queries.tolist(),
    "plain": describe(fit(x, y), queries),
    "balanced": describe(fit(x, y, class_weight="balanced"), queries),
    "c_quarter": describe(fit(x, y, C=0.25), queries),
    "default_plain": describe(fit(x, y, tight=False), queries),
    "default_balanced": describe(fit(x, y, tight=False, class_weight="balanced"), queries),
}

# Entropy attack: members (retain-train) are confident (low entropy), non-members (test) less so.
retain = f32(np.abs(rng.gamma(2.0, 0.15, size=70)))
test = f32(np.abs(rng.gamma(3.0, 0.25, size=30)))
features = np.concatenate([retain, test]).reshape(-1, 1)
labels = np.concatenate([np.ones(len(retain)), np.zeros(len(test))])
attack = fit(features, labels, class_weight="balanced")
threshold = -attack.intercept_[0] / attack.coef_[0, 0]
candidates = f32(np.abs(rng.gamma(2.5, 0.2, size=60)))
forget = candidates[np.abs(candidates - threshold) > 1e-3][:25]
assert len(forget) == 25
percentage = 100 * attack.predict(forget.reshape(-1, 1)).mean()

# The authors' multinomial two-class fit, solved directly: weights W (2×1), intercepts b (2),
# objective ½‖W‖² + C Σ_i s_i · (−log softmax(W x_i + b)[y_i]), sample weights s = balanced.
counts = np.bincount(labels.astype(int))
s = len(labels) / (2 * counts[labels.astype(int)])


def multinomial_objective(theta):
    w, b = theta[:2], theta[2:]
    z = features[:, :1] * w + b
    log_softmax = z - np.logaddexp(z[:, 0], z[:, 1])[:, None]
    return 0.5 * np.sum(w ** 2) - np.sum(s * log_softmax[np.arange(len(labels)), labels.astype(int)])


theta = minimize(multinomial_objective, np.zeros(4), method="BFGS", options={"gtol": 1e-12}).x
binary_c2 = fit(features, labels, class_weight="balanced", C=2.0)
multinomial_weight = theta[1] - theta[0]
multinomial_intercept = theta[3] - theta[2]
assert abs(multinomial_weight - binary_c2.coef_[0, 0]) < 1e-5, (multinomial_weight, binary_c2.coef_)
assert abs(multinomial_intercept - binary_c2.intercept_[0]) < 1e-5
threshold_c2 = -multinomial_intercept / multinomial_weight
assert np.min(np.abs(forget - threshold_c2)) > 1e-3, "a forget entropy sits on the C=2 boundary"
percentage_c2 = 100 * binary_c2.predict(forget.reshape(-1, 1)).mean()

entropy_attack = {
    "retain_train_entropies": retain.tolist(),
    "test_entropies": test.tolist(),
    "forget_train_entropies": forget.tolist(),
    "weight": float(attack.coef_[0, 0]),
    "intercept": float(attack.intercept_[0]),
    "member_percentage": float(percentage),
    "multinomial_C2": {"weight": float(multinomial_weight), "intercept": float(multinomial_intercept),
                       "member_percentage": float(percentage_c2)},
}

golden = {
    "sklearn_version": sklearn.__version__,
    "two_features": two_features,
    "entropy_attack": entropy_attack,
}
path = pathlib.Path(__file__).with_name("mia_golden.json")
path.write_text(json.dumps(golden))
print(f"wrote {path}: sklearn {sklearn.__version__}, entropy attack {percentage:.1f}% "
      f"(threshold {threshold:.4f}), plain w = {two_features['plain']['weights']}")
print("default vs tight, plain:", np.subtract(two_features["default_plain"]["weights"], two_features["plain"]["weights"]))
