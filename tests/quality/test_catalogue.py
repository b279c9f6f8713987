"""The Chinese event catalogue is browsable: GET /v1/catalogue serves an HTML page generated
from the schema files, open like /docs, listing every type with its fields, labels and example."""

from __future__ import annotations

import html
import re

import httpx
from typer.testing import CliRunner

from infra.cli import app
from ingest import contracts


def test_catalogue_page_lists_every_type_field_and_label(api) -> None:
    response = httpx.get(f"{api.url}/v1/catalogue", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = html.unescape(response.text)
    assert "<title>联席事件目录</title>" in page
    for event_type in contracts.event_types():
        schema = contracts.schema_for(event_type)
        assert f'<h3 id="{event_type}">' in page, event_type
        section = page.split(f'<h3 id="{event_type}">', 1)[1].split("<h3 ", 1)[0]
        for name, prop in schema["properties"].items():
            assert f"<code>{name}</code>" in section, (event_type, name)
            assert prop["description"].partition(" / ")[0] in section, (
                event_type,
                name,
            )
            for code, label in prop.get("x-enum-labels", {}).items():
                assert f"<code>{code}</code> {label}" in section, (event_type, code)
    # Text from the schemas is escaped, never markup: a pattern's brackets stay text.
    assert not re.search(r"<[a-z]+-[0-9]", response.text)


def test_catalogue_command_writes_the_same_page(api, tmp_path) -> None:
    out = tmp_path / "catalogue.html"
    result = CliRunner().invoke(app, ["catalogue", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == httpx.get(f"{api.url}/v1/catalogue", timeout=30).text
