"""The export's columns, read from their one definition: `vars.spf_columns` in dbt_project.yml."""

from __future__ import annotations

from spf.definitions import var


def spf_columns() -> list[dict]:
    return var("spf_columns")


def raw_header() -> list[str]:
    """The export's header names, in order."""
    return [column["raw"] for column in spf_columns()]


def canonical_header(found: list[str]) -> list[str]:
    """A header's names as the export spells them: matched without regard to case or padding
    (`hours_studied` is Hours_Studied), as macros/check_raw_header.sql matches them; a name
    that is not the export's is kept as found."""
    spelling = {name.lower(): name for name in raw_header()}
    names = [name.replace('"', "").replace("\ufeff", "").strip() for name in found]
    return [spelling.get(name.lower(), name) for name in names]


def optional_when_scoring() -> tuple[str, ...]:
    """The columns a file being scored may leave out: the target (`target: true`), as
    macros/is_optional_when_scoring.sql says."""
    return tuple(column["raw"] for column in spf_columns() if column.get("target"))


def header_problem(found: list[str], optional: tuple[str, ...] = ()) -> str | None:
    """What macros/check_raw_header.sql reports when `found` is not the export's header
    (`optional`: columns that may be missing, optional_when_scoring() for a file scored)."""
    expected = raw_header()
    names = canonical_header(found)
    missing = [name for name in expected if name not in names and name not in optional]
    unexpected = [name for name in names if name and name not in expected]
    if not missing and not unexpected:
        return None
    return (
        f"missing columns:    {', '.join(missing) or '(none)'}\n"
        f"  unexpected columns: {', '.join(unexpected) or '(none)'}\n"
        f"  expected header:    {','.join(expected)}"
    )
