"""What a raw file is, checked before anything is landed: found, a regular file (never opened
when it is not: a FIFO would wait for a writer), not empty, text the engines can read. Read once,
in chunks: its SHA-256 (recorded with the load), its encoding (UTF-8, or Latin-1/Windows-1252 or
UTF-16, which are converted to a UTF-8 copy that is landed instead), and whether it has any data
row after its header.

Every refusal names the file, says what was found and what to do, and that nothing changed.
The header is checked here too, by macros/check_raw_header.sql itself (spf.columns), so
the runner refuses a wrong header before it takes the warehouse lock, on every engine.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from spf.columns import HeaderRefused, checked_header
from spf.profile import ConfigurationError

CHUNK_BYTES = 1 << 20
PARQUET_MAGIC = b"PAR1"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF8_BOM = codecs.BOM_UTF8
DELIMITERS = {";": "semicolons (;)", "\t": "tabs"}
# The file an engine's reader is given is named by the runner (LANDING_STEM in the build area),
# never by the user: readers expand patterns (DuckDB's and Spark's: * ? [ ]), and the dbt vars
# that carry the path are rendered as templates. A path the runner hands on holds only these.
LANDING_STEM = "raw_export"
PLAIN_PATH = re.compile(r"[A-Za-z0-9_ ./+,=@%~-]+")


class RawFileRefused(ConfigurationError):
    """The raw file cannot be landed; nothing was loaded or replaced."""

    def __init__(self, path: Path | str, why: str, fix: str = "") -> None:
        message = f"Raw file '{path}' {why}; nothing was loaded or replaced."
        super().__init__(f"{message}\n  {fix}" if fix else message)

    @classmethod
    def because(cls, refused: HeaderRefused) -> RawFileRefused:
        """The refusal of the header check (its message already names the file)."""
        error = cls.__new__(cls)
        ConfigurationError.__init__(error, str(refused))
        return error


@dataclass(frozen=True)
class RawFile:
    """A raw file that may be landed."""

    path: Path  # the user's file
    sha256: str  # of the user's file's bytes
    encoding: str  # "utf-8", "windows-1252", "latin-1", "utf-16", or "parquet" (not text)
    header: tuple[str, ...] = ()  # the header's names, as written (empty for Parquet)

    @property
    def needs_conversion(self) -> bool:
        return self.encoding not in ("utf-8", "parquet")

    @property
    def name(self) -> str:
        """The user's path as text, recorded with the load (bytes that are not UTF-8 escaped)."""
        return display_path(self.path)

    def landing_file(self, directory: Path) -> Path:
        """The file the engine's reader lands: a link to the user's file, or its UTF-8 copy,
        named by the runner in `directory` (the build area), so that the user's name is never
        read as a pattern, a template or SQL; the user's name is recorded as a value."""
        if not PLAIN_PATH.fullmatch(str(directory)):
            raise ConfigurationError(
                f"The build area '{display_path(directory)}' holds characters that DuckDB or"
                " Spark would read as a file pattern or dbt as a template; put the warehouse"
                " (SPF_DUCKDB_PATH, SPF_SPARK_DIR) under a folder whose path has only letters,"
                " digits, spaces and . _ - + , = @ % ~"
            )
        if self.needs_conversion:
            return self.utf8_copy(directory)
        directory.mkdir(parents=True, exist_ok=True)
        suffix = ".parquet" if self.encoding == "parquet" else ".csv"
        link = directory / f"{LANDING_STEM}{suffix}"
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.abspath(self.path))
        return link

    def utf8_copy(self, directory: Path) -> Path:
        """The file converted to UTF-8 in `directory` (the build area), for the engine to read."""
        directory.mkdir(parents=True, exist_ok=True)
        copy = directory / f"{LANDING_STEM}.utf8.csv"
        with (
            self.path.open(encoding=self.encoding, newline="") as source,
            copy.open("w", encoding="utf-8", newline="") as target,
        ):
            while chunk := source.read(CHUNK_BYTES):  # the utf-16 codec drops its BOM itself
                target.write(chunk)
        return copy


def display_path(path: Path | str) -> str:
    """A path as text that any database and terminal takes: a file name's bytes that are not
    UTF-8 (possible on Linux) are shown as \\x escapes instead of failing the load."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def inspect_raw_file(path: Path, scoring: bool = False) -> RawFile:
    """Check `path` and describe it; raise RawFileRefused with the reason when it cannot land."""
    if not path.exists():
        raise RawFileRefused(path, "was not found", "Pass an existing CSV export.")
    if path.is_dir():
        raise RawFileRefused(
            path, "is a directory", "Pass the export's CSV file itself, not the folder holding it."
        )
    kind = _not_a_regular_file(path)
    if kind:  # opening a FIFO would wait for a writer: refused without opening it
        raise RawFileRefused(
            path, f"is {kind}, not a regular file", "Save the export to a file and pass that file."
        )
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8, first, has_data = True, b"", False
    header_done = is_parquet = False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            if not first:
                first = chunk[:4096]
                is_parquet = first.startswith(PARQUET_MAGIC)
            if is_parquet:  # checked by the engine that reads it (header, rows)
                continue
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            if not has_data:
                rest = chunk
                if not header_done:
                    newline = chunk.find(b"\n")
                    if newline < 0:
                        continue
                    header_done, rest = True, chunk[newline + 1 :]
                has_data = bool(rest.strip(b"\r\n\t \x00"))
        if is_utf8:
            try:
                decoder.decode(b"", final=True)  # a multi-byte character cut off at the end
            except UnicodeDecodeError:
                is_utf8 = False
    if not first.strip(UTF8_BOM + b"\r\n\t "):
        raise RawFileRefused(path, "is empty (no header, no rows)", "Pass a non-empty export.")
    if is_parquet:  # its header (the schema's names) is checked by the landing
        return RawFile(path=path, sha256=digest.hexdigest(), encoding="parquet")
    # NUL is valid UTF-8 but never in a CSV export: UTF-16 text without a byte-order mark
    is_text = is_utf8 and b"\x00" not in first
    encoding = "utf-8" if is_text else _other_encoding(path, first)
    header = _header(path, first, encoding, scoring)
    if encoding == "utf-16":
        has_data = _utf16_has_data(path)
    if not has_data:
        raise RawFileRefused(
            path, "has a header but no data rows", "Pass an export with at least one student."
        )
    return RawFile(path=path, sha256=digest.hexdigest(), encoding=encoding, header=header)


def _not_a_regular_file(path: Path) -> str:
    """What `path` is when it is not a regular file (a symlink is followed), without opening it;
    empty for a regular file."""
    mode = path.stat().st_mode
    if stat.S_ISREG(mode):
        return ""
    kinds = {
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
    }
    return next((kind for test, kind in kinds.items() if test(mode)), "a special file")


def _header(path: Path, first: bytes, encoding: str, scoring: bool = False) -> tuple[str, ...]:
    """The header's names; refused when the file is not comma-separated or the names are not
    the export's (the message of macros/check_raw_header.sql)."""
    text = first.decode("utf-8-sig" if encoding == "utf-8" else encoding, errors="ignore")
    header_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    names = next(csv.reader([header_line]), [])
    if len(names) == 1:
        for delimiter, described in DELIMITERS.items():
            if delimiter in header_line:
                raise RawFileRefused(
                    path,
                    f"is separated by {described}, not commas",
                    "Save it as CSV (comma delimited), with '.' as the decimal point.",
                )
    try:
        checked_header(str(path), header_line, scoring)
    except HeaderRefused as refused:
        raise RawFileRefused.because(refused) from None
    return tuple(names)


def _other_encoding(path: Path, first: bytes) -> str:
    """UTF-16 (by its byte-order mark) or a single-byte Windows/Latin encoding; else refused."""
    if first.startswith(UTF16_BOMS):
        return "utf-16"
    if b"\x00" in first:
        raise RawFileRefused(
            path,
            "looks like UTF-16 text without a byte-order mark (or is not text)",
            "Save it as CSV UTF-8, e.g. `iconv -f UTF-16LE -t UTF-8 in.csv > out.csv`.",
        )
    decoder = codecs.getincrementaldecoder("windows-1252")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK_BYTES):
                decoder.decode(chunk)
        except UnicodeDecodeError:
            return "latin-1"  # every byte is a Latin-1 character
    return "windows-1252"


def _utf16_has_data(path: Path) -> bool:
    with path.open(encoding="utf-16", newline="") as handle:
        handle.readline()
        return any(line.strip() for line in handle)
