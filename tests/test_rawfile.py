"""spf.rawfile.inspect_raw_file on small files: what it refuses before anything changes, how it
reads encodings and headers, and the UTF-8 copy it lands instead of a non-UTF-8 file."""

from __future__ import annotations

import codecs
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spf.rawfile import RawFileRefused, inspect_raw_file
from tests.conftest import PROJECT_ROOT
from tests.corpus import HEADER, base_rows, csv_text

TEXT = csv_text([HEADER, *base_rows()[:3]])


def write(tmp_path: Path, data: bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(RawFileRefused) as raised:
        inspect_raw_file(path)
    message = str(raised.value)
    assert f"Raw file '{path}'" in message and "nothing was loaded or replaced" in message
    return message


def test_a_plain_export_is_described_with_its_checksum_and_header(tmp_path: Path) -> None:
    path = write(tmp_path, TEXT.encode())
    raw = inspect_raw_file(path)
    assert raw.encoding == "utf-8" and not raw.needs_conversion
    assert raw.sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    assert raw.header == tuple(HEADER)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "is empty (no header, no rows)"),
        (b"\r\n\r\n  \n", "is empty (no header, no rows)"),
        (codecs.BOM_UTF8, "is empty (no header, no rows)"),
        (",".join(HEADER).encode(), "has a header but no data rows"),
        ((",".join(HEADER) + "\r\n\r\n").encode(), "has a header but no data rows"),
        (TEXT.replace(",", ";").encode(), "is separated by semicolons (;), not commas"),
        (TEXT.replace(",", "\t").encode(), "is separated by tabs, not commas"),
        (TEXT.encode("utf-16-le"), "looks like UTF-16 text without a byte-order mark"),
        (b"student,score\nann,50\n", "missing columns:    Hours_Studied, Attendance"),
        (TEXT.replace("Gender,", "").encode(), "missing columns:    Gender"),
    ],
    ids=[
        "empty", "blank lines", "a BOM alone", "header only", "header and blank lines",
        "semicolons", "tabs", "utf-16 without bom", "another csv", "no gender",
    ],
)  # fmt: skip
def test_refused_before_anything_changes(tmp_path: Path, data: bytes, why: str) -> None:
    assert why in refusal(write(tmp_path, data))


def test_a_parquet_file_is_described_for_the_engine_to_read(tmp_path: Path) -> None:
    data = b"PAR1\x15\x04" + bytes(64)
    raw = inspect_raw_file(write(tmp_path, data))
    assert (raw.encoding, raw.needs_conversion) == ("parquet", False)
    assert raw.sha256 == hashlib.sha256(data).hexdigest()


def test_a_missing_path_and_a_directory_are_refused(tmp_path: Path) -> None:
    assert "was not found" in refusal(tmp_path / "nowhere.csv")
    assert "is a directory" in refusal(tmp_path)


def test_a_header_is_matched_without_regard_to_case_or_padding(tmp_path: Path) -> None:
    header = [f" {name.lower()} " for name in HEADER]
    raw = inspect_raw_file(write(tmp_path, csv_text([header, *base_rows()[:1]]).encode()))
    assert raw.header == tuple(header)  # as written; the landing maps them to the export's


@pytest.mark.parametrize(
    ("encoding", "value", "found"),
    [
        ("cp1252", "Don’t know", "windows-1252"),
        ("latin-1", "Élevé", "windows-1252"),  # Windows-1252 reads Latin-1's printable text
        ("latin-1", "a\x81b", "latin-1"),  # 0x81 is no Windows-1252 character
        ("utf-16", "男", "utf-16"),
        ("utf-8-sig", "Élevé", "utf-8"),
    ],
)
def test_other_encodings_are_converted_to_a_utf8_copy(
    tmp_path: Path, encoding: str, value: str, found: str
) -> None:
    rows = [HEADER, *base_rows()[:2]]
    rows[2][HEADER.index("Gender")] = value
    text = csv_text(rows, newline="\r\n")
    path = write(tmp_path, text.encode(encoding))
    raw = inspect_raw_file(path)
    assert raw.encoding == found
    assert raw.header == tuple(HEADER)
    assert raw.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # of the user's bytes
    assert raw.needs_conversion == (found != "utf-8")  # UTF-8 (BOM or not) is landed as it is
    if raw.needs_conversion:
        copy = raw.utf8_copy(tmp_path / "scratch")
        assert copy.read_bytes() == text.encode("utf-8")  # same text, CRLF kept, no BOM


def test_a_multibyte_character_cut_off_at_the_end_is_not_utf8(tmp_path: Path) -> None:
    data = (TEXT + "é").encode()[:-1]  # the last character's second byte is missing
    assert inspect_raw_file(write(tmp_path, data)).encoding != "utf-8"


def test_rows_after_a_header_longer_than_a_read_chunk_are_found(tmp_path: Path) -> None:
    padded = ",".join([*HEADER[:-1], HEADER[-1] + " " * (1 << 21)])  # 2 MB of padding
    header_only = write(tmp_path, padded.encode(), "header_only.csv")
    assert "has a header but no data rows" in refusal(header_only)
    with_a_row = write(tmp_path, (padded + "\n" + csv_text(base_rows()[:1])).encode())
    assert inspect_raw_file(with_a_row).header[-1].strip() == "Exam_Score"


# run in a child process with a timeout: were the check to open the FIFO, it would wait forever
_INSPECT = """
import sys
from pathlib import Path
from spf.rawfile import RawFileRefused, inspect_raw_file
try:
    inspect_raw_file(Path(sys.argv[1]))
except RawFileRefused as refused:
    print(refused)
"""


def test_a_fifo_is_refused_at_once_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-c", _INSPECT, str(fifo)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"Raw file '{fifo}' is a named pipe (FIFO)")
    assert "not a regular file; nothing was loaded or replaced" in done.stdout


def test_a_link_is_followed_to_what_it_names(tmp_path: Path) -> None:
    to_a_file = tmp_path / "linked.csv"
    to_a_file.symlink_to(write(tmp_path, TEXT.encode()))
    assert inspect_raw_file(to_a_file).sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    to_a_device = tmp_path / "null.csv"
    to_a_device.symlink_to(os.devnull)
    assert "is a character device, not a regular file" in refusal(to_a_device)
