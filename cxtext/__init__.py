"""cxtext: Japanese customer-feedback comments → complaint themes, sentiment and the themes
that drive detractors. Importing the package does no work; the API is below."""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("cxtext")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

__all__ = [
    "__version__",
    "CxtextError",
    "Config",
    "load_config",
    "read_survey",
    "split_valid",
    "normalize_comment",
    "JapaneseTokenizer",
    "load_taxonomy",
    "read_labels",
    "ModelBundle",
    "train",
    "evaluate",
    "load_bundle",
    "save_bundle",
    "run_nightly",
]


def __getattr__(name: str):
    # Lazy imports keep `import cxtext` instant (no pandas/sklearn/MeCab at import time).
    import importlib

    where = {
        "CxtextError": "errors", "Config": "config", "load_config": "config", "read_survey": "readers",
        "split_valid": "validation", "normalize_comment": "normalize", "JapaneseTokenizer": "tokens",
        "load_taxonomy": "taxonomy", "read_labels": "labels", "ModelBundle": "classifiers",
        "train": "training", "evaluate": "evaluation", "load_bundle": "artifacts", "save_bundle": "artifacts",
        "run_nightly": "run",
    }
    if name in where:
        return getattr(importlib.import_module(f".{where[name]}", __name__), name)
    raise AttributeError(f"module 'cxtext' has no attribute {name!r}")
