"""The active dbt target's connection settings, read from the project's own profiles.yml by
dbt's own profile loader (same `env_var()` rules, same defaults), so that Python steps connect to
exactly the warehouse dbt builds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILE_NAME = "student_performance"


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def target_settings(target: str | None = None) -> dict[str, Any]:
    """Connection settings of `target` (default: the profile's own default target), rendered
    now, from the current environment."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.exceptions import DbtProfileError
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ)
    profiles_dir = os.environ.get("DBT_PROFILES_DIR", str(PROJECT_ROOT))
    profile = read_profile(profiles_dir).get(PROFILE_NAME)
    if profile is None:
        raise ConfigurationError(f"No profile '{PROFILE_NAME}' in {profiles_dir}/profiles.yml")
    outputs = profile.get("outputs", {})
    if target and target not in outputs:
        raise ConfigurationError(
            f"Unknown target '{target}': profiles.yml defines {', '.join(sorted(outputs))}"
        )
    try:
        name, settings = Profile.render_profile(profile, PROFILE_NAME, target, ProfileRenderer({}))
    except DbtProfileError as error:
        raise ConfigurationError(f"profiles.yml: {error}") from None
    if name not in outputs:
        raise ConfigurationError(
            f"Unknown target '{name}': profiles.yml defines {', '.join(sorted(outputs))}"
        )
    return {**settings, "target_name": name}
