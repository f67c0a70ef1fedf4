"""Saving and loading model bundles: joblib + card.json (+ CARD.md for people).

Trust model: a joblib file is a pickle and runs code when loaded. A bundle is loaded only
after its card's SHA-256 matches the file and the library versions it was made with match
the installed ones; load only folders you trained or shipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from .classifiers import ModelBundle
from .errors import ModelError
from .tokens import JapaneseTokenizer, _dist_version

MODEL_FILE = "model.joblib"
CARD_JSON = "card.json"
CARD_MD = "CARD.md"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def library_versions() -> dict[str, Any]:
    info = JapaneseTokenizer.dictionary_info()
    return {
        "python": platform.python_version(),
        "cxtext": _dist_version("cxtext"),
        "scikit-learn": _dist_version("scikit-learn"),
        "numpy": _dist_version("numpy"),
        "joblib": _dist_version("joblib"),
        "fugashi": info["fugashi"],
        "unidic-lite": info["unidic_lite"],
        "dictionary_version": info["dictionary_version"],
    }


def _minor(version: str | None) -> str:
    return ".".join((version or "").split(".")[:2])


def top_features(bundle: ModelBundle, k: int = 12) -> dict[str, list[str]]:
    """Highest-weighted features per theme, for the card (what the model listens to)."""
    if bundle.theme_model is None:
        return {}
    union = bundle.theme_model.named_steps["features"]
    names = union.get_feature_names_out()
    estimators = bundle.theme_model.named_steps["classifier"].estimators_
    out = {}
    for theme, est in zip(bundle.theme_ids, estimators):
        coef = getattr(est, "coef_", None)
        if coef is None:
            out[theme] = []
            continue
        order = np.argsort(coef.ravel())[::-1][:k]
        out[theme] = [str(names[i]).split("__", 1)[-1] for i in order]
    return out


def save_bundle(bundle: ModelBundle, out_dir: str | Path, card: dict[str, Any]) -> Path:
    """Write model.joblib, card.json and CARD.md to a temp folder, then move it into place."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ModelError(f"{out_dir} already exists and is not empty; choose a new folder for the candidate")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a model folder is meant to be shared
    try:
        joblib.dump(bundle, tmp / MODEL_FILE, compress=3)
        full_card = {
            "name": bundle.name,
            "version": bundle.version,
            "created_at": dt.datetime.now().isoformat(timespec="seconds"),
            "taxonomy": [{"id": t.id, "name_ja": t.name_ja} for t in bundle.taxonomy.themes],
            "versions": library_versions(),
            "tokenizer": bundle.tokenizer.get_params(),
            "top_features": top_features(bundle),
            **card,
            "files": {MODEL_FILE: file_sha256(tmp / MODEL_FILE)},
        }
        (tmp / CARD_JSON).write_text(json.dumps(full_card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (tmp / CARD_MD).write_text(render_card_markdown(full_card), encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def read_card(model_dir: str | Path) -> dict[str, Any]:
    model_dir = Path(model_dir)
    card_path = model_dir / CARD_JSON
    if not model_dir.is_dir():
        raise ModelError(f"model folder {model_dir} does not exist; pass --model DIR or train one with `cxtext train`")
    try:
        return json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{model_dir} has no {CARD_JSON}; it is not a cxtext model folder") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{card_path} is damaged ({exc}); restore the model folder") from None


def load_bundle(model_dir: str | Path) -> ModelBundle:
    """Verify, then load. Raises ModelError naming what is wrong and how to fix it."""
    model_dir = Path(model_dir)
    card = read_card(model_dir)
    model_path = model_dir / MODEL_FILE
    if not model_path.is_file():
        raise ModelError(f"{model_dir} has no {MODEL_FILE}; restore the model folder")
    expected = (card.get("files") or {}).get(MODEL_FILE)
    if not expected or file_sha256(model_path) != expected:
        raise ModelError(
            f"{model_path} does not match the checksum in its card (altered or truncated); "
            "refusing to load it: restore the folder from the release or retrain"
        )
    trained = card.get("versions") or {}
    current = {"scikit-learn": _dist_version("scikit-learn"), "unidic-lite": _dist_version("unidic-lite")}
    if _minor(trained.get("scikit-learn")) != _minor(current["scikit-learn"]):
        raise ModelError(
            f"model in {model_dir} was trained with scikit-learn {trained.get('scikit-learn')}, "
            f"installed is {current['scikit-learn']}; install scikit-learn=={trained.get('scikit-learn')} or retrain"
        )
    if trained.get("unidic-lite") != current["unidic-lite"]:
        raise ModelError(
            f"model in {model_dir} was trained with unidic-lite {trained.get('unidic-lite')}, "
            f"installed is {current['unidic-lite']}; install unidic-lite=={trained.get('unidic-lite')} or retrain"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # patch-level sklearn differences were checked above
            bundle = joblib.load(model_path)
    except Exception as exc:  # a verified file that still fails to unpickle: name it
        raise ModelError(f"cannot load {model_path}: {type(exc).__name__}: {exc}") from None
    if not isinstance(bundle, ModelBundle):
        raise ModelError(f"{model_path} does not hold a cxtext model bundle")
    return bundle


def default_model_dir() -> Path:
    """models/default in the working folder, else next to the package (a source checkout)."""
    env = os.environ.get("CXTEXT_MODEL")
    if env:
        return Path(env)
    here = Path.cwd() / "models" / "default"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "models" / "default"


def render_card_markdown(card: dict[str, Any]) -> str:
    lines = [f"# Model card: {card['name']} {card['version']}", "", f"Created {card['created_at']}.", ""]
    training = card.get("training", {})
    lines += ["## Training data", ""]
    for src in card.get("training_data", {}).get("sources", []):
        lines.append(f"- `{src}`")
    td = card.get("training_data", {})
    if td:
        lines.append(f"- {td.get('n')} comments, SHA-256 `{td.get('sha256', '')[:16]}…`")
    counts = training.get("label_counts", {})
    if counts.get("themes"):
        lines += ["", "| theme | examples | threshold | CV F1 [95% CI] | CV calibration error | test F1 |",
                  "|---|---|---|---|---|---|"]
        cv_all = training.get("cv", {})
        cv = cv_all.get("themes", {}).get("per_theme", {})
        ci = cv_all.get("theme_f1_95ci", {})
        cal = cv_all.get("calibration", {}).get("per_theme", {})
        test = card.get("test_metrics", {}).get("themes", {}).get("per_theme", {})
        for theme, count in counts["themes"].items():
            thr = training.get("thresholds", {}).get(theme, "")
            interval = f" [{ci[theme][0]}–{ci[theme][1]}]" if theme in ci else ""
            lines.append(f"| {theme} | {count} | {thr} | {cv.get(theme, {}).get('f1', '')}{interval} | "
                         f"{cal.get(theme, {}).get('ece', '')} | {test.get(theme, {}).get('f1', '')} |")
    conf = training.get("cv", {}).get("sentiment_confusion")
    if conf:
        classes = list(conf)
        lines += ["", "Sentiment, cross-validated (rows: label, columns: predicted):", "",
                  "| | " + " | ".join(classes) + " |", "|---" * (len(classes) + 1) + "|"]
        lines += [f"| {g} | " + " | ".join(str(conf[g][p]) for p in classes) + " |" for g in classes]
    lines += ["", "## Metrics", "", "Cross-validated on the training data:", "", "```json",
              json.dumps(training.get("cv", {}), ensure_ascii=False, indent=1)[:3000], "```"]
    if card.get("test_metrics"):
        tm = dict(card["test_metrics"])
        lines += ["", "On the fixed test split (never trained on):", "", "```json", json.dumps(tm, ensure_ascii=False, indent=1)[:4000], "```"]
    if training.get("skipped"):
        lines += ["", "Skipped: " + "; ".join(training["skipped"])]
    lines += ["", "## Versions", ""] + [f"- {k}: {v}" for k, v in card.get("versions", {}).items()]
    lines += ["", "## Top features per theme", ""]
    for theme, feats in card.get("top_features", {}).items():
        lines.append(f"- **{theme}**: {' / '.join(feats)}")
    lines += ["", "## How it was learned", "",
              "Themes: one logistic regression per theme over lemma uni/bigrams (negation-marked),",
              "character 2–3-grams and one keyword-cue count per theme (the `keywords` of the taxonomy),",
              "with a per-theme threshold chosen on out-of-fold predictions. A theme with few examples",
              "leans on its keywords.",
              "Sentiment: multinomial logistic regression over the same kind of features plus a",
              "negation-aware polarity lexicon; the clause after a contrast (けど, が, のに) is weighted.",
              "Per-theme polarity: the same kind of model over the clauses that mention each theme.",
              "", "## Known weak spots", "",
              "- Trained on comments written for this project; very domain-specific jargon may be missed.",
              "- Sarcasm and irony without explicit cues are often read literally.", ""]
    return "\n".join(lines)
