"""Scoring many comments: in chunks, over several processes, and skipping what an earlier
run already scored with the same model.

Parallelism: a pool of joblib's loky worker processes (ProcessScorer), each of which
unpickles the ModelBundle once, when it starts, and then receives only texts; the fugashi
Tagger inside its tokenizer is built lazily in each process (it cannot be pickled). Every
chunk is scored by the same deterministic code, so any ``jobs`` value gives the same table
as ``jobs=1``.

Cache: an SQLite file keyed by (model label, response id, SHA-1 of the comment). SQLite
commits atomically, so a run killed mid-way leaves a consistent cache behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

log = logging.getLogger(__name__)
CHUNK = 2000


def default_jobs() -> int:
    """All cores the process may use (respects CPU affinity, e.g. in containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _score_chunk(bundle, texts: list[str]) -> pd.DataFrame:
    return bundle.predict(texts, batch_size=len(texts) or 1)


def score(bundle, texts: Sequence[str], jobs: int = 1, chunk_size: int = CHUNK,
          progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """bundle.predict over texts, split in chunks; ``jobs`` > 1 scores chunks in parallel."""
    texts = list(texts)
    if not texts:
        return bundle.predict([])
    n_chunks = -(-len(texts) // chunk_size)
    if min(jobs, n_chunks) <= 1:
        frames = []
        for start in range(0, len(texts), chunk_size):
            chunk = texts[start : start + chunk_size]
            frames.append(_score_chunk(bundle, chunk))
            if progress:
                progress(len(chunk))
        return pd.concat(frames, ignore_index=True)
    with ProcessScorer(bundle, min(jobs, n_chunks), chunk_size) as scorer:
        return scorer(texts, progress)


_WORKER_BUNDLE = None  # the model, in a worker process of ProcessScorer


def _load_worker_bundle(payload: bytes) -> None:
    global _WORKER_BUNDLE
    _WORKER_BUNDLE = pickle.loads(payload)


def _score_in_worker(texts: list[str]) -> pd.DataFrame:
    return _score_chunk(_WORKER_BUNDLE, texts)


class ProcessScorer:
    """Scoring over ``jobs`` worker processes, for a whole run: the model is pickled once and
    each worker loads it once, at start-up (sending it with every chunk, as joblib.Parallel
    does, cost a restart of the workers on each call: loky's leak check saw them grow by the
    size of a model per chunk). Workers are joblib's loky processes; used as a context
    manager, so that they are stopped when the run ends, fails or is interrupted."""

    def __init__(self, bundle, jobs: int, chunk_size: int = CHUNK):
        self.bundle, self.jobs, self.chunk_size = bundle, max(1, jobs), chunk_size
        self._executor = None

    def __enter__(self) -> "ProcessScorer":
        from joblib.externals.loky import get_reusable_executor

        payload = pickle.dumps(self.bundle, protocol=pickle.HIGHEST_PROTOCOL)
        self._executor = get_reusable_executor(max_workers=self.jobs, initializer=_load_worker_bundle,
                                               initargs=(payload,), reuse=False)
        return self

    def __call__(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        texts = list(texts)
        if not texts:
            return self.bundle.predict([])
        chunks = [texts[i : i + self.chunk_size] for i in range(0, len(texts), self.chunk_size)]
        futures = [self._executor.submit(_score_in_worker, chunk) for chunk in chunks]
        frames = []
        for chunk, future in zip(chunks, futures):  # in input order
            frames.append(future.result())
            if progress:
                progress(len(chunk))
        return pd.concat(frames, ignore_index=True)

    def __exit__(self, exc_type=None, *exc) -> None:
        if self._executor is not None:
            # After a failure or an interrupt, do not wait for chunks still being scored.
            self._executor.shutdown(wait=exc_type is None, kill_workers=exc_type is not None)
            self._executor = None


def _score_partition(frame: pd.DataFrame, bundle) -> pd.DataFrame:
    scored = bundle.predict(list(frame["comment"]), batch_size=max(len(frame), 1))
    scored.index = frame.index
    return scored


class DaskScorer:
    """The same scoring on a Dask cluster: a dask.dataframe of the comments, scored partition
    by partition with ModelBundle.predict on the workers. ``scheduler`` is the address of a
    running scheduler (tcp://host:8786); without one a LocalCluster of ``workers`` processes
    is started. Used as a context manager, so that one client (and one copy of the model on
    each worker, sent once as a graph key) serves every chunk of a run."""

    def __init__(self, bundle, scheduler: str | None = None, workers: int = 2, chunk_size: int = CHUNK):
        self.bundle, self.scheduler, self.workers, self.chunk_size = bundle, scheduler, workers, chunk_size
        self._cluster = self._client = self._shared = None
        self._meta = bundle.predict(["x"]).iloc[:0]

    def __enter__(self) -> "DaskScorer":
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
        try:
            self._client = Client(self.scheduler or self._cluster)
            log.info("scoring on the Dask cluster %s", self._client.scheduler.address)
            self._shared = self._client.scatter(self.bundle, broadcast=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __call__(self, texts: Sequence[str]) -> pd.DataFrame:
        import dask.dataframe as dd

        texts = list(texts)
        if not texts:
            return self.bundle.predict([])
        frame = pd.DataFrame({"comment": texts})
        ddf = dd.from_pandas(frame, npartitions=max(1, -(-len(texts) // self.chunk_size)), sort=False)
        result = ddf.map_partitions(_score_partition, self._shared, meta=self._meta).compute()
        return result.sort_index().reset_index(drop=True).astype(self._meta.dtypes.to_dict())

    def __exit__(self, *exc) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def score_dask(bundle, texts: Sequence[str], scheduler: str | None = None, workers: int = 2,
               chunk_size: int = CHUNK) -> pd.DataFrame:
    """One-off scoring of ``texts`` on a Dask cluster (see DaskScorer)."""
    if not len(texts):
        return bundle.predict([])
    with DaskScorer(bundle, scheduler, workers, chunk_size) as scorer:
        return scorer(texts)


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class ScoreCache:
    """Scores of earlier runs, per model label. ``lookup`` returns the cached rows (or None)
    for each (response id, comment) pair; ``store`` adds newly scored rows."""

    def __init__(self, path: str | Path, model_label: str):
        self.path = Path(path)
        self.model = model_label
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS scores (model TEXT, response_id TEXT, text_sha1 TEXT, "
                         "row TEXT, PRIMARY KEY (model, response_id, text_sha1))")
        self._db.commit()

    def lookup(self, response_ids: Sequence[str], texts: Sequence[str]) -> list[dict | None]:
        found: dict[tuple[str, str], dict] = {}
        keys = [(str(r), text_key(t)) for r, t in zip(response_ids, texts)]
        cur = self._db.cursor()
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            ids = [k[0] for k in batch]
            marks = ",".join("?" * len(ids))
            for rid, sha, row in cur.execute(
                    f"SELECT response_id, text_sha1, row FROM scores WHERE model = ? AND response_id IN ({marks})",
                    [self.model, *ids]):
                found[(rid, sha)] = json.loads(row)
        return [found.get(k) for k in keys]

    def store(self, response_ids: Sequence[str], texts: Sequence[str], rows: pd.DataFrame) -> None:
        records = rows.to_dict(orient="records")
        with self._db:  # one transaction
            self._db.executemany(
                "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?)",
                [(self.model, str(r), text_key(t), json.dumps(rec, ensure_ascii=False))
                 for r, t, rec in zip(response_ids, texts, records)])

    def close(self) -> None:
        self._db.close()


def cached_rows(cache: ScoreCache | None, response_ids: Sequence[str], texts: Sequence[str]
                ) -> tuple[list[dict | None], list[int]]:
    """Cached rows (None where missing) and the positions that still need scoring."""
    if cache is None:
        return [None] * len(texts), list(range(len(texts)))
    cached = cache.lookup(response_ids, texts)
    return cached, [i for i, row in enumerate(cached) if row is None]


def merge_cached(cached: list[dict | None], todo: list[int], fresh: pd.DataFrame) -> pd.DataFrame:
    """The full table in input order from cached rows and the freshly scored ones."""
    if len(todo) == len(cached):
        return fresh.reset_index(drop=True)
    columns = list(fresh.columns)
    rows = list(cached)
    for i, rec in zip(todo, fresh.to_dict(orient="records")):
        rows[i] = rec
    table = pd.DataFrame(rows, columns=columns)
    if todo:  # mixed cached and fresh rows: keep the fresh dtypes
        table = table.astype(fresh.dtypes.to_dict())
    return table


def score_with_cache(bundle, response_ids: Sequence[str], texts: Sequence[str], cache: ScoreCache | None,
                     jobs: int = 1, progress: Callable[[int], None] | None = None,
                     scorer: Callable[[list[str]], pd.DataFrame] | None = None) -> tuple[pd.DataFrame, int]:
    """Score texts, reusing cached rows. Returns the table (in input order) and the cache hits.
    ``scorer`` replaces local scoring (the Dask engine)."""
    cached, todo = cached_rows(cache, response_ids, texts)
    if progress and len(texts) - len(todo):
        progress(len(texts) - len(todo))
    batch = [texts[i] for i in todo]
    if scorer is not None and batch:
        fresh = scorer(batch)
        if progress:
            progress(len(batch))
    else:
        fresh = score(bundle, batch, jobs=jobs, progress=progress)
    if cache is not None and todo:
        cache.store([response_ids[i] for i in todo], batch, fresh)
    return merge_cached(cached, todo, fresh), len(texts) - len(todo)
