"""Builds the FastAPI application; `lianxi api serve` runs it under uvicorn."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError

from core import gc_tuning
from ingest.api.errors import (
    ApiError,
    api_error_handler,
    request_validation_handler,
    unexpected_handler,
)
from ingest.api.kafka_gate import KafkaGate
from ingest.api.metrics import ApiMetrics
from ingest.api.routes import alerts, catalogue, events, health, kpi_metrics, open311
from ingest.config import IngestSettings, get_settings
from ingest.producer import Producer
from ingest.tokens import TokenStore

DESCRIPTION = """\
联席（Lianxi）事件接入接口：以 CloudEvents 1.0 发布事件，Open311 GeoReport v2 受理工单。
每个请求在 Kafka 确认全部事件后才返回 202；错误答复逐条列出事件序号、字段与规则。
GET /v1/metrics 只读提供各指标（与看板同一口径层）。

Lianxi ingest API: publish CloudEvents 1.0 events; Open311 GeoReport v2 for service tickets.
202 only after Kafka acknowledged every event; every rejection lists event index, field and rule.
GET /v1/metrics: read-only KPIs from the same metric layer as the dashboards.
"""


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        producer = Producer(settings, client_id="lianxi-api")
        app.state.tokens = TokenStore(settings.tokens_path)
        app.state.gate = KafkaGate(producer, settings.api_ack_timeout_s, settings.api_retry_after_s)
        app.state.warehouse = open311.WarehouseReader(settings)
        app.state.mart_reader = kpi_metrics.MartReader(settings)
        app.state.alerts = alerts.AlertReader(settings)
        gc_tuning.tune(settings.api_gc_gen0_threshold)
        try:
            yield
        finally:
            producer.close(timeout=10)
            app.state.tokens.close()
            app.state.warehouse.close()
            app.state.mart_reader.close()
            app.state.alerts.close()

    app = FastAPI(
        title="Lianxi ingest API / 联席事件接入",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = ApiMetrics()
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(Exception, unexpected_handler)

    @app.middleware("http")
    async def count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        path = getattr(request.scope.get("route"), "path", "unmatched")
        app.state.metrics.requests.labels(path, str(response.status_code)).inc()
        app.state.metrics.latency.labels(path).observe(time.perf_counter() - started)
        return response

    app.include_router(events.router)
    app.include_router(open311.router)
    app.include_router(kpi_metrics.router)
    app.include_router(alerts.router)
    app.include_router(health.router)
    app.include_router(catalogue.router)
    return app
