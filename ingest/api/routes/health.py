"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="健康检查 / health")
async def healthz(request: Request) -> JSONResponse:
    """200 while the API can accept events; 503 while Kafka is known to be unreachable."""
    gate = request.app.state.gate
    down = gate.failing_since is not None and not gate.producer.connected()
    body: dict[str, Any] = {
        "status": "degraded" if down else "ok",
        "kafka": "unreachable" if down else "ok",
    }
    return JSONResponse(body, status_code=503 if down else 200)


@router.get("/metrics", summary="Prometheus 指标 / Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
