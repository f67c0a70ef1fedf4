"""Exceptions the operator is meant to read. The CLI prints them as one `Error: …` line."""


class CxtextError(Exception):
    """Base class: anything raised as a CxtextError is an expected, explainable failure."""

    exit_code = 1


class ConfigError(CxtextError):
    """The TOML configuration is missing, unreadable or inconsistent."""


class InputError(CxtextError):
    """A survey export or labelled file cannot be used as a whole (unreadable, missing column)."""


class ModelError(CxtextError):
    """A model folder is missing, altered, or was made with incompatible library versions."""
