"""Every LIANXI_ variable of every package, read from their pydantic-settings classes.

Keeps .env.example and the deployment files honest: tests compare both against this.
"""

import importlib
import inspect
from typing import Any

from core.settings import PlatformSettings

# The shared base first (its variables are listed once, under it), then one settings module
# per package (CONTRIBUTING.md); a package without one yet is skipped.
CONFIG_MODULES = (
    "core.settings",
    "infra.config",
    "warehouse.config",
    "ingest.config",
    "ingest.simulator.config",
    "streams.config",
    "dbt_project.config",
    "dashboards.config",
    "alerts.config",
    "reports.config",
)


def settings_classes() -> list[type[PlatformSettings]]:
    found: list[type[PlatformSettings]] = []
    for name in CONFIG_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue
            raise
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, PlatformSettings) and obj.__module__ == name:
                found.append(obj)
    return found


def env_names(cls: type[PlatformSettings]) -> dict[str, Any]:
    """Variable name -> default for each field of cls, in field order (one name per field)."""
    return {
        cls.env_name(name): None
        if field.is_required()
        else field.get_default(call_default_factory=True)
        for name, field in cls.model_fields.items()
    }


def all_variables() -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for cls in settings_classes():
        for name, default in env_names(cls).items():
            variables.setdefault(name, default)
    return dict(sorted(variables.items()))
