"""A corpus of bad and odd raw files, generated from the shipped sample's rows, each with the
outcome a user should get: refused (with a message fragment, and nothing changed) or loaded
(so many rows accepted, these rows rejected with these reasons).

Small and deterministic: every file holds the sample's first BASE_ROWS students (all valid)
plus the case's own lines. Cases that only add lines (`lines`) can share one file, since each
line's outcome is its own; cases about the whole file (encoding, header, delimiter) `write`
their own. `python -m tests.corpus DIR` writes every case's file into DIR;
`python -m tests.corpus --markdown` prints the README's table of cases and outcomes.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CSV = PROJECT_ROOT / "seeds" / "student_performance_factors.csv"
BASE_ROWS = 30
LONG_FIELD_CHARS = 1 << 20  # a 1 MB field
OVER_LONG_CHARS = 2_100_000  # a line longer than vars.spf_max_line_bytes


def _sample(rows: int = BASE_ROWS) -> list[list[str]]:
    with SAMPLE_CSV.open(newline="") as handle:
        reader = csv.reader(handle)
        return [next(reader) for _ in range(rows + 1)]


HEADER = _sample(0)[0]


def base_rows() -> list[list[str]]:
    """The sample's first BASE_ROWS students, every one valid, as rows of text."""
    return [list(row) for row in _sample()[1:]]


def student(number: int = 1, **values: str) -> list[str]:
    """Sample student `number` (1-based) with some columns changed, by export column name."""
    row = base_rows()[number - 1]
    for name, value in values.items():
        row[HEADER.index(name)] = value
    return row


def csv_text(rows: list[list[str]], newline: str = "\n", delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline, delimiter=delimiter).writerows(rows)
    return buffer.getvalue()


def line(row: list[str]) -> str:
    return csv_text([row]).removesuffix("\n")


@dataclass(frozen=True)
class Case:
    """One file of the corpus and what a user should get from it."""

    name: str
    what: str  # the file, in a few words
    # a whole-file case writes itself into a folder and returns the path to pass as --raw-csv
    write: Callable[[Path], Path] | None = None
    # a rows case: CSV lines added after the base rows (its outcome counts these lines only)
    lines: tuple[str, ...] = ()
    refused: str | None = None  # a fragment of the refusal message
    refused_on: tuple[str, ...] = ("duckdb", "postgres")  # engines that refuse it (if refused)
    accepted: int = 0  # rows accepted, the base rows included
    rejected: tuple[tuple[int, str], ...] = ()  # (source_row_number, rejection reasons)
    duplicated: int = 0  # rows flagged is_exact_duplicate
    # (source_row_number, marts.dim_students column, value): how an accepted row was cleaned
    cleaned: tuple[tuple[int, str, object], ...] = ()
    why: str = ""  # why this outcome, where a user might expect another

    @property
    def row_count(self) -> int:
        """Rows the case's lines hold (an empty line holds none)."""
        return sum(1 for text in self.lines if text)

    @property
    def is_rows_case(self) -> bool:
        return self.write is None and self.refused is None

    def is_refused_on(self, engine: str) -> bool:
        return bool(self.refused) and engine in self.refused_on

    @property
    def outcome(self) -> str:
        if self.refused and len(self.refused_on) < 2:
            loaded = BASE_ROWS
            return (
                f"on {', '.join(self.refused_on)} refused: “{self.refused}”; nothing changed."
                f" Elsewhere loaded: {loaded} accepted, 0 rejected"
            )
        if self.refused:
            return f"refused: “{self.refused}”; nothing changed"
        offset = BASE_ROWS if self.is_rows_case else 0  # rows numbered in the case's own file
        shown = "; ".join(f"row {offset + row}: {_short(reason)}" for row, reason in self.rejected)
        counts = f"loaded: {self.accepted} accepted, {len(self.rejected)} rejected"
        extra = f", {self.duplicated} flagged duplicate" if self.duplicated else ""
        return f"{counts}{extra}" + (f" ({shown})" if shown else "")

    def path(self, directory: Path) -> Path:
        """Write the case on its own (a rows case: after the base rows) into `directory`."""
        if self.write is not None:
            return self.write(directory)
        return write_rows_file(directory / f"{self.name}.csv", [self])


def _short(reason: str, keep: int = 70) -> str:
    return reason if len(reason) <= keep else reason[:keep] + "…"


def _text_file(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


def _directory(directory: Path) -> Path:
    path = directory / "export_folder"
    path.mkdir(exist_ok=True)
    (path / "StudentPerformanceFactors.csv").write_text(csv_text([HEADER, *base_rows()]))
    return path


# a name that, rendered as a template, would land `49.csv` and write a file as the runner's user
TEMPLATE_NAME = "{{ 7*7 }}{{ run_query(\"copy (select 1) to 'pwned.csv'\") }}.csv"


def _named(name: str, *beside: str) -> Callable[[Path], Path]:
    """The base rows in a file called `name`, with other files beside it (the first five base
    students each) that a name read as a template or a pattern would land instead, or too."""

    def write(directory: Path) -> Path:
        for other in beside:
            (directory / other).write_text(csv_text([HEADER, *base_rows()[:5]]))
        path = directory / name
        path.write_text(csv_text([HEADER, *base_rows()]))
        return path

    return write


def _fifo(directory: Path) -> Path:
    import os

    path = directory / "export_pipe.csv"
    if not path.exists():
        os.mkfifo(path)
    return path


def _parquet(directory: Path) -> Path:
    import duckdb

    source, path = directory / "parquet_source.csv", directory / "export.parquet"
    source.write_text(csv_text([HEADER, *base_rows()]))
    with duckdb.connect() as connection:
        connection.execute(  # the export's values as text, as an exported Parquet file keeps them
            f"copy (from read_csv('{source}', all_varchar = true)) to '{path}' (format parquet)"
        )
    source.unlink()
    return path


def _with_header(header: list[str], rows: list[list[str]] | None = None) -> str:
    return csv_text([header, *(base_rows() if rows is None else rows)])


def _without(column: str) -> str:
    index = HEADER.index(column)
    rows = [HEADER, *base_rows()]
    return csv_text([[value for i, value in enumerate(row) if i != index] for row in rows])


BASE = BASE_ROWS
# the export's columns that may not be blank, by their clean names, in order
REQUIRED = (
    "hours_studied", "attendance_pct", "parental_involvement", "access_to_resources",
    "extracurricular_activities", "sleep_hours", "previous_score", "motivation_level",
    "internet_access", "tutoring_sessions", "family_income", "school_type", "peer_influence",
    "physical_activity_hours", "learning_disabilities", "gender", "exam_score",
)  # fmt: skip


def missing(first: str = REQUIRED[0]) -> str:
    """The reasons of a row whose values are missing from column `first` on."""
    return "; ".join(f"{name} is missing" for name in REQUIRED[REQUIRED.index(first) :])


EVERY_ATTENDANCE_105 = [student(n, Attendance="105") for n in range(1, BASE_ROWS + 1)]
NON_ASCII = student(2, Parental_Involvement="Élevé")
CURLY_QUOTE = student(3, Internet_Access="Don’t know")
CJK = student(4, Gender="男")

CASES: tuple[Case, ...] = (
    # -- refused before anything changes --------------------------------------------------
    Case("empty", "an empty file (0 bytes)", _text_file("empty.csv", ""),
         refused="is empty (no header, no rows)"),
    Case("header_only", "the header and no rows", _text_file("header_only.csv", line(HEADER)),
         refused="has a header but no data rows"),
    Case("every_row_rejected", f"{BASE_ROWS} rows, every one with Attendance 105",
         _text_file("every_row_rejected.csv", _with_header(HEADER, EVERY_ATTENDANCE_105)),
         refused=f"none of its {BASE_ROWS} rows was accepted",
         why="a build with no accepted student fails its tests, so it is never published"),
    Case("not_found", "a path where there is no file", lambda directory: directory / "nowhere.csv",
         refused="was not found"),
    Case("directory", "a folder holding the export", _directory, refused="is a directory"),
    Case("parquet", "the rows as a Parquet file", _parquet,
         refused="is a Parquet file, which the postgres target does not read yet",
         refused_on=("postgres",), accepted=BASE_ROWS,
         why="DuckDB reads Parquet through the same landing and checks (its schema's names are"
         " the header)"),
    Case("wrong_header", "another CSV altogether (`student,score`)",
         _text_file("wrong_header.csv", "student,score\nann,50\n"),
         refused="missing columns:    Hours_Studied, Attendance"),
    Case("renamed_header", "`Exam_Score` renamed `Score`",
         _text_file("renamed_header.csv",
                    _with_header(["Score" if n == "Exam_Score" else n for n in HEADER])),
         refused="unexpected columns: Score"),
    Case("missing_column", "no `Gender` column", _text_file("missing_column.csv",
         _without("Gender")), refused="missing columns:    Gender"),
    Case("extra_column", "an extra `Notes` column",
         _text_file("extra_column.csv", _with_header(
             [*HEADER, "Notes"], [[*row, "ok"] for row in base_rows()])),
         refused="unexpected columns: Notes",
         why="an extra column cannot be told from a misspelt one; remove it and load again"),
    Case("semicolons", "separated by semicolons (`;`)",
         _text_file("semicolons.csv", csv_text([HEADER, *base_rows()], delimiter=";")),
         refused="is separated by semicolons (;), not commas",
         why="such files often write decimals with a comma too; save it as CSV (comma delimited)"),
    Case("tabs", "separated by tabs",
         _text_file("tabs.csv", csv_text([HEADER, *base_rows()], delimiter="\t")),
         refused="is separated by tabs, not commas"),
    Case("utf16_without_bom", "UTF-16 text without a byte-order mark",
         _text_file("utf16_without_bom.csv", _with_header(HEADER), "utf-16-le"),
         refused="looks like UTF-16 text without a byte-order mark"),
    # -- whole files that load -----------------------------------------------------------
    Case("latin1", "Latin-1, with `Élevé` in Parental_Involvement",
         _text_file("latin1.csv", _with_header(HEADER, [*base_rows(), NON_ASCII]), "latin-1"),
         accepted=BASE, rejected=((BASE + 1,
             "parental_involvement 'Élevé' is not one of Low, Medium, High"),),
         why="converted to UTF-8 (read as Windows-1252, which agrees with Latin-1 on every"
             " printable character)"),
    Case("windows_1252", "Windows-1252 and CRLF line ends, with `Don’t know` in Internet_Access",
         _text_file("windows_1252.csv",
                    csv_text([HEADER, *base_rows(), CURLY_QUOTE], newline="\r\n"), "cp1252"),
         accepted=BASE,
         rejected=((BASE + 1, "internet_access 'Don’t know' is not one of No, Yes"),),
         why="converted to UTF-8, so the reason shows the value as written"),
    Case("utf16_bom", "UTF-16 with a byte-order mark, with `男` in Gender",
         _text_file("utf16_bom.csv", _with_header(HEADER, [*base_rows(), CJK]), "utf-16"),
         accepted=BASE, rejected=((BASE + 1, "gender '男' is not one of Male, Female"),),
         why="converted to UTF-8"),
    Case("utf8_bom_crlf", "UTF-8 with a byte-order mark and CRLF line ends (Excel's CSV UTF-8)",
         _text_file("utf8_bom_crlf.csv",
                    csv_text([HEADER, *base_rows(), NON_ASCII], newline="\r\n"), "utf-8-sig"),
         accepted=BASE, rejected=((BASE + 1,
             "parental_involvement 'Élevé' is not one of Low, Medium, High"),)),
    Case("lowercase_header", "the header in lower case (`hours_studied,attendance,...`)",
         _text_file("lowercase_header.csv", _with_header([n.lower() for n in HEADER])),
         accepted=BASE,
         why="column names are matched without regard to case or padding, like categories"),
    # -- odd names: a name is data, never a template, SQL, a shell word or a pattern -------
    Case("template_name", f"named `{TEMPLATE_NAME}`, beside a `49.csv`",
         _named(TEMPLATE_NAME, "49.csv"), accepted=BASE,
         why="the runner lands a file it names itself and records the user's name as a value"),
    Case("sql_and_shell_name", "named with quotes, `;`, `$HOME`, a backtick and a backslash",
         _named("o'brien \"x\"; $HOME `id` \\ {% do %}.csv"), accepted=BASE),
    Case("wildcard_name", "named `export[2].csv`, beside an `export2.csv`",
         _named("export[2].csv", "export2.csv"), accepted=BASE,
         why="DuckDB's and Spark's readers expand [ ] * ? as patterns: they never see the name"),
    Case("star_name", "named `star*.csv`, beside a `star-2.csv`",
         _named("star*.csv", "star-2.csv"), accepted=BASE),
    Case("unicode_name", "named `élèves 😀 𝔡𝔞𝔱𝔞 漢字.csv` (beyond the Basic Multilingual Plane)",
         _named("élèves 😀 𝔡𝔞𝔱𝔞 漢字.csv"), accepted=BASE),
    Case("fifo", "a named pipe (FIFO) in place of the file", _fifo,
         refused="is a named pipe (FIFO), not a regular file"),
    # -- rows that load, each with its own outcome (these share one file in the tests) ----
    Case("short_row", "a row with 19 fields (Exam_Score left off)",
         lines=(line(student(5)[:19]),), accepted=BASE, rejected=((1, "exam_score is missing"),)),
    Case("long_row", "a row with 21 fields",
         lines=(line([*student(6), "extra"]),), accepted=BASE,
         rejected=((1, f"row could not be read (too many columns); {missing()}"),),
         why="the row is kept, not skipped; its values are not read, hence each is missing"),
    Case("over_long_line", "a line of 2.1 MB (a 2,100,000-character Family_Income)",
         lines=(line(student(16, Family_Income="x" * OVER_LONG_CHARS)),), accepted=BASE,
         rejected=((1, f"row could not be read (line size over maximum); {missing()}"),),
         why="longer than vars.spf_max_line_bytes (2,000,000 bytes, DuckDB's reader's limit),"
             " on every engine: kept and rejected, not read"),
    Case("quoted_commas", "quoted values, one holding a comma",
         lines=('"22","66","Medium","High","No","5","72","Medium","Yes","2","Medium","Medium",'
                '"Public","Negative","4","No","High School","Moderate","Male","64"',
                line(student(7, Motivation_Level="Medium, High"))),
         accepted=BASE + 1,
         rejected=((2, "motivation_level 'Medium, High' is not one of Low, Medium, High"),),
         cleaned=((1, "parental_education_level", "High School"),)),
    Case("non_numeric", "`abc` in Hours_Studied, `7.5` in Attendance",
         lines=(line(student(8, Hours_Studied="abc")), line(student(9, Attendance="7.5"))),
         accepted=BASE, rejected=((1, "hours_studied 'abc' is not a number"),
                                  (2, "attendance_pct '7.5' is not a whole number"))),
    Case("out_of_range", "Attendance 105, Sleep_Hours -1",
         lines=(line(student(10, Attendance="105")), line(student(11, Sleep_Hours="-1"))),
         accepted=BASE, rejected=((1, "attendance_pct 105 is outside 0 to 100"),
                                  (2, "sleep_hours -1 is outside 0 to 24"))),
    Case("unknown_category", "`Sometimes` in Parental_Involvement, `X` in Gender",
         lines=(line(student(12, Parental_Involvement="Sometimes", Gender="X")),),
         accepted=BASE, rejected=((1, "parental_involvement 'Sometimes' is not one of Low,"
                                      " Medium, High; gender 'X' is not one of Male, Female"),)),
    Case("odd_case_and_whitespace", "`  hIGh `, ` yes`, `PUBLIC`, a blank Teacher_Quality",
         lines=(line(student(13, Parental_Involvement="  hIGh ", Internet_Access=" yes",
                             School_Type="PUBLIC", Teacher_Quality="")),),
         accepted=BASE + 1,
         cleaned=((1, "parental_involvement", "High"), (1, "has_internet_access", True),
                  (1, "school_type", "Public"), (1, "teacher_quality", None),
                  (1, "is_teacher_quality_missing", True)),
         why="cleaned, not rejected; a blank Teacher_Quality is allowed (and flagged)"),
    Case("blank_lines", "an empty line, and a line of spaces, between rows",
         lines=("", "   "), accepted=BASE, rejected=((1, missing()),),
         why="an empty line holds no row and is skipped; a line of spaces is a row with every"
             " value missing, rejected so that nothing is dropped unseen"),
    Case("exact_duplicates", "one student's row twice more",
         lines=(line(student(14)), line(student(14))), accepted=BASE + 2, duplicated=2,
         why="the export has no student id: kept, counted in rpt_load_reconciliation, warned"),
    Case("long_field", "a 1 MB value in Family_Income",
         lines=(line(student(15, Family_Income="x" * LONG_FIELD_CHARS)),), accepted=BASE,
         rejected=((1, f"family_income '{'x' * 40}... ({LONG_FIELD_CHARS} characters)' is not"
                       " one of Low, Medium, High"),),
         why="the reason shows the first 40 characters and the length"),
    Case("unicode_spaces", "values padded with Unicode spaces, tabs and a byte-order mark:"
         " `U+00A0 42`, `High U+3000`, `U+2003 Yes`, `TAB 84 U+3000`, `U+FEFF Private`",
         lines=(line(student(17, Hours_Studied="\u00a042", Parental_Involvement="High\u3000",
                             Internet_Access="\u2003Yes", Teacher_Quality="\u00a0")),
                line(student(18, Attendance="\t84\u3000", School_Type="\ufeffPrivate",
                             Gender="\u2009Female"))),
         accepted=BASE + 2,
         cleaned=((1, "hours_studied_band", "30+"), (1, "parental_involvement", "High"),
                  (1, "has_internet_access", True), (1, "teacher_quality", None),
                  (1, "is_teacher_quality_missing", True), (2, "attendance_band", "80-89"),
                  (2, "is_public_school", False), (2, "gender", "Female")),
         why="trimmed like plain spaces, the same characters on every engine"
             " (`vars.spf_trimmed_characters`)"),
    Case("truncated_last_line", "the last line cut off after 5 fields, no final newline",
         lines=(",".join(student(16)[:5]),), accepted=BASE,
         rejected=((1, missing("sleep_hours")),),
         why="a cut-off copy: the row is padded with blanks, and rejected for them"),
)  # fmt: skip

BY_NAME = {case.name: case for case in CASES}
ROWS_CASES = tuple(case for case in CASES if case.is_rows_case)
FILE_CASES = tuple(case for case in CASES if not case.is_rows_case)


def write_rows_file(path: Path, cases: tuple[Case, ...] | list[Case]) -> Path:
    """The base rows then each rows case's lines, in order (a truncated last line last)."""
    lines = [line(HEADER), *(line(row) for row in base_rows())]
    for case in cases:
        lines.extend(case.lines)
    ends_cut = cases and cases[-1].name == "truncated_last_line"
    path.write_text("\n".join(lines) + ("" if ends_cut else "\n"), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Expected:
    """What a loaded file should give: counts, every rejected row's reasons, cleaned values."""

    accepted: int
    rejected: dict[int, str]
    duplicated: int
    cleaned: dict[tuple[int, str], object]

    @property
    def received(self) -> int:
        return self.accepted + len(self.rejected)


def expected_of(case: Case, offset: int = 0) -> Expected:
    """A whole-file case's outcome (its rows are numbered in the file); a rows case's, its
    lines coming after `offset` rows."""
    rejected = {offset + row: reason for row, reason in case.rejected}
    cleaned = {(offset + row, column): value for row, column, value in case.cleaned}
    return Expected(case.accepted, rejected, case.duplicated, cleaned)


def rows_offsets() -> dict[str, int]:
    """Where each rows case's lines start in the shared rows file: after so many rows."""
    offsets, offset = {}, BASE_ROWS
    for case in ROWS_CASES:
        offsets[case.name] = offset
        offset += case.row_count
    return offsets


def rows_file(directory: Path) -> tuple[Path, Expected]:
    """Every rows case in one file, and what it should give (each case's lines in turn)."""
    path = write_rows_file(directory / "rows_cases.csv", list(ROWS_CASES))
    own = [expected_of(case, rows_offsets()[case.name]) for case in ROWS_CASES]
    return path, Expected(
        accepted=BASE_ROWS + sum(expected.accepted - BASE_ROWS for expected in own),
        rejected={row: reason for expected in own for row, reason in expected.rejected.items()},
        duplicated=sum(expected.duplicated for expected in own),
        cleaned={key: value for expected in own for key, value in expected.cleaned.items()},
    )


def markdown_table() -> str:
    """The README's table: every case, its outcome and, where it helps, why."""
    lines = ["| case | file | outcome | why |", "|---|---|---|---|"]
    for case in CASES:
        cells = [f"`{case.name}`", case.what, case.outcome, case.why]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def write_all(directory: Path) -> Iterator[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        yield case.path(directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, help="write every case's file here")
    parser.add_argument("--markdown", action="store_true", help="print the README's table")
    args = parser.parse_args()
    if args.markdown:
        print(markdown_table())
    if args.directory:
        for path in write_all(args.directory):
            print(path)


if __name__ == "__main__":
    main()
