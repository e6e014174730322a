"""The active dbt target's connection settings, read from the project's own profiles.yml.

profiles.yml is the one place connection settings are defined; this renders it the way dbt
does for `env_var()` so that Python steps connect to exactly the warehouse dbt built.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILE_NAME = "student_performance"


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _env_var(name: str, default: str | None = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is None:
        raise ConfigurationError(f"Environment variable {name} is required by profiles.yml")
    return default


def _as_number(value: str) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def _as_bool(value: str) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes"}


def load_profile(profiles_dir: Path | None = None) -> dict[str, Any]:
    """The rendered `student_performance` profile: {'target': name, 'outputs': {...}}."""
    path = (profiles_dir or Path(os.environ.get("DBT_PROFILES_DIR", PROJECT_ROOT))) / "profiles.yml"
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.filters.update(as_number=_as_number, as_bool=_as_bool, as_text=str)
    template = environment.from_string(path.read_text())
    rendered = yaml.safe_load(template.render(env_var=_env_var))
    return rendered[PROFILE_NAME]


def target_settings(target: str | None = None) -> dict[str, Any]:
    """Connection settings of `target` (default: the profile's own default target)."""
    profile = load_profile()
    name = target or profile["target"]
    outputs = profile["outputs"]
    if name not in outputs:
        raise ConfigurationError(
            f"Unknown target '{name}': profiles.yml defines {', '.join(sorted(outputs))}"
        )
    settings = dict(outputs[name])
    settings["target_name"] = name
    return settings
