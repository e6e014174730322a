"""The export's columns, read from their one definition: `vars.spf_columns` in dbt_project.yml."""

from __future__ import annotations

from spf.definitions import var


def spf_columns() -> list[dict]:
    return var("spf_columns")


def raw_header() -> list[str]:
    """The export's header names, in order."""
    return [column["raw"] for column in spf_columns()]


def header_problem(found: list[str]) -> str | None:
    """What macros/check_raw_header.sql reports when `found` is not the export's header."""
    expected = raw_header()
    names = [name.replace('"', "").replace("\ufeff", "").strip() for name in found]
    missing = [name for name in expected if name not in names]
    unexpected = [name for name in names if name and name not in expected]
    if not missing and not unexpected:
        return None
    return (
        f"missing columns:    {', '.join(missing) or '(none)'}\n"
        f"  unexpected columns: {', '.join(unexpected) or '(none)'}\n"
        f"  expected header:    {','.join(expected)}"
    )
