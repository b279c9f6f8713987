"""`python -m warehouse.native`: the native listener alone, for tests, benchmarks and debugging.

`lianxi warehouse serve` (warehouse/server.py) is the real entry point: it runs this
listener and the HTTP interface in one process over one engine.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from warehouse.config import get_settings
from warehouse.engine import Engine
from warehouse.native.server import NativeServer
from warehouse.users import Users


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    engine = Engine(
        settings.resolved_data_dir,
        max_concurrent_queries=settings.max_concurrent_queries,
        max_execution_time=settings.max_execution_time,
    )
    server = NativeServer(engine, Users.from_settings(settings), settings)

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must not run on its thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write(f"native protocol listening on {settings.host}:{server.port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        engine.close()


if __name__ == "__main__":
    main()
