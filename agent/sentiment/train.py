"""Rebuild the shipped sentiment weights from the labeled data.

    python -m agent.sentiment.train --data ../shared/data/sentiment --out agent/sentiment/weights

For each language: featurize the train split plus the hand-labeled customer-service messages
(`resources/support_<language>.txt`), cross-validate every grid point (feature-group weights x
regularization) on five folds of them, refit the best on all of them, report its macro-recall
on the val split next to VADER's, and write `<out>/<language>.npz`. The val split
is never used to choose anything, so its figure is an honest estimate. A run is deterministic
and takes about 25 minutes on two cores (the embedding group needs the bundled MiniLM model).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent.sentiment.contract import LANGUAGES, Language
from agent.sentiment.embedding import MiniLMEmbedder
from agent.sentiment.evaluation import (
    LabeledTexts,
    class_indices,
    load_split,
    load_support_examples,
    recall,
)
from agent.sentiment.features import GROUPS, FeatureConfig, Featurizer
from agent.sentiment.offline import WEIGHTS_DIR
from agent.sentiment.training import (
    Candidate,
    combined_gram,
    cross_validate,
    factor,
    fit_dual,
    gram,
    grid,
    primal,
    single_threaded,
)
from agent.sentiment.vader import VaderSentimentAnalyzer

#: Group weights tried (unigrams and character n-grams always weigh 1).
SPACE: dict[str, Sequence[float]] = {"cue": (1.0, 2.0, 3.0), "embedding": (0.0, 1.0, 2.0)}
#: Inverse regularization strengths tried (scikit-learn's C).
CS: Sequence[float] = (0.3, 1.0, 3.0)


def train_language(data: Path, out: Path, language: Language) -> None:
    started = time.perf_counter()
    tweets = load_split(data, language, "train")
    support = load_support_examples(language)
    train = LabeledTexts(
        texts=tweets.texts + support.texts, labels=np.concatenate([tweets.labels, support.labels])
    )
    val = load_split(data, language, "val")
    featurizer = Featurizer(language, MiniLMEmbedder())
    groups = featurizer.groups(train.texts, GROUPS)
    grams = {group: gram(rows, rows) for group, rows in groups.items()}
    print(f"[{language}] cross-validating on {len(train.texts)} texts; macro-recall for C in {CS}:")
    candidates: list[Candidate] = []
    for config in grid(FeatureConfig(language), SPACE):
        scores = cross_validate(grams, train.labels, config, CS)
        candidates += [Candidate(config, c, s) for c, s in zip(CS, scores, strict=True)]
        print(f"  {' '.join(f'{s:.3f}' for s in scores)}  {config.to_json()}", flush=True)
    best = max(candidates, key=lambda candidate: candidate.cv_macro_recall)
    print(f"[{language}] chose C={best.c} {best.config.to_json()}", flush=True)
    alpha, bias = fit_dual(factor(combined_gram(grams, best.config)), train.labels, best.c)
    model = primal(groups, best.config, alpha, bias)
    path = out / f"{language}.npz"
    model.save(path)

    predicted = model.probabilities(featurizer.transform(val.texts, best.config)).argmax(axis=1)
    ours = recall(val.labels, predicted)
    vader = VaderSentimentAnalyzer().analyze_batch(val.texts, language)
    baseline = recall(val.labels, class_indices([r.label for r in vader]))
    print(
        f"[{language}] val macro-recall {ours.macro:.3f} (negative {ours.negative:.3f}) vs VADER "
        f"{baseline.macro:.3f} (negative {baseline.negative:.3f}); {len(model.rows)} weighted "
        f"features, {path.stat().st_size / 1e6:.2f} MB at {path}; "
        f"{time.perf_counter() - started:.0f} s"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding en/ and es/")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="where the .npz files go")
    parser.add_argument("--language", choices=LANGUAGES, nargs="*", default=list(LANGUAGES))
    args = parser.parse_args(argv)
    single_threaded()
    for language in args.language:
        train_language(args.data, args.out, language)


if __name__ == "__main__":
    main()
