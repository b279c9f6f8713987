"""dbt restates the event catalogue's domains in two places it cannot import from Python: the
quality macro's list (every domain whose raw table holds accepted events) and the raw sources.
Both must follow ingest's catalogue, or a new domain's events go uncounted on 数据质量."""

import re
from pathlib import Path

import yaml

from ingest import contracts

DBT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_quality_macro_lists_every_domain_of_the_catalogue_but_quality() -> None:
    macro = (DBT / "macros" / "quality.sql").read_text(encoding="utf-8")
    listed = re.search(r"macro event_domains\(\).*?return\(\[(.*?)\]\)", macro, re.DOTALL)
    assert listed is not None
    domains = re.findall(r"'(\w+)'", listed[1])
    assert sorted(domains) == sorted(d for d in contracts.domains() if d != "quality")


def test_raw_sources_have_a_table_per_domain() -> None:
    sources = yaml.safe_load(
        (DBT / "models" / "staging" / "_raw__sources.yml").read_text(encoding="utf-8")
    )
    tables = {t["name"] for s in sources["sources"] if s["name"] == "raw" for t in s["tables"]}
    assert {f"{d}_events" for d in contracts.domains()} <= tables
