"""GET /v1/catalogue: the Chinese event catalogue (HTML generated from the schema files).

Open to anyone who can reach the API, like /docs and /openapi.json: it documents the public
contracts and holds no data."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ingest.catalogue_page import render

router = APIRouter(tags=["catalogue"])


@router.get("/v1/catalogue", response_class=HTMLResponse, summary="事件目录 / event catalogue")
async def get_catalogue() -> HTMLResponse:
    """Every domain, event type and field with its Chinese description, constraints, allowed
    values and an example, generated from ingest/contracts/schemas."""
    return HTMLResponse(render())
