"""Command line: parse options, set up logging and progress, call the library, and turn
CxtextError into a one-line `Error: …` with exit status 1. No logic of its own."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import CxtextError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
log = logging.getLogger("cxtext")


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at emit time, not when the handler was made
    (so a redirected or replaced stderr, e.g. under a test runner, never gets a closed file)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = _CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger("cxtext")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _config(path: str | None):
    from .config import load_config

    return load_config(path or os.environ.get("CXTEXT_CONFIG") or None)


class Terminated(Exception):
    """Raised in the main thread when SIGTERM arrives, so that cleanup code runs."""


def _raise_terminated(signum, frame):
    raise Terminated()


class _Progress:
    """A click progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str):
        self.label, self.bar = label, None

    def start(self, total: int) -> None:
        if sys.stderr.isatty() and total:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()

    def update(self, n: int) -> None:
        if self.bar:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar:
            self.bar.__exit__(None, None, None)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="cxtext")
@click.option("-v", "--verbose", count=True, help="More log output (debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
def cli(verbose: int, quiet: bool) -> None:
    """cxtext: Japanese NPS comments → complaint themes, sentiment and detractor drivers.

    \b
    Nightly run on the bundled sample:
      cxtext run --input data/samples/survey_sample.csv \\
                 --config jobs/cxtext.toml --out out/
    """
    _setup_logging(verbose, quiet)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--input", "inputs", multiple=True, required=True, metavar="PATH",
              help="Survey export(s): CSV files, folders of them or glob patterns. Repeatable.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML configuration (or $CXTEXT_CONFIG).")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="Model folder (default: models/default).")
@click.option("--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes for scoring (0 = all cores; default: [run] jobs).")
@click.option("--no-cache", is_flag=True, help="Score every comment again instead of reusing earlier scores.")
@click.option("--force", is_flag=True,
              help="Recompute even when the outputs are up to date (same inputs, model, configuration and day).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default=None,
              help="Where to score: local processes or a Dask cluster (default: [run] engine).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster for the run).")
def run(inputs, out_dir, config_path, model_dir, jobs, no_cache, force, engine, scheduler):
    """Score survey exports and write comments.csv, nps.csv, drivers.csv, rejects.csv,
    trends.csv, alerts.csv, followup.csv, verbatims.csv, history.csv, report.html and run.json
    (columns: docs/outputs.md).

    \b
    Example:
      cxtext run --input exports/2026-11-21.csv --config jobs/cxtext.toml --out out/
    """
    from .run import run_nightly

    import signal

    import dataclasses

    cfg = _config(config_path)
    overrides = {"jobs": jobs, "engine": engine, "scheduler": scheduler}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if no_cache:
        overrides["cache"] = False
    if force or no_cache:
        overrides["reuse_outputs"] = False
    if scheduler and not engine:
        overrides["engine"] = "dask"
    if overrides:
        cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, **overrides))
    signal.signal(signal.SIGTERM, _raise_terminated)
    bar = _Progress("scoring comments")
    try:
        run_nightly(list(inputs), out_dir, cfg, model_dir=model_dir, progress=bar.update, on_start=bar.start)
    finally:
        bar.close()


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--labels", "label_files", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Labelled comments CSV(s) to train on. Repeatable.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="New folder for the candidate model (must not exist or be empty).")
@click.option("--taxonomy", "taxonomy_path", default="data/taxonomy.csv", show_default=True,
              type=click.Path(dir_okay=False), help="Theme taxonomy CSV.")
@click.option("--test-labels", "test_file", type=click.Path(dir_okay=False),
              help="Labelled file never trained on; its metrics go into the card.")
@click.option("--name", default="cxtext-default", show_default=True, help="Model name for the card.")
@click.option("--version", "model_version", default=None, help="Model version (default: date + data hash).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML configuration ([training]).")
def train(label_files, out_dir, taxonomy_path, test_file, name, model_version, config_path):
    """Train a candidate model from labelled comments and write it with its card.

    The model the nightly run uses is not touched: point --model at the new folder to try it.

    \b
    Example (reproduces the shipped model):
      cxtext train --labels data/labelled/train.csv --test-labels data/labelled/test.csv \\
                   --out models/candidate
    """
    from .training import train_and_save

    cfg = _config(config_path)
    result = train_and_save(list(label_files), out_dir, taxonomy_path, cfg.training, name=name,
                            version=model_version, test_file=test_file)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--labels", "label_file", required=True, type=click.Path(dir_okay=False), help="Labelled comments CSV.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="Model folder (default: models/default).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object (data-formats.md).")
def evaluate(label_file, model_dir, as_json):
    """Score a labelled file with a model and print theme, sentiment and polarity metrics."""
    from .artifacts import default_model_dir, load_bundle
    from .evaluation import evaluate as run_evaluation
    from .labels import read_labels

    bundle = load_bundle(model_dir or default_model_dir())
    labels = read_labels(label_file, bundle.taxonomy)
    result = run_evaluation(bundle, labels)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{result['n']} comments, model {result['model']}")
    if "themes" in result:
        t = result["themes"]
        click.echo(f"themes: micro-F1 {t['micro_f1']:.3f}, macro-F1 {t['macro_f1']:.3f}")
        for theme, m in t["per_theme"].items():
            click.echo(f"  {theme:<10} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  n={m['support']}")
    if "sentiment" in result:
        s = result["sentiment"]
        click.echo(f"sentiment: accuracy {s['accuracy']:.3f}, macro-F1 {s['macro_f1']:.3f}")
    if "theme_sentiment" in result:
        click.echo(f"theme polarity: accuracy {result['theme_sentiment']['accuracy']:.3f}")


def _model_in_use(config_path: str | None, to: str | None) -> Path:
    from .artifacts import default_model_dir

    if to:
        return Path(to)
    cfg = _config(config_path)
    return Path(cfg.run.model) if cfg.run.model else default_model_dir()


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--candidate", "candidate_dir", required=True, type=click.Path(file_okay=False), help="Newly trained model folder.")
@click.option("--current", "current_dir", type=click.Path(file_okay=False),
              help="Model to compare with (default: the one the nightly run uses).")
@click.option("--labels", "label_file", default="data/labelled/test.csv", show_default=True,
              type=click.Path(dir_okay=False), help="Labelled comments both models are scored on.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML configuration ([run] model).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(candidate_dir, current_dir, label_file, config_path, as_json):
    """Compare a candidate with the current model: per-theme and overall deltas with paired
    bootstrap 95% intervals, and whether the candidate may be promoted.

    \b
    Example:
      cxtext compare --candidate models/candidate --labels data/labelled/test.csv
    """
    from .compare import compare_models, format_comparison

    result = compare_models(candidate_dir, current_dir or _model_in_use(config_path, None), label_file)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else format_comparison(result))


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--candidate", "candidate_dir", type=click.Path(file_okay=False), help="Model folder to put in use.")
@click.option("--to", "target_dir", type=click.Path(file_okay=False),
              help="Model folder the nightly run uses (default: [run] model, else models/default).")
@click.option("--labels", "label_file", default="data/labelled/test.csv", show_default=True,
              type=click.Path(dir_okay=False), help="Fixed test data the candidate must not be worse on.")
@click.option("--force", is_flag=True, help="Promote even if the candidate is worse.")
@click.option("--rollback", "do_rollback", is_flag=True, help="Put the previously used model back.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML configuration ([run] model).")
def promote(candidate_dir, target_dir, label_file, force, do_rollback, config_path):
    """Replace the model the nightly run uses by a candidate that is not worse on the fixed
    test data; the replaced model is kept next to it (<folder>.previous) for --rollback.

    \b
    Examples:
      cxtext promote --candidate models/candidate
      cxtext promote --rollback
    """
    from .compare import format_comparison, promote as run_promote, rollback

    target = _model_in_use(config_path, target_dir)
    if do_rollback:
        result = rollback(target)
        click.echo(f"rolled back: {target} is now {result['now']} (kept {result['previous']} as previous)")
        return
    if not candidate_dir:
        raise click.UsageError("give --candidate DIR (or --rollback)")
    result = run_promote(candidate_dir, target, label_file, force=force)
    if result.get("comparison"):
        click.echo(format_comparison(result["comparison"]))
    click.echo(f"promoted {candidate_dir} to {target}" + (f"; previous model kept in {result['previous']}" if result["previous"] else "")
               + (" (forced)" if result["forced"] else ""))


@cli.command("suggest-labels", context_settings=CONTEXT_SETTINGS)
@click.option("--input", "inputs", multiple=True, required=True, metavar="PATH", help="Survey export(s) to pick from.")
@click.option("--n", "count", type=click.IntRange(min=1), default=200, show_default=True, help="How many comments.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False), help="CSV to write.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML configuration (header mapping).")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="Model folder (default: models/default).")
def suggest_labels(inputs, count, out_file, config_path, model_dir):
    """Pick the comments most worth labelling next (uncertain, contradictory, new words;
    no near-duplicates) and write them with predictions pre-filled, ready to correct and
    pass to `cxtext train`.

    \b
    Example:
      cxtext suggest-labels --input data/samples/survey_sample.csv --n 200 --out to_label.csv
    """
    from .artifacts import default_model_dir, load_bundle
    from .readers import expand_inputs, read_survey
    from .suggest import suggest_labels as pick
    from .validation import split_valid

    cfg = _config(config_path)
    bundle = load_bundle(model_dir or cfg.run.model or default_model_dir())
    ids, texts, scores = [], [], []
    for path in expand_inputs(list(inputs)):
        survey = read_survey(path, cfg.input)
        valid, _ = split_valid(survey.rows, cfg.input, tuple(s for s in cfg.input.segments if s in survey.rows))
        ids += list(valid["response_id"])
        texts += list(valid["comment"].fillna(""))
        scores += [int(v) for v in valid["nps_score"]]
    table = pick(bundle, ids, texts, count, scores)
    table.to_csv(out_file, index=False, encoding="utf-8")
    click.echo(f"wrote {len(table)} comments to {out_file}: correct themes, sentiment and theme_sentiments, "
               f"then add the file to `cxtext train --labels`")


def main(argv: list[str] | None = None) -> None:
    """Entry point: CxtextError → `Error: …` on stderr and exit 1; anything else is a bug."""
    try:
        rc = cli.main(args=argv, prog_name="cxtext", standalone_mode=False)
    except Terminated:
        click.echo("Error: stopped by SIGTERM; the previous outputs are unchanged", err=True)
        sys.exit(143)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Error: interrupted; the previous outputs are unchanged", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CxtextError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(rc if isinstance(rc, int) else 0)
