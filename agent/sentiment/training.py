"""Training the linear sentiment model: logistic regression solved in its dual (kernel) form,
hyper-parameters chosen by cross-validation on the training split.

With n = 1,839 training texts and hundreds of thousands of hashed features, the optimal weights
are a combination of the training rows (w = X^T alpha), so training works on the n x n Gram
matrix K = X X^T instead of X. Each feature group has its own Gram matrix and a configuration's
is their weighted sum, so the whole grid of group weights and regularization strengths, each
cross-validated on five folds, costs a few matrix products. The primal weights are recovered
at the end and are what ships. Weights start at zero and the arithmetic is float64 on one
thread, so a run is deterministic.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from agent.sentiment.evaluation import recall
from agent.sentiment.features import FeatureConfig, FeatureRows
from agent.sentiment.linear import CLASSES, LinearModel

FOLDS = 5
SEED = 0


def gram(left: FeatureRows, right: FeatureRows) -> np.ndarray:
    """The matrix of dot products between the rows of `left` and those of `right`."""
    columns, inverse = np.unique(np.concatenate([left.indices, right.indices]), return_inverse=True)

    def tensor(rows: FeatureRows, cols: np.ndarray, transpose: bool) -> torch.Tensor:
        pairs = [cols, rows.row_ids()] if transpose else [rows.row_ids(), cols]
        shape = (len(columns), len(rows)) if transpose else (len(rows), len(columns))
        return torch.sparse_coo_tensor(
            torch.from_numpy(np.stack(pairs)),
            torch.from_numpy(rows.values.astype(np.float64)),
            size=shape,
            check_invariants=True,
        ).coalesce()

    a = tensor(left, inverse[: len(left.indices)], transpose=False)
    b = tensor(right, inverse[len(left.indices) :], transpose=True)
    with warnings.catch_warnings():
        # torch computes the product in its (stable enough here) CSR layout and says it is beta.
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")
        product: np.ndarray = torch.sparse.mm(a, b).to_dense().numpy()
    return product


JITTER = 1e-6  # added to the Gram matrix's diagonal, relative to its mean, for the factorization


def factor(kernel: np.ndarray) -> torch.Tensor:
    """A lower-triangular L with L L^T = K + jitter * I: the kernel's empirical feature map."""
    k = torch.from_numpy(np.ascontiguousarray(kernel, dtype=np.float64))
    jitter = JITTER * float(k.diagonal().mean())
    lower: torch.Tensor = torch.linalg.cholesky(k + jitter * torch.eye(len(k), dtype=torch.float64))
    return lower


def fit_dual(
    feature_map: torch.Tensor, labels: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """Dual coefficients alpha (n x 3) and biases minimizing the mean cross-entropy plus
    ||w||^2 / (2 c n), the penalty scikit-learn's `C` stands for.

    Gradient steps on alpha itself are badly conditioned, so the problem is solved on the
    kernel's feature map L (`factor`), where it is an ordinary, well-conditioned logistic
    regression with weights v, and mapped back: alpha = L^-T v.
    """
    n = len(labels)
    y = torch.from_numpy(labels.astype(np.int64))
    v = torch.zeros((n, CLASSES), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(CLASSES, dtype=torch.float64, requires_grad=True)
    penalty = 1.0 / (c * n)
    optimizer = torch.optim.LBFGS(
        [v, bias],
        lr=1.0,
        max_iter=500,
        tolerance_grad=1e-5,
        tolerance_change=1e-12,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = feature_map @ v + bias
        loss = torch.nn.functional.cross_entropy(logits, y) + 0.5 * penalty * (v * v).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    alpha = torch.linalg.solve_triangular(feature_map.T, v.detach(), upper=True)
    return alpha.numpy(), bias.detach().numpy()


def folds(labels: np.ndarray) -> np.ndarray:
    """A fold number per example: stratified by class, shuffled with a fixed seed."""
    rng = np.random.default_rng(SEED)
    assignment = np.empty(len(labels), dtype=np.int64)
    for k in range(CLASSES):
        members = rng.permutation(np.flatnonzero(labels == k))
        assignment[members] = np.arange(len(members)) % FOLDS
    return assignment


@dataclass(frozen=True)
class Candidate:
    """One point of the grid and its cross-validated macro-recall."""

    config: FeatureConfig
    c: float
    cv_macro_recall: float


def combined_gram(grams: Mapping[str, np.ndarray], config: FeatureConfig) -> np.ndarray:
    """The Gram matrix of `config`'s weighted features: the weighted sum of its groups'."""
    total = np.zeros_like(next(iter(grams.values())))
    for group in config.groups:
        total += config.weight(group) ** 2 * grams[group]
    return total


def cross_validate(
    grams: Mapping[str, np.ndarray], labels: np.ndarray, config: FeatureConfig, cs: Sequence[float]
) -> list[float]:
    """Mean macro-recall over the folds of one configuration, for each regularization in `cs`."""
    kernel = combined_gram(grams, config)
    assignment = folds(labels)
    scores = np.zeros((FOLDS, len(cs)))
    for fold in range(FOLDS):
        train, held = assignment != fold, assignment == fold
        feature_map = factor(kernel[np.ix_(train, train)])
        for j, c in enumerate(cs):
            alpha, bias = fit_dual(feature_map, labels[train], c)
            predicted = (kernel[np.ix_(held, train)] @ alpha + bias).argmax(axis=1)
            scores[fold, j] = recall(labels[held], predicted).macro
    return [float(x) for x in scores.mean(axis=0)]


def grid(base: FeatureConfig, space: Mapping[str, Sequence[float]]) -> Iterator[FeatureConfig]:
    """Every combination of the group weights in `space` applied to `base`."""
    names = sorted(space)
    for values in itertools.product(*(space[name] for name in names)):
        weights: dict[str, Any] = dict(zip(names, values, strict=True))
        yield replace(base, **weights)


def primal(
    groups: Mapping[str, FeatureRows], config: FeatureConfig, alpha: np.ndarray, bias: np.ndarray
) -> LinearModel:
    """The shipped model: w = X^T alpha over the features of the training rows."""
    weighted = [groups[g].scaled(config.weight(g)) for g in config.groups]
    indices = np.concatenate([rows.indices for rows in weighted])
    values = np.concatenate([rows.values for rows in weighted]).astype(np.float64)
    row_ids = np.concatenate([rows.row_ids() for rows in weighted])
    feature_rows, positions = np.unique(indices, return_inverse=True)
    weights = np.stack(
        [
            np.bincount(positions, weights=values * alpha[row_ids, k], minlength=len(feature_rows))
            for k in range(CLASSES)
        ],
        axis=1,
    )
    return LinearModel(config=config, rows=feature_rows, weights=weights, bias=bias)


def single_threaded() -> None:
    """Pin torch to one thread and a fixed seed: training runs the same on every run."""
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
