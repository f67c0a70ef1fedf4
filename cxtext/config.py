"""Configuration: defaults that run the bundled sample, overridden by one TOML file."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class InputConfig:
    encoding: str = "auto"
    # canonical name -> header in the export; canonical headers are always accepted too
    columns: dict[str, str] = field(default_factory=dict)
    segments: tuple[str, ...] = ()
    # Responses dated more than this many days after the run date are rejected.
    max_future_days: int = 1
    min_date: str = "2000-01-01"


@dataclass(frozen=True)
class RunConfig:
    model: str | None = None  # folder; None = the shipped models/default
    output_encoding: str = "utf-8-sig"
    # Drivers rows with fewer mentions than this are flagged low_support and not ranked.
    min_support: int = 10
    # Segment values with fewer responses than this get no drivers rows of their own.
    min_segment_responses: int = 30
    # Comments longer than this are scored on their first characters only (flagged).
    max_comment_chars: int = 5000
    # Emails, phone numbers, postal codes and card-like numbers are masked in every output.
    mask_personal_data: bool = True
    # Worker processes for scoring; 0 = every core this process may use.
    jobs: int = 0
    # Reuse scores of responses already scored by the same model (SQLite file in the output
    # folder, keyed by model, response id and comment hash).
    cache: bool = True
    # "local" (joblib processes on this machine) or "dask" (a Dask distributed cluster).
    engine: str = "local"
    # Dask scheduler address (tcp://host:8786); empty = start a local cluster for the run.
    scheduler: str = ""
    # Responses read, validated and scored at a time; memory depends on this, not on the export.
    chunk_rows: int = 20_000
    # A re-run with the same inputs, model, configuration and run date as the run that wrote
    # the outputs, whose outputs are unchanged, keeps them instead of recomputing (--force).
    reuse_outputs: bool = True


@dataclass(frozen=True)
class TrainingConfig:
    # Inverse regularization, chosen by 5-fold CV on train.csv (9,009 comments): theme micro-F1
    # 0.796 / 0.801 / 0.805 / 0.808 / 0.809 at C = 4 / 8 / 16 / 32 / 64; sentiment macro-F1 0.826 /
    # 0.827 / 0.828 / 0.826 at C = 2 / 4 / 8 / 16.
    theme_C: float = 32.0
    sentiment_C: float = 8.0
    cv_folds: int = 5
    random_state: int = 0
    clause_pooling: bool = True  # theme score = max over the comment and its clauses
    # Thresholds maximize F-beta on out-of-fold scores. beta > 1 leans towards recall: on comments
    # by writers the training data never saw, recall falls much more than precision does.
    threshold_beta: float = 1.0


@dataclass(frozen=True)
class Config:
    input: InputConfig = field(default_factory=InputConfig)
    run: RunConfig = field(default_factory=RunConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    source: str | None = None  # the TOML file this came from, for messages and cards

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _build(cls, table: dict[str, Any], section: str, path: Path):
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [{section}]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})"
        )
    values = {}
    for name, value in table.items():
        default = getattr(cls(), name)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: [{section}] {name} must be a list of strings")
            value = tuple(value)
        elif isinstance(default, dict):
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(f"{path}: [{section}.{name}] must map names to strings")
        elif default is not None and not _same_kind(default, value):
            raise ConfigError(f"{path}: [{section}] {name} must be {type(default).__name__}, got {value!r}")
        elif default is None and not isinstance(value, str):
            raise ConfigError(f"{path}: [{section}] {name} must be a string, got {value!r}")
        values[name] = value
    return cls(**values)


def load_config(path: str | Path | None) -> Config:
    """Read a TOML file; None gives the defaults. Relative model paths resolve against the file."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    unknown = sorted(set(data) - {"input", "run", "training"})
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(unknown)} (known: input, run, training)")
    input_cfg = _build(InputConfig, data.get("input", {}), "input", path)
    unknown_cols = sorted(set(input_cfg.columns) - {"response_id", "responded_at", "nps_score", "comment"})
    if unknown_cols:
        raise ConfigError(
            f"{path}: [input.columns] maps unknown canonical name(s) {', '.join(unknown_cols)}; "
            "use response_id, responded_at, nps_score, comment"
        )
    run_cfg = _build(RunConfig, data.get("run", {}), "run", path)
    if run_cfg.model is not None and not Path(run_cfg.model).is_absolute():
        run_cfg = dataclasses.replace(run_cfg, model=str((path.parent / run_cfg.model).resolve()))
    training_cfg = _build(TrainingConfig, data.get("training", {}), "training", path)
    return Config(input=input_cfg, run=run_cfg, training=training_cfg, source=str(path))
