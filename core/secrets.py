"""One rule for secrets, for every package: the documented local defaults are refused anywhere
but in development (`LIANXI_ENV=development`; unset means production)."""

from collections.abc import Mapping

# Values that ship in .env.example, the READMEs and the settings' defaults.
PLACEHOLDERS = frozenset({"", "admin", "changeme", "dev-superset-secret-key"})


def is_placeholder(value: str | None) -> bool:
    """A documented default: empty, one of the shipped values, or any `dev-…` password."""
    return value is None or value in PLACEHOLDERS or value.startswith("dev-")


def refuse_placeholders(env: str, secrets: Mapping[str, str | None]) -> None:
    """Raise ValueError naming every variable (`LIANXI_…`) that still holds a placeholder,
    unless env is development."""
    if env == "development":
        return
    weak = [name for name, value in secrets.items() if is_placeholder(value)]
    if weak:
        raise ValueError(
            f"placeholder secrets refused outside LIANXI_ENV=development: {', '.join(weak)} "
            "(set real values in the environment)"
        )
