"""Canonical YAML text for bundle files, so a generated or exported bundle diffs only on substance."""

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Block style keeps multi-line SQL and JSON readable in review.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(document: dict[str, Any]) -> str:
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=True,
        allow_unicode=True,
        width=1_000_000,
        default_flow_style=False,
    )


def load(text: str) -> Any:
    return yaml.safe_load(text)
