"""Fuzzing from the API's own OpenAPI document (schemathesis) and from the event schemas
(hypothesis): never a 5xx, and every rejection says which event, field and rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_events import HOTLINE, event
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from support.ingest_api import RunningApi

from ingest.contracts import event_types, validate_event

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def rejection_explains_itself(ctx: Any, response: Any, case: Any) -> bool | None:
    if (
        400 <= response.status_code < 500
        and response.status_code != 404
        or response.status_code == 503
    ):
        body = response.json()
        items = body if isinstance(body, list) else body["errors"]
        assert items, f"{response.status_code} without reasons: {response.text}"
        for entry in items:
            assert {"field", "rule"} <= set(entry) and (
                entry.get("message") or entry.get("description")
            )
    return None


def _operations(api: RunningApi) -> list[Any]:
    loaded = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    operations = [result.ok() for result in loaded.get_all_operations()]
    # The Open311 read side needs the warehouse; it has its own tests.
    return [
        op
        for op in operations
        if not (op.method.upper() == "GET" and op.path.startswith("/open311/v2/requests"))
    ]


@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value
)
def test_openapi_fuzz(api: RunningApi, mode: GenerationMode) -> None:
    token = api.token(HOTLINE, ["lianxi.*"])
    operations = _operations(api)
    assert {op.path for op in operations} >= {"/v1/events", "/open311/v2/requests.json", "/healthz"}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not (
            list(operation.body) or list(operation.iter_parameters())
        ):
            continue  # nothing to make invalid

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            case.call_and_validate(
                base_url=api.url,
                headers={"Authorization": f"Bearer {token}"},
                checks=[not_a_server_error, rejection_explains_itself],
            )

        check()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event of some type with one envelope or data field replaced, removed or added."""
    ev = event(draw(st.sampled_from(event_types())))
    target = ev if draw(st.booleans()) else ev["data"]
    key = draw(st.sampled_from(sorted(target)) | st.text(min_size=1, max_size=12))
    action = draw(st.sampled_from(["replace", "delete", "keep"]))
    if action == "delete":
        target.pop(key, None)
    elif action == "replace":
        target[key] = draw(json_values)
    return copy.deepcopy(ev)


@FUZZ
@given(batch=st.lists(mutated_events(), min_size=1, max_size=4))
def test_schema_driven_fuzz(api: RunningApi, batch: list[dict[str, Any]]) -> None:
    token = api.token(HOTLINE, ["lianxi.*"])
    with api.client(token) as client:
        r = client.post("/v1/events", json=batch)
    assert r.status_code in (202, 403, 422), r.text
    expected = [v for ev in batch for v in validate_event(ev)]
    if r.status_code == 202:
        assert expected == [] and r.json()["accepted"] == len(batch)
        return
    errors = r.json()["errors"]
    assert errors and all(
        e["rule"] and e["message"] and isinstance(e["index"], int) for e in errors
    )
    if r.status_code == 422:
        assert {(e["field"], e["rule"]) for e in errors} == {(v.field, v.rule) for v in expected}
