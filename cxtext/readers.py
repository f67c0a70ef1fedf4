"""Reading survey exports and labelled-comment files. One reader per format.

Survey exports come from survey tools and CRMs: UTF-8 (with or without BOM), Shift_JIS/CP932
or UTF-16, CRLF line ends, quoted comments spanning lines, Japanese headers. Rows that
cannot be parsed become rejects with a reason; a file that cannot be used at all raises
InputError with a message that names the file and the fix.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from . import schema
from .config import InputConfig
from .errors import InputError

log = logging.getLogger(__name__)

csv.field_size_limit(64 * 1024 * 1024)  # a runaway quoted field is still one (rejected) row

SOURCE_FILE = "source_file"
ROW_NUMBER = "row_number"


@dataclass
class SurveyFile:
    """One export as read: rows as strings keyed by canonical names, plus parse rejects."""

    path: str
    sha256: str
    encoding: str
    rows: pd.DataFrame  # canonical + segment columns (str), source_file, row_number
    rejects: list[dict] = field(default_factory=list)
    segments: tuple[str, ...] = ()

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.rejects)


# Python's cp932 codec maps the bytes 0xA0 and 0xFD-0xFF, which no Japanese tool writes, to
# private-use characters U+F8F0-U+F8F3; treat them as undecodable rather than as text.
_CP932_STRAY_BYTES = re.compile("[\uf8f0-\uf8f3]")


def _strict_decode(raw: bytes, enc: str) -> str:
    text = raw.decode(enc)
    if enc == "cp932" and (m := _CP932_STRAY_BYTES.search(text)):
        raise UnicodeDecodeError(enc, raw, m.start(), m.start() + 1, "byte never written by Shift_JIS tools")
    return text


def _decode_lines(data: bytes, encoding: str) -> tuple[str, str, set[int]]:
    """Decode bytes to text; return (text, encoding used, 1-based line numbers that failed).

    'auto' tries UTF-8 (BOM or not), then CP932; when neither fits the whole file (mixed
    encodings), each line is decoded on its own and lines that fit neither are reported.
    Splitting on b'\\n' is safe for both: 0x0A never occurs inside a CP932 character.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding in ("auto", "utf-16"):
        try:
            return data.decode("utf-16"), "utf-16", set()
        except UnicodeDecodeError:
            pass
    candidates = ["utf-8-sig", "cp932"] if encoding == "auto" else [encoding]
    for enc in candidates:
        try:
            decoded = _strict_decode(data, enc)
            if enc == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
                enc = "utf-8"
            return decoded, enc, set()
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}; use auto, utf-8, utf-8-sig or cp932") from None
    lines = data.split(b"\n")
    out, bad = [], set()
    used: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        for enc in candidates:
            try:
                out.append(_strict_decode(raw, enc))
                used[enc] = used.get(enc, 0) + 1
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append(raw.decode(candidates[0], errors="replace"))
            bad.add(number)
    label = "+".join(sorted(used, key=used.get, reverse=True)) or candidates[0]
    return "\n".join(out), f"mixed({label})", bad


def _clean_header(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell.replace("\ufeff", "")).strip()


def _resolve_columns(header: list[str], cfg: InputConfig, path: Path) -> dict[str, int]:
    """Map canonical and segment names to column positions; raise on what is missing."""
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        positions.setdefault(name, []).append(i)
    resolved: dict[str, int] = {}
    wanted = list(schema.CANONICAL_COLUMNS) + [s for s in cfg.segments if s not in schema.CANONICAL_COLUMNS]
    for name in wanted:
        configured = _clean_header(cfg.columns.get(name, name))
        candidates = [configured] if configured in positions else ([name] if name in positions else [])
        if not candidates:
            if name in schema.REQUIRED_COLUMNS:
                hint = (
                    f'set [input.columns] {name} = "<header>" in the config'
                    if name not in cfg.columns
                    else f"fix [input.columns] {name} in the config"
                )
                raise InputError(
                    f"{path}: required column {configured!r} ({name}) not found; {hint} "
                    f"(headers found: {', '.join(header) or 'none'})"
                )
            if name != schema.COMMENT:
                log.warning("%s: segment column %r not found; it is left out of the breakdowns", path, name)
            continue
        header_name = candidates[0]
        if len(positions[header_name]) > 1:
            raise InputError(
                f"{path}: column {header_name!r} appears {len(positions[header_name])} times in the header; "
                "remove or rename the duplicates"
            )
        resolved[name] = positions[header_name][0]
    return resolved


_READ_BUFFER = 1 << 20  # both passes read the file through a 1 MiB buffer, line by line


def _whole_file_encoding(data_start: bytes, encoding: str) -> bool:
    """UTF-16/32 text cannot be split on the byte 0x0A (it is half of many characters), so such
    files are decoded whole, as before streaming. They are rare and small: survey tools write
    UTF-8 or CP932; UTF-16 comes from an occasional hand-saved Excel "Unicode text"."""
    if data_start.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding in ("auto", "utf-16"):
        return True
    try:
        return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    except LookupError:  # "auto", or an unknown name reported by the line-by-line decode
        return False


def _scan(path: Path, encoding: str) -> dict:
    """First pass over the bytes, line by line (memory bounded by the longest line): checksum,
    which encoding fits every line, and the lines no candidate decodes. Mirrors the whole-file
    _decode_lines, which the UTF-16 path still uses; splitting on b"\n" is safe for UTF-8 and
    CP932 (0x0A is never part of a multi-byte character in either)."""
    digest = hashlib.sha256()
    candidates = ["utf-8-sig", "cp932"] if encoding == "auto" else [encoding]
    fits = dict.fromkeys(candidates, True)  # does every line decode with this encoding?
    per_line: dict[str, int] = {}
    bad: set[int] = set()
    lines = 0
    non_blank = False
    first = b""
    ended_with_newline = False
    with path.open("rb", buffering=_READ_BUFFER) as fh:
        for lines, raw in enumerate(fh, start=1):
            if lines == 1:
                first = raw[:4]
                if _whole_file_encoding(first, encoding):
                    return {"whole_file": True}
            digest.update(raw)
            non_blank = non_blank or bool(raw.strip())
            ended_with_newline = raw.endswith(b"\n")
            body = raw[:-1] if ended_with_newline else raw
            line_fits = None
            for enc in candidates:
                try:
                    # whole-file utf-8-sig strips a BOM only at the start of the file
                    _strict_decode(body, enc if lines == 1 or enc != "utf-8-sig" else "utf-8")
                except UnicodeDecodeError:
                    fits[enc] = False
                    continue
                except LookupError:
                    raise InputError(f"unknown encoding {encoding!r}; use auto, utf-8, utf-8-sig or cp932") from None
                line_fits = line_fits or enc
            if line_fits is None:
                bad.add(lines)
            else:
                per_line[line_fits] = per_line.get(line_fits, 0) + 1
    # A file ending with a line break has one more, empty, "line" (as bytes.split sees it).
    if ended_with_newline or lines == 0:
        lines += 1
        per_line[candidates[0]] = per_line.get(candidates[0], 0) + 1
    chosen = next((enc for enc in candidates if fits[enc]), None)
    if chosen == "utf-8-sig" and not first.startswith(b"\xef\xbb\xbf"):
        chosen = "utf-8"
    label = chosen or f"mixed({'+'.join(sorted(per_line, key=per_line.get, reverse=True)) or candidates[0]})"
    return {"whole_file": False, "sha256": digest.hexdigest(), "encoding": label, "uniform": chosen,
            "candidates": candidates, "bad_lines": bad if chosen is None else set(), "total_lines": lines,
            "non_blank": non_blank}


def _decoded_lines(path: Path, scan: dict) -> Iterator[str]:
    """Second pass: the file as text lines split like io.StringIO(text, newline="") would
    (on \\n, \\r\\n and a lone \\r), NUL bytes removed; decoded as _decode_lines would."""
    uniform, candidates = scan["uniform"], scan["candidates"]
    with path.open("rb", buffering=_READ_BUFFER) as fh:
        for number, raw in enumerate(fh, start=1):
            if uniform:
                enc = "utf-8-sig" if number == 1 and uniform == "utf-8-sig" else (
                    "utf-8" if uniform in ("utf-8", "utf-8-sig") else uniform)
                text = raw.decode(enc)
            else:  # mixed: each line on its own, a BOM dropped from any line (as _decode_lines)
                newline = "\n" if raw.endswith(b"\n") else ""
                body = raw[:-1] if newline else raw
                for enc in candidates:
                    try:
                        text = _strict_decode(body, enc) + newline
                        break
                    except UnicodeDecodeError:
                        continue
                else:
                    text = raw.decode(candidates[0], errors="replace")
            text = text.replace("\x00", "")
            # Only a "\r" right before the closing "\n" is part of this line's end; any other
            # "\r" (lone, or "\r\r\n") is a line break of its own to io.StringIO(newline="").
            if "\r" in text.removesuffix("\n").removesuffix("\r"):
                yield from io.StringIO(text, newline="")
            elif text:
                yield text


class _TextTally:
    """Passes text lines through to csv.reader, counting what the cut-off check needs (quotes,
    the last character) over exactly the text the reader sees, so that it matches the
    whole-text check of the earlier reader whatever the decoding did to the bytes."""

    def __init__(self, lines: Iterator[str]):
        self._lines = iter(lines)
        self.quotes = 0
        self.last_char = ""

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.quotes += line.count('"')
        if line:
            self.last_char = line[-1]
        return line

    def drain(self) -> None:
        """Read what csv.reader left after a parse error: the check covers the whole text."""
        for _ in self:
            pass

    @property
    def cut_inside_quote(self) -> bool:
        # An unterminated quote at the end swallows the rest of the file into one field.
        return self.last_char not in ("\n", "\r") and self.quotes % 2 == 1


class SurveyStream:
    """One export, read in chunks: iterate for (rows, rejects) pairs of at most ``chunk_rows``
    rows and rejects together (plus the "unparseable from here on" reject, if any), with the
    same columns and reject dicts as read_survey; the last pair may have no rows. Whole-file problems
    (missing file, no header, missing or duplicated column, undecodable file) raise
    InputError on construction, before any row is read. ``sha256`` is known on construction,
    ``rows_read`` after the iteration.

    Memory is bounded by ``chunk_rows`` and the longest line, not by the file: one pass over
    the bytes checks the encoding and hashes, a second decodes line by line into csv.reader.
    UTF-16 files, and files whose only line breaks are lone CRs, are still held whole."""

    def __init__(self, path: str | Path, cfg: InputConfig, chunk_rows: int = 50_000):
        self.path_obj = path = Path(path)
        self.path = str(path)  # as read_survey always wrote it: str(Path(...))
        self.chunk_rows = max(1, chunk_rows)
        self.rows_read = 0
        try:
            scan = _scan(path, cfg.encoding)
        except FileNotFoundError:
            raise InputError(f"input file {path} does not exist") from None
        except IsADirectoryError:
            raise InputError(f"input {path} is a folder; pass the CSV files in it") from None
        except OSError as exc:
            raise InputError(f"cannot read input file {path}: {exc.strerror}") from None
        if scan["whole_file"]:
            data = path.read_bytes()
            if not data.strip():
                raise InputError(f"input file {path} is empty: expected a header row and responses")
            text, encoding, bad_lines = _decode_lines(data, cfg.encoding)
            scan = {"sha256": hashlib.sha256(data).hexdigest(), "encoding": encoding, "bad_lines": bad_lines,
                    "total_lines": text.count("\n") + 1}
            del data
            lines: Iterator[str] = io.StringIO(text.replace("\x00", ""), newline="")
            del text
        else:
            if not scan["non_blank"]:
                raise InputError(f"input file {path} is empty: expected a header row and responses")
            lines = _decoded_lines(path, scan)
        self.sha256, self.encoding = scan["sha256"], scan["encoding"]
        self._bad_lines = scan["bad_lines"]
        total_lines = scan["total_lines"]
        if self._bad_lines and len(self._bad_lines) > max(3, total_lines // 2):
            raise InputError(
                f"{path}: {len(self._bad_lines)} of {total_lines} lines are not valid {cfg.encoding}; "
                "set [input] encoding (utf-8 or cp932) in the config, or re-export the file"
            )
        self._text = _TextTally(lines)
        self._reader = csv.reader(self._text)
        try:
            header_raw = next(self._reader)
        except StopIteration:  # only NUL bytes: the empty check above saw bytes, csv sees no text
            raise InputError(f"input file {path} has no header row") from None
        except csv.Error as exc:
            raise InputError(f"{path}: the header row is not valid CSV ({exc})") from None
        self.header = [_clean_header(h) for h in header_raw]
        if 1 in self._bad_lines:
            raise InputError(f"{path}: the header row is not valid {self.encoding}; set [input] encoding in the config")
        self.columns = _resolve_columns(self.header, cfg, path)
        self.segments = tuple(s for s in cfg.segments if s in self.columns)
        self._consumed = False

    def _records(self) -> Iterator[tuple[list[str], int, int, int] | str]:
        """Parsed records (values, record number, first line, last line); a str at the end
        when the CSV became unparseable."""
        reader = self._reader
        record_number = 1  # the header is row 1, as in a spreadsheet
        last_line = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield str(exc)
                return
            first_line, last_line = last_line + 1, reader.line_num
            if not values:
                continue  # a blank line is not a row
            record_number += 1
            yield values, record_number, first_line, last_line

    def __iter__(self) -> Iterator[tuple[pd.DataFrame, list[dict]]]:
        if self._consumed:
            raise RuntimeError(f"{self.path} was already read")  # a programming error
        self._consumed = True
        path, header, bad_lines = self.path_obj, self.header, self._bad_lines
        id_pos = self.columns[schema.RESPONSE_ID]
        records: list[list[str]] = []
        numbers: list[int] = []
        rejects: list[dict] = []
        n_rows = n_rejects = 0
        last_number = 1

        def classify(values: list[str], number: int, first_line: int, last_line: int, is_last: bool) -> None:
            rid = values[id_pos].strip() if len(values) > id_pos else ""
            if any(line in bad_lines for line in range(first_line, last_line + 1)):
                rejects.append(_reject(path, number, rid, schema.REJECT_ENCODING,
                                       f"bytes that are neither UTF-8 nor CP932 on line(s) {first_line}-{last_line}",
                                       values))
            elif is_last and self._text.cut_inside_quote:  # known once all text was read
                rejects.append(_reject(path, number, rid, schema.REJECT_FIELD_COUNT,
                                       "the file ends inside a quoted field (cut off?)", values))
            elif len(values) != len(header):
                rejects.append(_reject(path, number, rid, schema.REJECT_FIELD_COUNT,
                                       f"expected {len(header)} fields, found {len(values)}", values))
            else:
                records.append(values)
                numbers.append(number)

        pending = None  # one record of look-ahead: only the last one can be "cut inside a quote"
        parse_error = None
        for item in self._records():
            if isinstance(item, str):
                parse_error = item
                break
            if pending is not None:
                classify(*pending, is_last=False)
            pending = item
            last_number = item[1]
            # rejects count too, so that a file of nothing but bad rows is still read in pieces
            if len(records) + len(rejects) >= self.chunk_rows:
                n_rows, n_rejects = n_rows + len(records), n_rejects + len(rejects)
                yield self._frame(records, numbers), rejects
                records, numbers, rejects = [], [], []
        if parse_error:
            self._text.drain()
        if pending is not None:
            classify(*pending, is_last=True)
        if parse_error:
            rejects.append(_reject(path, last_number + 1, "", schema.REJECT_FIELD_COUNT,
                                   f"unparseable CSV from here on: {parse_error}", []))
        n_rows, n_rejects = n_rows + len(records), n_rejects + len(rejects)
        self.rows_read = n_rows + n_rejects
        log.info("read %s: %d rows (%s), %d unparseable", path, n_rows, self.encoding, n_rejects)
        yield self._frame(records, numbers), rejects

    def _frame(self, records: list[list[str]], numbers: list[int]) -> pd.DataFrame:
        frame = pd.DataFrame({name: [r[pos] for r in records] for name, pos in self.columns.items()}, dtype=object)
        if schema.COMMENT not in frame:
            frame[schema.COMMENT] = ""
        frame[SOURCE_FILE] = self.path
        frame[ROW_NUMBER] = numbers
        return frame


def iter_survey(path: str | Path, cfg: InputConfig, chunk_rows: int = 50_000) -> SurveyStream:
    """Read one export in chunks (see SurveyStream)."""
    return SurveyStream(path, cfg, chunk_rows)


def read_survey(path: str | Path, cfg: InputConfig) -> SurveyFile:
    """Read one whole export. Raises InputError for a file that cannot be used as a whole."""
    stream = iter_survey(path, cfg)
    frames, rejects = [], []
    for rows, chunk_rejects in stream:
        frames.append(rows)
        rejects += chunk_rejects
    frames = [f for f in frames if len(f)] or frames[-1:]  # the last chunk may be empty
    rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return SurveyFile(stream.path, stream.sha256, stream.encoding, rows, rejects, stream.segments)


def _reject(path: Path, row_number: int, response_id: str, reason: str, detail: str, values: list[str]) -> dict:
    return {
        "source_file": str(path),
        "row_number": row_number,
        "response_id": response_id.replace("\ufeff", ""),
        "reason": reason,
        "detail": detail,
        "raw_values": values,
    }


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files, folders (their *.csv) and globs → a sorted, de-duplicated list of files."""
    import glob

    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(p.glob("*.csv")) + sorted(p.glob("*.CSV"))
            if not found:
                raise InputError(f"input folder {p} holds no .csv files")
            files.extend(found)
        elif any(ch in item for ch in "*?["):
            found = sorted(Path(m) for m in glob.glob(item))
            if not found:
                raise InputError(f"input pattern {item!r} matches no files")
            files.extend(found)
        else:
            files.append(p)
    seen, unique = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique
