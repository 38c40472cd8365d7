"""Read CSV files as spreadsheets really export them: encodings, delimiters, decimal marks.

:func:`read_csv_file` returns the header and the data rows of a CSV file as text, with the
line each row starts on. It decodes UTF-8 (with or without a byte-order mark), UTF-16
(with a byte-order mark, or without one when the NUL-byte pattern is unmistakable) and
cp1251 (only when every non-ASCII character then reads as a Cyrillic letter inside a
Cyrillic word, the way "CSV" from a Russian or Kazakh Excel comes out); it finds the
delimiter (``,``, ``;``, tab, ``|``) from the header, honours Excel's ``sep=;`` first line,
skips blank rows (``;;;;`` included), drops unnamed empty trailing columns, and refuses
ragged rows. :func:`detect_decimal` decides between ``.`` and ``,`` as the decimal mark
from the numeric cells; :func:`parse_number` reads one cell with it.

Whatever cannot be decided is refused with a :class:`~clusterloc.errors.ScenarioError`
that names the file, the line and the setting that fixes it (``encoding``, ``delimiter``,
``decimal`` in the table's file mapping). No codec error ever reaches the user.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clusterloc.errors import ScenarioError

__all__ = [
    "CANDIDATE_DELIMITERS",
    "MAX_TABLE_BYTES",
    "CsvTable",
    "decode",
    "describe_delimiter",
    "detect_decimal",
    "detect_delimiter",
    "parse_number",
    "read_csv_file",
]

log = logging.getLogger(__name__)

#: Delimiters tried, in order of preference on a tie of equal evidence.
CANDIDATE_DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}

#: Largest table file read (bytes): a scenario table is a spreadsheet, not a data dump.
MAX_TABLE_BYTES = 200 * 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CYRILLIC_EXTRA = set("ЁёЎўІіЇїЄєҐґЈјЉљЊњЋћЏџЂђЃѓЌќ")
#: Non-letter characters that cp1251 text from Excel commonly holds.
_CP1251_PUNCT = set("«»–—№\u00a0’‘“”„…•°±§©®™·€")
_SPACES = "\u00a0\u202f\u2009 "
_GROUPED = re.compile(rf"^[+-]?\d{{1,3}}([{_SPACES}]\d{{3}})+([.,]\d+)?$")
_COMMA_NUMBER = re.compile(r"^[+-]?\d*,\d+([eE][+-]?\d+)?$")
_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")
_DOT_NUMBER = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
_SEP_LINE = re.compile(r"^\s*sep=(.)\s*$")


@dataclass
class CsvTable:
    """The text content of one CSV file.

    Attributes
    ----------
    header
        Column names (stripped), unnamed empty trailing columns dropped.
    rows
        Data rows, each as long as ``header``, cells stripped.
    lines
        1-based line on which each row starts.
    header_line
        1-based line of the header.
    encoding, delimiter
        What was used to read the file.
    """

    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    header_line: int
    encoding: str
    delimiter: str


def describe_delimiter(delimiter: str) -> str:
    """A readable name of a delimiter (``';'``, ``tab``).

    Parameters
    ----------
    delimiter
        The delimiter character.

    Returns
    -------
    str
        Its name for messages.
    """
    return _NAMES.get(delimiter, repr(delimiter))


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _refuse_spreadsheet(data: bytes, where: str, table: str) -> None:
    if data.startswith(_ZIP_MAGIC):
        raise ScenarioError(
            f"table {where} is a zipped file (an Excel .xlsx / LibreOffice .ods workbook saved "
            f"under a text name?), not CSV text; name it .xlsx (clusterloc reads the first "
            f"sheet) or save it from Excel as 'CSV UTF-8 (comma delimited)'."
        )
    if data.startswith(_OLE_MAGIC):
        raise ScenarioError(
            f"table {where} is an old binary Excel workbook (.xls), which clusterloc does not "
            f"read; save it from Excel as .xlsx or as 'CSV UTF-8 (comma delimited)'."
        )


def _nul_pattern(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes sit at every odd/even position of ASCII."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd >= 0.6 * half and even == 0:
        return "utf-16-le"
    if even >= 0.6 * half and odd == 0:
        return "utf-16-be"
    return None


def _looks_cyrillic(text: str) -> bool:
    """Every non-ASCII character is Cyrillic (or common punctuation) and no word mixes
    Cyrillic with Latin letters: then cp1251 is unmistakable."""
    has_cyrillic = False
    for word in re.findall(r"\w+", text):
        non_ascii = [ch for ch in word if ord(ch) > 127]
        if not non_ascii:
            continue
        for ch in non_ascii:
            if not ("\u0410" <= ch <= "\u044f" or ch in _CYRILLIC_EXTRA):
                return False
        if any("a" <= ch.lower() <= "z" for ch in word):
            return False
        has_cyrillic = True
    for ch in text:
        if ord(ch) > 127 and not ch.isalnum() and ch not in _CP1251_PUNCT:
            return False
    return has_cyrillic


def decode(data: bytes, declared: str | None, where: str, table: str) -> tuple[str, str]:
    """Decode a table file's bytes.

    Parameters
    ----------
    data
        The file content.
    declared
        The ``encoding`` of the table's file mapping, if any.
    where, table
        File name and table name, for messages.

    Returns
    -------
    text, encoding
        The text (byte-order mark removed) and the encoding used.

    Raises
    ------
    ScenarioError
        The bytes are not text in the declared or any unmistakable encoding.
    """
    _refuse_spreadsheet(data, where, table)
    hint = f"declare it: {table}: {{path: ..., encoding: cp1252}}"
    if declared is not None:
        try:
            text = data.decode(declared)
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                f"table {where} line {_line_of(data, exc.start)}: byte 0x{data[exc.start]:02x} "
                f"is not valid {declared} (the declared encoding); check the encoding the file "
                "was saved in."
            ) from None
        return text.removeprefix("\ufeff"), declared
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        encoding = _nul_pattern(data) or "utf-8"
    try:
        return data.decode(encoding).removeprefix("\ufeff"), encoding
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise ScenarioError(
                f"table {where}: the file starts like {encoding} text but byte "
                f"{exc.start} is not valid {encoding}; re-save it as 'CSV UTF-8' or {hint}."
            ) from None
        first_bad = exc.start
    if b"\x00" in data:
        raise ScenarioError(
            f"table {where} contains NUL bytes and is not UTF-8 or UTF-16 text (a binary "
            "file?); save the table as 'CSV UTF-8'."
        )
    text = data.decode("cp1251", errors="replace")
    if "\ufffd" not in text and _looks_cyrillic(text):
        log.info("table %s: not UTF-8; read as cp1251 (Cyrillic Windows encoding)", where)
        return text, "cp1251"
    raise ScenarioError(
        f"table {where} line {_line_of(data, first_bad)}: byte 0x{data[first_bad]:02x} is not "
        f"UTF-8, and the file is not unmistakably Cyrillic cp1251 either; re-save it as "
        f"'CSV UTF-8' or {hint} (or whatever encoding it was saved in)."
    )


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])


def detect_delimiter(header: str, known: Sequence[str], where: str, table: str) -> str:
    """Choose the delimiter that splits the header line into the most known column names.

    Raises
    ------
    ScenarioError
        Two delimiters are equally likely.
    """
    known_set = set(known)
    scores: dict[str, tuple[int, int]] = {}
    for cand in CANDIDATE_DELIMITERS:
        fields = [f.strip() for f in _split(header, cand)]
        scores[cand] = (sum(f in known_set for f in fields), len(fields))
    best = max(scores.values())
    if best[1] <= 1:
        return ","
    tied = [c for c, s in scores.items() if s == best]
    if len(tied) > 1:
        names = " and ".join(describe_delimiter(c) for c in tied)
        raise ScenarioError(
            f"table {where} line 1: the header splits as well on {names}; declare the "
            f"delimiter: {table}: {{path: ..., delimiter: ';'}}."
        )
    return tied[0]


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    previous = 0
    for row in reader:
        yield previous + 1, row
        previous = reader.line_num


def read_csv_file(
    path: Path,
    *,
    table: str,
    known: Sequence[str],
    where: str,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> CsvTable:
    """Read a CSV table file into text cells.

    Parameters
    ----------
    path
        The file.
    table
        Table name (for messages).
    known
        The table's column names (to recognise the delimiter from the header).
    where
        The file as named in messages.
    encoding, delimiter
        Declared in the table's file mapping; ``None`` = detect.

    Raises
    ------
    ScenarioError
        Unreadable, empty, ambiguous or ragged file.
    """
    try:
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            raise ScenarioError(
                f"table {where} is {size / 2**20:.0f} MB; clusterloc reads table files of at "
                f"most {MAX_TABLE_BYTES // 2**20} MB."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"table {where} cannot be read: {exc.strerror or exc}.") from None
    text, used = decode(data, encoding, where, table)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    skip = 0
    while skip < len(lines) and not lines[skip].strip(" \t,;|"):
        skip += 1
    if skip == len(lines):
        raise ScenarioError(f"table {where} is empty (no header row).")
    sep_line = _SEP_LINE.match(lines[skip])
    if sep_line and delimiter is None:
        delimiter = sep_line.group(1)
    if sep_line:
        skip += 1
        while skip < len(lines) and not lines[skip].strip(" \t,;|"):
            skip += 1
        if skip == len(lines):
            raise ScenarioError(f"table {where} is empty (no header row).")
    if delimiter is None:
        delimiter = detect_delimiter(lines[skip], known, where, table)
    body = "\n".join(lines[skip:])
    try:
        records = list(_records(body, delimiter))
    except csv.Error as exc:
        raise ScenarioError(f"table {where}: not readable as CSV ({exc}).") from None
    header_line, header = records[0][0] + skip, [h.strip() for h in records[0][1]]
    header = [h.removeprefix("\ufeff").strip() for h in header]
    rows: list[list[str]] = []
    starts: list[int] = []
    for start, raw in records[1:]:
        cells = [c.strip() for c in raw]
        if not any(cells):
            continue  # blank line, or a row of empty cells (';;;;' from Excel)
        rows.append(cells)
        starts.append(start + skip)
    header = _drop_unnamed_empty(header, rows)
    width = len(header)
    for row, line in zip(rows, starts, strict=True):
        if len(row) > width and not any(row[width:]):
            del row[width:]
        if len(row) != width:
            raise ScenarioError(
                f"table {where} line {line}: {len(row)} fields, but the header (line "
                f"{header_line}) has {width} columns; "
                + (
                    "a value containing the delimiter must be quoted, or a column lacks a "
                    "header name."
                    if len(row) > width
                    else "a field is missing (each row needs one value per column, empty allowed)."
                )
            )
    return CsvTable(header, rows, starts, header_line, used, delimiter)


def _drop_unnamed_empty(header: list[str], rows: list[list[str]]) -> list[str]:
    """Drop trailing columns with no name and no value (Excel's formatted empty columns)."""
    while header and not header[-1]:
        i = len(header) - 1
        if any(len(r) > i and r[i] for r in rows):
            break
        header = header[:-1]
        for r in rows:
            del r[i:]
    return header


def detect_decimal(
    cells: Iterable[tuple[str, str, str]],
    *,
    delimiter: str,
    declared: str | None,
    where: str,
    table: str,
) -> str:
    """Decide the decimal mark of a CSV file from its numeric cells.

    Parameters
    ----------
    cells
        ``(value, line, column)`` of every cell of a numeric column.
    delimiter
        The file's delimiter (a ``,``-delimited file uses ``.``).
    declared
        The ``decimal`` of the file mapping, if any.
    where, table
        For messages.

    Returns
    -------
    str
        ``"."`` or ``","``.

    Raises
    ------
    ScenarioError
        Both marks are used, or every comma could also be a thousands separator.
    """
    if declared is not None:
        return declared
    if delimiter == ",":
        return "."
    comma: tuple[str, str, str] | None = None
    comma_decimal = False
    dot: tuple[str, str, str] | None = None
    for value, line, column in cells:
        text = _ungroup(value.strip())
        if _COMMA_NUMBER.match(text) or _THOUSANDS_COMMA.match(text):
            comma = comma or (value, line, column)
            if not _THOUSANDS_COMMA.match(text):
                comma_decimal = True
        elif _DOT_NUMBER.match(text):
            dot = dot or (value, line, column)
    fix = f"declare it: {table}: {{path: ..., decimal: ','}} (or '.')"
    if comma and dot:
        raise ScenarioError(
            f"table {where}: numbers use both decimal marks ('{comma[0]}' on line {comma[1]}, "
            f"column '{comma[2]}'; '{dot[0]}' on line {dot[1]}, column '{dot[2]}'); {fix}."
        )
    if comma and not comma_decimal:
        raise ScenarioError(
            f"table {where} line {comma[1]}, column '{comma[2]}': '{comma[0]}' could be a "
            f"decimal comma or a thousands separator; {fix}."
        )
    return "," if comma else "."


def _ungroup(text: str) -> str:
    """``60 000`` → ``60000`` (digit groups separated by spaces); other text unchanged."""
    if _GROUPED.match(text):
        for ch in _SPACES:
            text = text.replace(ch, "")
    return text


def parse_number(value: str, decimal: str) -> float:
    """Read one numeric cell written with ``decimal`` as its decimal mark.

    Thousands grouped with spaces (``60 000``, also no-break spaces) are accepted.

    Parameters
    ----------
    value
        The cell text.
    decimal
        The decimal mark, ``.`` or ``,``.

    Returns
    -------
    float
        The number.

    Raises
    ------
    ValueError
        Not a number in that notation.
    """
    text = _ungroup(value.strip())
    if decimal == ",":
        if "." in text:
            raise ValueError("'.' in a file whose decimal mark is ','")
        text = text.replace(",", ".")
    elif "," in text:
        raise ValueError("',' in a number (a decimal comma?)")
    return float(text)
