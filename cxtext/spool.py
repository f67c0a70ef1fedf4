"""The run's scored rows on disk, so that memory does not grow with the size of the export.

The streaming run (run.py) appends each chunk's output rows here, in input order, with a
sequence number. At the end it asks which rows a later row with the same response_id
supersedes (the later row wins), then streams comments.csv back in input order and
followup.csv in follow-up order, and fetches the few rows verbatims.csv can quote. SQLite
sorts and indexes on disk, which is exactly what a single-file, bounded-memory spool needs.
The file lives in the run's staging folder and goes with it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd

SEQ = "_cx_seq"  # input order across all files
TABLE = "rows"
READ_CHUNK = 20_000


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class RowSpool:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path)
        # A scratch file: losing it on a crash only loses this run, which restarts from the input.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._columns: list[str] | None = None
        self._resolved = False

    def add(self, frame: pd.DataFrame) -> None:
        """Append rows (with a SEQ column). Later chunks may not add columns."""
        if not len(frame):
            return
        if self._columns is None:
            self._columns = list(frame.columns)
            types = {c: ("INTEGER PRIMARY KEY" if c == SEQ else "") for c in self._columns}
            self._db.execute(f"CREATE TABLE {TABLE} ({', '.join(f'{_quote(c)} {t}'.strip() for c, t in types.items())})")
        marks = ", ".join("?" * len(self._columns))
        records = frame[self._columns].astype(object).where(frame[self._columns].notna(), None)
        with self._db:
            self._db.executemany(f"INSERT INTO {TABLE} VALUES ({marks})", records.itertuples(index=False, name=None))

    def superseded(self, id_column: str, columns: Sequence[str]) -> pd.DataFrame:
        """Rows that a later row with the same id replaces; they are left out of every read."""
        self._db.execute("CREATE TEMP TABLE superseded (seq INTEGER PRIMARY KEY)")
        self._resolved = True
        if self._columns is None:
            return pd.DataFrame(columns=[SEQ, *columns])
        self._db.execute(f"CREATE INDEX rows_by_id ON {TABLE} ({_quote(id_column)}, {SEQ})")
        with self._db:
            self._db.execute(
                f"INSERT INTO superseded SELECT r.{SEQ} FROM {TABLE} r WHERE EXISTS (SELECT 1 FROM {TABLE} later "
                f"WHERE later.{_quote(id_column)} = r.{_quote(id_column)} AND later.{SEQ} > r.{SEQ})")
        cols = ", ".join(_quote(c) for c in [SEQ, *columns])
        return pd.read_sql_query(f"SELECT {cols} FROM {TABLE} WHERE {SEQ} IN (SELECT seq FROM superseded) "
                                 f"ORDER BY {SEQ}", self._db)

    def read(self, columns: Sequence[str], where: str = "", order: Sequence[tuple[str, bool]] = (),
             limit: int | None = None, params: Sequence = (), chunk: int = READ_CHUNK) -> Iterator[pd.DataFrame]:
        """Current rows (superseded ones left out) in chunks; ``order`` is (column, ascending)
        pairs, input order breaking ties; ``where`` is an SQL condition with ? placeholders."""
        if not self._resolved:
            raise RuntimeError("call superseded() before reading")  # a programming error
        if self._columns is None:
            yield pd.DataFrame(columns=list(columns))
            return
        cols = ", ".join(_quote(c) for c in columns)
        conditions = [f"{SEQ} NOT IN (SELECT seq FROM superseded)"] + ([f"({where})"] if where else [])
        keys = [f"{_quote(c)} {'ASC' if asc else 'DESC'}" for c, asc in order] + [SEQ]
        sql = f"SELECT {cols} FROM {TABLE} WHERE {' AND '.join(conditions)} ORDER BY {', '.join(keys)}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cursor = self._db.execute(sql, list(params))
        while True:
            batch = cursor.fetchmany(chunk)
            if not batch:
                break
            yield pd.DataFrame.from_records(batch, columns=list(columns))

    def close(self) -> None:
        self._db.close()
