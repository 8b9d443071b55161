"""Thresholds that gate a run (CI): a YAML file of minimums and maximums per metric.

```yaml
min:
  task_success: 0.95      # ratios: the run fails below
max:
  policy_violations: 0    # counts and latencies: the run fails above
  latency_p95_ms: 2000
```

A metric that was not measured in the run (None) does not fail it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evals.metrics import LOWER_IS_BETTER, RATIOS, Metrics

MINIMUM_METRICS = frozenset(RATIOS)
MAXIMUM_METRICS = frozenset(LOWER_IS_BETTER)


class ThresholdError(Exception):
    """The thresholds file is not valid; the message says where."""


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: dict[str, float] = Field(default_factory=dict)
    max: dict[str, float] = Field(default_factory=dict)

    def breaches(self, metrics: Metrics) -> list[str]:
        """One line per metric on the wrong side of its threshold."""
        found = []
        for name, floor in self.min.items():
            value = getattr(metrics, name)
            if value is not None and value < floor:
                found.append(f"{name} {value} is below the minimum {floor}")
        for name, ceiling in self.max.items():
            value = getattr(metrics, name)
            if value is not None and value > ceiling:
                found.append(f"{name} {value} is above the maximum {ceiling}")
        return found


def bundled_thresholds() -> Path:
    return Path(str(resources.files("evals") / "thresholds.yaml"))


def parse(data: Any, source: str) -> Thresholds:
    if data is None:
        data = {}
    try:
        thresholds = Thresholds.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ThresholdError(f"{source}: {field}: {first['msg']}") from None
    for name in thresholds.min:
        if name not in MINIMUM_METRICS:
            raise ThresholdError(
                f"{source}: min.{name}: not a metric with a minimum "
                f"({', '.join(sorted(MINIMUM_METRICS))})"
            )
    for name in thresholds.max:
        if name not in MAXIMUM_METRICS:
            raise ThresholdError(
                f"{source}: max.{name}: not a metric with a maximum "
                f"({', '.join(sorted(MAXIMUM_METRICS))})"
            )
    return thresholds


def load_thresholds(path: Path) -> Thresholds:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as error:
        raise ThresholdError(f"{path}: not YAML: {str(error).splitlines()[0]}") from None
    return parse(data, str(path))
