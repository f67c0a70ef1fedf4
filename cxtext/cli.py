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
@click.option("--engine", type=click.Choice(["local", "dask"]), default=None,
              help="Where to score: local processes or a Dask cluster (default: [run] engine).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster for the run).")
def run(inputs, out_dir, config_path, model_dir, jobs, no_cache, engine, scheduler):
    """Score survey exports and write comments.csv, nps.csv, drivers.csv, rejects.csv, run.json.

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
