"""The theme taxonomy: ordered theme ids with their Japanese names and keywords."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Theme:
    id: str
    name_ja: str
    covers: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    def name(self, theme_id: str) -> str:
        for t in self.themes:
            if t.id == theme_id:
                return t.name_ja
        return theme_id


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read `id,name_ja,covers,keywords` (keywords `;`-separated). Ids must be ASCII snake_case."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise InputError(f"taxonomy file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read taxonomy file {path}: {exc}") from None
    if not rows or "id" not in rows[0] or "name_ja" not in rows[0]:
        raise InputError(f"taxonomy file {path} needs the columns id,name_ja (optional: covers,keywords)")
    themes, seen = [], set()
    for number, row in enumerate(rows, start=2):
        theme_id = (row.get("id") or "").strip()
        if not _ID.match(theme_id):
            raise InputError(f"{path} row {number}: theme id {theme_id!r} must be lower-case ASCII (a-z, 0-9, _)")
        if theme_id in seen:
            raise InputError(f"{path} row {number}: theme id {theme_id!r} appears twice")
        seen.add(theme_id)
        keywords = tuple(k.strip() for k in (row.get("keywords") or "").split(";") if k.strip())
        themes.append(Theme(theme_id, (row.get("name_ja") or theme_id).strip(), (row.get("covers") or "").strip(), keywords))
    return Taxonomy(tuple(themes))
