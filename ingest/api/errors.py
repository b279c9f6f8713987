"""One error shape for every rejection: which event, which field, which rule."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    index: int | None = Field(
        None,
        description="事件在请求中的序号（0 起），请求级错误为空 / index of the event in the request (0-based); null for request-level errors",
    )
    field: str = Field(
        description="出错字段路径，如 data.category / dotted path of the field, e.g. data.category"
    )
    rule: str = Field(
        description="违反的规则（JSON Schema 关键字或目录规则） / rule broken (JSON Schema keyword or catalogue rule)"
    )
    message: str


class ErrorBody(BaseModel):
    error: str = Field(description="机器可读的错误代码 / machine-readable error code")
    message: str
    errors: list[ErrorItem] = Field(default_factory=list)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        open311: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}
        self.open311 = open311

    def body(self) -> Any:
        if self.open311:
            # GeoReport v2 errors are a list of {code, description}; field and rule are our additions.
            items = self.errors or [item(None, "", self.error, self.message)]
            return [
                {
                    "code": self.status,
                    "description": e["message"],
                    "field": e["field"],
                    "rule": e["rule"],
                }
                for e in items
            ]
        return {"error": self.error, "message": self.message, "errors": self.errors}


def item(index: int | None, field: str, rule: str, message: str) -> dict[str, Any]:
    return {"index": index, "field": field, "rule": rule, "message": message}


def refused(
    status: int, error: str, message: str, field: str, rule: str, reason: str, **options: Any
) -> ApiError:
    """An ApiError about one thing the caller sent: which field, the rule it broke, and why
    (`options`: ApiError's headers, open311)."""
    return ApiError(status, error, message, [item(None, field, rule, reason)], **options)


async def api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def request_validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own parameter checks (query strings, forms) in our error shape."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        item(
            None,
            ".".join(str(p) for p in err.get("loc", ())),
            str(err.get("type", "invalid")),
            str(err.get("msg", "")),
        )
        for err in exc.errors()
    ]
    return JSONResponse(
        {
            "error": "invalid_request",
            "message": "the request parameters are invalid",
            "errors": errors,
        },
        status_code=400,
    )


async def unexpected_handler(_request: Request, exc: Exception) -> JSONResponse:
    # A bug, not bad input: say so without leaking a stack trace.
    return JSONResponse(
        {
            "error": "internal",
            "message": f"unexpected {type(exc).__name__}; see the server log",
            "errors": [],
        },
        status_code=500,
    )


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers of a route."""
    text = {
        400: "请求体不是合法 JSON 或结构错误 / body is not valid JSON or has the wrong shape",
        401: "缺少或无效的令牌 / missing or unknown bearer token",
        403: "令牌的来源或事件类型范围不符 / token's source or event-type scope does not cover the event",
        413: "批量过大 / batch or body too large",
        415: "不支持的内容类型 / unsupported content type",
        422: "事件不符合模式 / an event violates its schema",
        503: "Kafka 暂不可用，稍后重试 / Kafka unavailable, retry after the Retry-After delay",
    }
    return {code: {"model": ErrorBody, "description": text[code]} for code in codes}
