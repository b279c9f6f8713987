"""Event contracts of Lianxi: the JSON Schemas under schemas/ and what is derived from them.

Stable API (streams, simulator and the ingest API import it):
event_types, publisher_event_types, PLATFORM_DOMAINS, domains, domain_of, topic_for, topics, schema_for, envelope_schema, aggregate_field,
dataschema_for, validate_event, validate_data, Violation, model_for, envelope_model.
"""

from ingest.contracts.models import envelope_model, model_for
from ingest.contracts.registry import (
    DEADLETTER_TOPIC,
    PLATFORM_DOMAINS,
    SPECVERSION,
    TYPE_PREFIX,
    UnknownEventType,
    Violation,
    aggregate_field,
    dataschema_for,
    domain_of,
    domains,
    envelope_schema,
    event_types,
    is_valid,
    major_of,
    publisher_event_types,
    schema_for,
    topic_for,
    topics,
    validate_data,
    validate_event,
    versions_of,
)

__all__ = [
    "DEADLETTER_TOPIC",
    "PLATFORM_DOMAINS",
    "SPECVERSION",
    "TYPE_PREFIX",
    "UnknownEventType",
    "Violation",
    "aggregate_field",
    "dataschema_for",
    "domain_of",
    "domains",
    "envelope_model",
    "envelope_schema",
    "event_types",
    "is_valid",
    "major_of",
    "model_for",
    "publisher_event_types",
    "schema_for",
    "topic_for",
    "topics",
    "validate_data",
    "validate_event",
    "versions_of",
]
