"""`lianxi stream`: run the Faust worker in the foreground until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal

from core import gc_tuning
from streams.config import StreamsSettings


def _stop_before_start(signum, frame) -> None:
    raise SystemExit(0)


def run(settings: StreamsSettings, loglevel: str = "info") -> None:
    # Until faust.Worker installs its handlers nothing is consumed, so a SIGTERM this early
    # has nothing to drain: exit cleanly (status 0) rather than die of the signal.
    signal.signal(signal.SIGTERM, _stop_before_start)

    import faust

    from streams import metrics
    from streams.app import Pipeline, create_app, load_registry
    from streams.sink import ClickHouseSink

    logging.basicConfig(
        level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # The sink logs each failed insert once, with the retry count; the driver's own
    # per-attempt tracebacks would bury that during a warehouse outage.
    logging.getLogger("clickhouse_driver").setLevel(logging.ERROR)
    gc_tuning.tune(settings.streams_gc_gen0_threshold)
    pipeline = Pipeline(settings, ClickHouseSink(settings))
    load_registry(pipeline)
    app = create_app(settings, pipeline)
    if settings.streams_metrics_enabled:
        metrics.serve(settings.streams_metrics_port)
    # faust.Worker installs the SIGTERM/SIGINT handlers that stop the loader (draining the
    # batch in flight) and close the consumer.
    worker = faust.Worker(app, loglevel=loglevel, override_logging=False)
    worker.execute_from_commandline()
