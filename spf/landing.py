"""Land a raw export in Postgres with COPY ... FROM STDIN (DuckDB and Spark read the file
themselves in the `land_raw_students` macro; Postgres cannot read a client's file from SQL).

The table it writes is the same as the macro's on the other engines: every export column as
text, `source_row_number`, `raw_line`/`load_error` for rows that cannot be split into the
export's fields, `loaded_at` and `source_file`. It is built beside the old one and swapped in
one transaction, so a refused or failed load leaves the warehouse as it was.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

from spf.columns import HeaderRefused, checked_header, raw_header
from spf.definitions import var
from spf.rawfile import RawFile, RawFileRefused, display_path

RAW_TABLE = "student_performance_factors"
BATCH_ROWS = 50_000
# a field may be as long as a line DuckDB's reader accepts (Python's csv stops at 128 KB)
FIELD_LIMIT_CHARS = 1 << 30


def read_raw_rows(
    path: Path, encoding: str, scoring: bool = False
) -> Iterator[tuple[int, list[str | None], str | None, str | None]]:
    """(row number, the export's fields in header order, raw line, load error) per data row,
    as the landing reads them: blank fields and the columns a scored file leaves out
    are None; a row with more fields than the header is kept whole as its raw line. `scoring`:
    a file being scored, which may leave out the target."""
    encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT_CHARS))
    with path.open(newline="", encoding=encoding) as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        try:
            names = checked_header(display_path(path), ",".join(header), scoring)
        except HeaderRefused as refused:
            raise RawFileRefused.because(refused) from None
        order = [names.index(name) if name in names else None for name in raw_header()]
        max_line_bytes = int(var("spf_max_line_bytes"))
        number = 0
        for fields in reader:
            if not fields:
                continue
            number += 1
            # as DuckDB's reader: a line longer than the limit is kept unread (its length
            # here: the fields' UTF-8 bytes and the commas between them)
            if sum(len(value.encode()) + 1 for value in fields) - 1 > max_line_bytes:
                yield number, [None] * len(order), ",".join(fields), "line size over maximum"
                continue
            if len(fields) > len(names):
                yield number, [None] * len(order), ",".join(fields), "too many columns"
                continue
            padded = fields + [""] * (len(names) - len(fields))
            values = [None if i is None or padded[i] == "" else padded[i] for i in order]
            yield number, values, None, None


def land_postgres(connection, raw: RawFile, schema: str = "raw") -> int:
    """COPY the export into `schema`.student_performance_factors; return rows landed."""
    path = raw.path
    columns = [name.lower() for name in raw_header()]
    all_columns = ["source_row_number", *columns, "raw_line", "load_error"]
    landing = f"{schema}.{RAW_TABLE}__landing"
    loaded_at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    rows = read_raw_rows(path, raw.encoding)
    first = next(rows, None)  # reads the header: a wrong file fails before any SQL runs
    landed = 0
    with connection:  # one transaction: the old table stays until the new one is complete
        with connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {schema}")
            cursor.execute(f"drop table if exists {landing}")
            definitions = ", ".join(f"{name} text" for name in all_columns[1:])
            cursor.execute(
                f"create table {landing} (source_row_number bigint, {definitions},"
                " loaded_at timestamp default %s, source_file text default %s,"
                " source_file_sha256 text default %s)",
                (loaded_at, raw.name, raw.sha256),
            )
            batch = [] if first is None else [first]
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH_ROWS:
                    landed += _copy(cursor, landing, all_columns, batch)
                    batch = []
            landed += _copy(cursor, landing, all_columns, batch)
            cursor.execute(f"drop table if exists {schema}.{RAW_TABLE} cascade")
            cursor.execute(f"alter table {landing} rename to {RAW_TABLE}")
    return landed


def _copy(cursor, table: str, columns: list[str], batch: list) -> int:
    if not batch:
        return 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for number, fields, raw_line, load_error in batch:
        writer.writerow([number, *fields, raw_line, load_error])
    buffer.seek(0)
    cursor.copy_expert(
        f"copy {table} ({', '.join(columns)}) from stdin with (format csv, null '')", buffer
    )
    return len(batch)
