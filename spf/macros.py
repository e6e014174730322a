"""Call one of the project's own dbt macros from Python, rendered by dbt's Jinja, so that a rule
a macro defines is not written a second time in Python (the raw header check:
macros/check_raw_header.sql, used by every engine's landing, the runner's checks before it
lands, and scoring).

Only macros that need no adapter or database can be called this way: the context holds `var`
(the project's vars, with `overrides`), `return`, `log` and `exceptions.raise_compiler_error`
(which raises MacroError with the macro's message), and every macro of macros/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from spf.definitions import project_name, project_vars
from spf.profile import PROJECT_ROOT

_MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(")


class MacroError(Exception):
    """A macro raised a compiler error; the message is the macro's."""


@dataclass(frozen=True)
class _Macro:
    """What dbt's macro generator needs of a parsed macro."""

    name: str
    macro_sql: str
    unique_id: str
    package_name: str
    original_file_path: str


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise MacroError(message)


@cache
def _macro_files() -> dict[str, tuple[str, str]]:
    """{macro name: (file path, file text)} for every macro of macros/."""
    found = {}
    for path in sorted((PROJECT_ROOT / "macros").rglob("*.sql")):
        text = path.read_text()
        for name in _MACRO.findall(text):
            found[name] = (str(path.relative_to(PROJECT_ROOT)), text)
    return found


def call_macro(name: str, *args: Any, overrides: dict[str, Any] | None = None) -> Any:
    """The value `{{ return(...) }}` gives in macro `name` called with `args`."""
    from dbt_common.clients.jinja import CallableMacroGenerator
    from dbt_common.exceptions.macros import MacroReturn

    variables = {**project_vars(), **(overrides or {})}

    def return_(value: Any) -> None:
        raise MacroReturn(value)

    context: dict[str, Any] = {
        "var": lambda key, default=None: variables.get(key, default),
        "return": return_,
        "log": lambda message, info=False: "",
        "exceptions": _Exceptions,
    }
    package = project_name()
    for macro, (path, text) in _macro_files().items():
        node = _Macro(macro, text, f"macro.{package}.{macro}", package, path)
        context[macro] = CallableMacroGenerator(node, context)
    return context[name](*args)
