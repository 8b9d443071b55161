"""Sentiment check quality and latency on the val split, next to VADER measured in the same run.

Per language: macro-recall over the three classes and recall of the negative class for VADER
alone (for Spanish, VADER on the raw Spanish text: the published baseline) and for the offline
analyzer, the ratio of their macro-recalls, and the median latency of one text (batch of 1).

Data: $CEREBRO_SENTIMENT_DATA, by default ../shared/data/sentiment beside the repository.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from agent.sentiment import LANGUAGES, OfflineSentimentAnalyzer, VaderSentimentAnalyzer
from agent.sentiment.contract import Language, SentimentAnalyzer
from agent.sentiment.evaluation import LabeledTexts, Recall, class_indices, load_split, recall

REPO = Path(__file__).resolve().parent.parent
LATENCY_SAMPLES = 100


def data_dir() -> Path:
    configured = os.environ.get("CEREBRO_SENTIMENT_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "data" / "sentiment"


def measure(
    analyzer: SentimentAnalyzer, split: LabeledTexts, language: Language
) -> tuple[Recall, float]:
    """Recall on `split` and the median seconds to analyze one text."""
    results = analyzer.analyze_batch(split.texts, language)
    timings = []
    for text in split.texts[:LATENCY_SAMPLES]:
        started = time.perf_counter()
        analyzer.analyze(text, language)
        timings.append(time.perf_counter() - started)
    return recall(split.labels, class_indices([r.label for r in results])), statistics.median(
        timings
    )


def main() -> int:
    data = data_dir()
    if not all((data / language / "val_text.txt").is_file() for language in LANGUAGES):
        print(f"bench_sentiment: no labeled data at {data} (set CEREBRO_SENTIMENT_DATA); skipped")
        return 0
    import torch

    # Per-turn latency as a chat worker would see it: one intra-op thread. With several threads
    # on a busy machine the sentence embedding can take ten times longer.
    torch.set_num_threads(1)
    started = time.perf_counter()
    offline = OfflineSentimentAnalyzer()
    weights_loaded = time.perf_counter()
    for language in LANGUAGES:
        offline.analyze("warm up", language)  # loads the embedding model if a model uses it
    ready = time.perf_counter()
    vader = VaderSentimentAnalyzer()
    print(f"Sentiment check, val split of {data}")
    print(
        f"offline analyzer: weights loaded in {weights_loaded - started:.2f} s, "
        f"sentence-embedding model in {ready - weights_loaded:.2f} s; torch on one thread"
    )
    header = (
        f"{'lang':<6}{'analyzer':<10}{'macro-recall':>13}{'neg. recall':>13}"
        f"{'ratio':>7}{'median ms':>11}{'texts':>7}"
    )
    print(header)
    print("-" * len(header))
    for language in LANGUAGES:
        split = load_split(data, language, "val")
        base, base_seconds = measure(vader, split, language)
        ours, seconds = measure(offline, split, language)
        for name, result, latency in (("VADER", base, base_seconds), ("offline", ours, seconds)):
            print(
                f"{language:<6}{name:<10}{result.macro:>13.3f}{result.negative:>13.3f}"
                f"{result.macro / base.macro:>7.2f}{latency * 1000:>11.2f}{len(split.texts):>7}"
            )
    print("ratio: macro-recall over VADER's on the same texts (three balanced classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
