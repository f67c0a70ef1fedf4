"""Reading survey exports and labelled-comment files. One reader per format.

Survey exports come from survey tools and CRMs: UTF-8 (with or without BOM), Shift_JIS/CP932
or UTF-16, CRLF line ends, quoted comments spanning lines, Japanese headers. Rows that
cannot be parsed become rejects with a reason; a file that cannot be used at all raises
InputError with a message that names the file and the fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

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


def read_survey(path: str | Path, cfg: InputConfig) -> SurveyFile:
    """Read one export. Raises InputError for a file that cannot be used as a whole."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"input file {path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"input {path} is a folder; pass the CSV files in it") from None
    except OSError as exc:
        raise InputError(f"cannot read input file {path}: {exc.strerror}") from None
    sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise InputError(f"input file {path} is empty: expected a header row and responses")
    text, encoding, bad_lines = _decode_lines(data, cfg.encoding)
    total_lines = text.count("\n") + 1
    if bad_lines and len(bad_lines) > max(3, total_lines // 2):
        raise InputError(
            f"{path}: {len(bad_lines)} of {total_lines} lines are not valid {cfg.encoding}; "
            "set [input] encoding (utf-8 or cp932) in the config, or re-export the file"
        )
    text = text.replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header_raw = next(reader)
    except StopIteration:  # pragma: no cover - guarded by the empty check above
        raise InputError(f"input file {path} has no header row") from None
    except csv.Error as exc:
        raise InputError(f"{path}: the header row is not valid CSV ({exc})") from None
    header = [_clean_header(h) for h in header_raw]
    if 1 in bad_lines:
        raise InputError(f"{path}: the header row is not valid {encoding}; set [input] encoding in the config")
    columns = _resolve_columns(header, cfg, path)
    segments = tuple(s for s in cfg.segments if s in columns)

    parsed: list[tuple[list[str], int, int, int]] = []  # values, record number, first/last line
    parse_error: str | None = None
    record_number = 1  # the header is row 1, as in a spreadsheet
    last_line = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parse_error = str(exc)
            break
        first_line, last_line = last_line + 1, reader.line_num
        if not values:
            continue  # a blank line is not a row
        record_number += 1
        parsed.append((values, record_number, first_line, last_line))
    # An unterminated quote at the end swallows the rest of the file into one field.
    cut_inside_quote = not text.endswith(("\n", "\r")) and text.count('"') % 2 == 1

    records: list[list[str]] = []
    numbers: list[int] = []
    rejects: list[dict] = []
    id_pos = columns[schema.RESPONSE_ID]
    for k, (values, number, first_line, last_line) in enumerate(parsed):
        rid = values[id_pos].strip() if len(values) > id_pos else ""
        if any(line in bad_lines for line in range(first_line, last_line + 1)):
            rejects.append(_reject(path, number, rid, schema.REJECT_ENCODING,
                                   f"bytes that are neither UTF-8 nor CP932 on line(s) {first_line}-{last_line}", values))
        elif k == len(parsed) - 1 and cut_inside_quote:
            rejects.append(_reject(path, number, rid, schema.REJECT_FIELD_COUNT,
                                   "the file ends inside a quoted field (cut off?)", values))
        elif len(values) != len(header):
            rejects.append(_reject(path, number, rid, schema.REJECT_FIELD_COUNT,
                                   f"expected {len(header)} fields, found {len(values)}", values))
        else:
            records.append(values)
            numbers.append(number)
    if parse_error:
        rejects.append(_reject(path, record_number + 1, "", schema.REJECT_FIELD_COUNT,
                               f"unparseable CSV from here on: {parse_error}", []))

    frame = pd.DataFrame({name: [r[pos] for r in records] for name, pos in columns.items()}, dtype=object)
    if schema.COMMENT not in frame:
        frame[schema.COMMENT] = ""
    frame[SOURCE_FILE] = str(path)
    frame[ROW_NUMBER] = numbers
    log.info("read %s: %d rows (%s), %d unparseable", path, len(records), encoding, len(rejects))
    return SurveyFile(str(path), sha256, encoding, frame, rejects, segments)


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
