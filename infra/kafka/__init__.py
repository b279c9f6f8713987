"""The Kafka broker of the local stack, and private brokers for tests that break one."""

from infra.kafka.broker import Broker, PrivateBroker, fetch_jars

__all__ = ["Broker", "PrivateBroker", "fetch_jars"]
