#!/usr/bin/env python3
"""Reference values for the audit's statistics: scikit-learn and SciPy.

    pip install numpy scipy scikit-learn
    python3 Tests/EvaluationTests/Fixtures/generate_audit_golden.py

Writes audit_golden.json. Every input is written too (rounded to float32 first where the Swift side
reads floats), so the test rebuilds nothing by formula.

- "multinomial": 90 points, 5 features, 4 classes (one Gaussian blob each, overlapping).
  scikit-learn's `LogisticRegression(C=C)` (lbfgs, multinomial softmax, L2 on the weights only) at
  C = 1 and C = 0.1, fitted to tol = 1e-12 and max_iter = 100,000; its lbfgs still stops with
  gradient entries of about 1e-7 to 1e-6 (SciPy's ftol), so the fit is then polished by Newton steps
  on the same objective (pseudo-inverse: the intercepts' common shift is free) until the gradient is
  below 1e-12: "weights", "intercepts" and "query_probabilities" are that optimum, "sklearn_*" the
  raw fit. Also a two-class fit, which scikit-learn (>= 1.5) solves as a binary problem: the test
  checks that our two-class softmax equals the binary fit with C doubled.
- "ks": `scipy.stats.ks_2samp(a, b)` (default method: exact for samples up to 10,000) for samples of
  equal and unequal sizes, with ties across the samples, the statistic and p-value.
- "auroc": `sklearn.metrics.roc_auc_score` on scores with ties.
"""
import json
import pathlib

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(20261130)
out = {"sklearn_version": sklearn.__version__, "scipy_version": scipy.__version__}

centres = rng.normal(0, 1.5, size=(4, 5))
labels = rng.integers(0, 4, size=90)
features = (centres[labels] + rng.normal(0, 1.2, size=(90, 5))).astype(np.float32).astype(np.float64)
queries = rng.normal(0, 2, size=(6, 5)).astype(np.float32).astype(np.float64)
multinomial = {"features": features.tolist(), "labels": labels.tolist(), "queries": queries.tolist()}
def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def polish(weights, intercepts, c, x, y, k):
    """Newton steps on 1/2|W|^2 + C sum CE from scikit-learn's fit."""
    n, d = x.shape
    xt = np.c_[x, np.ones(n)]
    theta = np.c_[weights, intercepts]                          # K x (d + 1)
    onehot = np.eye(k)[y]
    for _ in range(50):
        p = softmax(xt @ theta.T)
        gradient = c * (p - onehot).T @ xt
        gradient[:, :d] += theta[:, :d]
        if np.abs(gradient).max() < 1e-12:
            break
        hessian = np.zeros((k * (d + 1), k * (d + 1)))
        for i in range(n):
            block = np.diag(p[i]) - np.outer(p[i], p[i])
            hessian += c * np.kron(block, np.outer(xt[i], xt[i]))
        for a in range(k):
            for j in range(d):
                hessian[a * (d + 1) + j, a * (d + 1) + j] += 1
        step = np.linalg.lstsq(hessian, gradient.reshape(-1), rcond=1e-14)[0]
        theta = theta - step.reshape(k, d + 1)
    theta[:, d] -= theta[:, d].mean()
    return theta[:, :d], theta[:, d]


for name, c in [("c_one", 1.0), ("c_tenth", 0.1)]:
    model = LogisticRegression(C=c, tol=1e-12, max_iter=100_000).fit(features, labels)
    weights, intercepts = polish(model.coef_, model.intercept_, c, features, labels, 4)
    multinomial[name] = {"C": c, "weights": weights.tolist(), "intercepts": intercepts.tolist(),
                         "query_probabilities": softmax(np.c_[queries, np.ones(6)] @ np.c_[weights, intercepts].T).tolist(),
                         "sklearn_weights": model.coef_.tolist(), "sklearn_intercepts": model.intercept_.tolist(),
                         "sklearn_query_probabilities": model.predict_proba(queries).tolist()}
two = labels % 2
binary = LogisticRegression(C=2.0, tol=1e-12, max_iter=100_000).fit(features, two)
multinomial["two_classes"] = {"labels": two.tolist(), "binary_C2_weights": binary.coef_[0].tolist(),
                              "binary_C2_intercept": float(binary.intercept_[0]),
                              "query_probabilities": binary.predict_proba(queries)[:, 1].tolist()}
out["multinomial"] = multinomial

cases = []
def ks_case(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    result = stats.ks_2samp(a, b)
    cases.append({"a": a.tolist(), "b": b.tolist(), "statistic": float(result.statistic),
                  "p_value": float(result.pvalue)})
ks_case([1, 2, 3, 4], [5, 6, 7, 8])
ks_case(rng.normal(0, 1, 40).round(3), rng.normal(0.3, 1, 40).round(3))            # equal sizes
ks_case(rng.normal(0, 1, 30).round(2), rng.normal(0, 1.5, 90).round(2))            # 1 : 3, ties likely
ks_case(rng.normal(0, 1, 57).round(3), rng.normal(0.8, 1, 171).round(3))           # small p-value
ks_case(rng.normal(0, 1, 13), rng.normal(0, 1, 29))                                 # coprime sizes
ks_case(rng.normal(0, 1, 250), rng.normal(0.05, 1, 750))                            # larger
ks_case([0.0, 0, 0, 1, 1], [0.0, 1, 1, 1, 1, 1])                                    # heavy ties
out["ks"] = cases

positive = rng.normal(1, 1, 37).round(1)
negative = rng.normal(0, 1, 53).round(1)
out["auroc"] = {"positive": positive.tolist(), "negative": negative.tolist(),
                "auroc": float(roc_auc_score(np.r_[np.ones(37), np.zeros(53)], np.r_[positive, negative]))}

path = pathlib.Path(__file__).with_name("audit_golden.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
