"""The export's columns, read from their one definition: `vars.spf_columns` in dbt_project.yml."""

from __future__ import annotations

from spf.definitions import var
from spf.profile import ConfigurationError


def spf_columns() -> list[dict]:
    return var("spf_columns")


def raw_header() -> list[str]:
    """The export's header names, in order."""
    return [column["raw"] for column in spf_columns()]


class HeaderRefused(ConfigurationError):
    """A file's header is not the export's; the message names the file and the columns."""


def checked_header(source: str, header_line: str, scoring: bool = False) -> list[str]:
    """The header's names as the export spells them, in the file's order; HeaderRefused when
    they are not the export's columns. The rule is macros/check_raw_header.sql's, called
    through dbt's Jinja (spf.macros), so every landing and every check uses the same one.
    `scoring`: a file being scored, which may leave out the target."""
    from spf.macros import MacroError, call_macro

    try:
        return list(
            call_macro("check_raw_header", source, header_line, overrides={"spf_scoring": scoring})
        )
    except MacroError as error:
        raise HeaderRefused(str(error)) from None
