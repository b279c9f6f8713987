"""Every LIANXI_ variable of every package, read from their pydantic-settings classes.

Keeps .env.example and the deployment files honest: tests compare both against this.
"""

import importlib
import inspect
from typing import Any

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

# One settings module per package (CONTRIBUTING.md); a package without one yet is skipped.
CONFIG_MODULES = (
    "infra.config",
    "warehouse.config",
    "ingest.config",
    "streams.config",
    "dbt_project.config",
    "dashboards.config",
    "alerts.config",
    "reports.config",
)


def settings_classes() -> list[type[BaseSettings]]:
    found: list[type[BaseSettings]] = []
    for name in CONFIG_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue
            raise
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseSettings) and obj is not BaseSettings and obj.__module__ == name:
                found.append(obj)
    return found


def env_names(cls: type[BaseSettings]) -> dict[str, Any]:
    """Variable name -> default for each field of cls, in field order (one name per field)."""
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    names: dict[str, Any] = {}
    for field_name, field in cls.model_fields.items():
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            first = next((c for c in alias.choices if isinstance(c, str)), field_name)
            names[first.upper()] = default
        elif isinstance(alias, str):
            names[alias.upper()] = default
        else:
            names[prefix + field_name.upper()] = default
    return names


def all_variables() -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for cls in settings_classes():
        for name, default in env_names(cls).items():
            variables.setdefault(name, default)
    return dict(sorted(variables.items()))
