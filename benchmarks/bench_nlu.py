"""Understanding-step quality and latency on the held-out utterances, next to a baseline measured
in the same run.

Per language: intent accuracy and out-of-scope precision / recall on tests/data/nlu_heldout.yaml
(never used as training examples) for
- `embeddings-kNN`: the sentence embeddings alone (nearest examples, a single out-of-scope floor);
- `offline`: the shipped classifier (embeddings + surface similarity + patterns + entities),
  with the language given, and with the language detected.
Then the median latency of one `parse` (after warm-up), of the sentence model alone on one text,
and of a batch of 32, per text.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

from agent.nlu import ClassifierConfig, IntentClassifier, Parser, shared_embedder
from agent.nlu.evaluation import Report, evaluate, load_labelled

REPO = Path(__file__).resolve().parent.parent
HELD_OUT = REPO / "tests" / "data" / "nlu_heldout.yaml"
LATENCY_SAMPLES = 100
BATCH = 32


def embeddings_only(config: ClassifierConfig) -> ClassifierConfig:
    return dataclasses.replace(
        config,
        lexical_weight=0.0,
        pattern_bonus=0.0,
        knowledge_pattern_bonus=0.0,
        provide_info_bonus=0.0,
        unsupported_floor=config.out_of_scope_floor,
    )


def row(name: str, report: Report) -> str:
    return (
        f"{report.language:<5}{name:<26}{report.accuracy:>9.3f}"
        f"{report.out_of_scope_precision:>10.3f}{report.out_of_scope_recall:>9.3f}{report.total:>6}"
    )


def main() -> int:
    labelled = load_labelled(HELD_OUT)
    started = time.perf_counter()
    embedder = shared_embedder()
    parser = Parser(IntentClassifier(embedder))
    parser.classifier.warm_up()
    load_seconds = time.perf_counter() - started
    baseline = Parser(IntentClassifier(embedder, config=embeddings_only(ClassifierConfig())))

    print(
        f"Understanding step on {len(labelled)} held-out utterances ({HELD_OUT.name}); "
        f"model loaded and examples embedded in {load_seconds:.1f} s"
    )
    header = f"{'lang':<5}{'classifier':<26}{'accuracy':>9}{'OOS prec':>10}{'OOS rec':>9}{'n':>6}"
    print(header)
    print("-" * len(header))
    runs = [
        ("embeddings-kNN (baseline)", evaluate(baseline, labelled)),
        ("offline", evaluate(parser, labelled)),
        ("offline, language detected", evaluate(parser, labelled, detect_language=True)),
    ]
    for language in ("en", "es"):
        for name, reports in runs:
            print(row(name, reports[language]))

    texts = [example.text for example in labelled][:LATENCY_SAMPLES]
    parser.parse(texts[0])
    timings = []
    for text in texts:
        began = time.perf_counter()
        parser.parse(text)
        timings.append(time.perf_counter() - began)
    model_only = []
    for text in texts:
        began = time.perf_counter()
        embedder([text])
        model_only.append(time.perf_counter() - began)
    batched = []
    for start in range(0, len(texts), BATCH):
        chunk = texts[start : start + BATCH]
        began = time.perf_counter()
        parser.parse_batch(chunk)
        batched.append((time.perf_counter() - began) / len(chunk))
    print(
        f"latency: median {statistics.median(timings) * 1000:.1f} ms per parse (one text), "
        f"of which {statistics.median(model_only) * 1000:.1f} ms embedding it; "
        f"{statistics.median(batched) * 1000:.1f} ms per text in batches of {BATCH}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
