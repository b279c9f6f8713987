"""`lianxi warehouse serve`: one process, one engine, the HTTP and native listeners.

Run directly as `python -m warehouse.server`. SIGTERM/SIGINT: both listeners stop accepting,
in-flight HTTP queries finish (up to LIANXI_WAREHOUSE_SHUTDOWN_GRACE seconds), then the
engine closes its data directory.
"""

import logging
import sys
import threading
from types import FrameType

import uvicorn

from warehouse.config import WarehouseSettings, get_settings
from warehouse.engine import Engine, engine_runner
from warehouse.http_server import HttpInterface
from warehouse.users import Users

log = logging.getLogger("warehouse.server")


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # SIGTERM is this server's normal stop: after the graceful shutdown uvicorn would
        # re-raise it and kill the process before the engine and native listener close.
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def open_engine(settings: WarehouseSettings) -> Engine:
    return Engine(
        settings.resolved_data_dir,
        max_concurrent_queries=settings.max_concurrent_queries,
        max_execution_time=settings.max_execution_time,
        session_timeout=settings.session_timeout,
        max_session_timeout=settings.max_session_timeout,
        user_files_dir=settings.user_files_dir,
    )


def serve(settings: WarehouseSettings, *, migrate: bool = False) -> None:
    users = Users.from_settings(settings)
    engine = open_engine(settings)
    native = None
    native_thread = None
    try:
        if migrate:
            from warehouse.migrate import apply_migrations

            for line in apply_migrations(engine_runner(engine)):
                log.info("%s", line)
        if settings.native_enabled:
            from warehouse.native.server import NativeServer

            native = NativeServer(engine, users, settings)
            native_thread = threading.Thread(
                target=native.serve_forever, name="native", daemon=True
            )
            native_thread.start()
        app = HttpInterface(engine, users, settings)
        config = uvicorn.Config(
            app,
            host=settings.warehouse_host,
            port=settings.warehouse_http_port,
            lifespan="on",
            access_log=False,
            log_level="warning",
            # ClickHouse keeps idle HTTP connections 10 s; clients' pools expect about that.
            timeout_keep_alive=10,
            timeout_graceful_shutdown=int(settings.shutdown_grace) or None,
            server_header=False,
        )
        server = _Server(config)
        sys.stdout.write(
            f"warehouse serving http://{settings.warehouse_host}:{settings.warehouse_http_port}"
            + (
                f" and native {settings.warehouse_host}:{settings.warehouse_native_port}"
                if native
                else ""
            )
            + f" from {settings.resolved_data_dir}\n"
        )
        sys.stdout.flush()
        server.run()
    finally:
        if native is not None:
            native.shutdown()
        if native_thread is not None:
            native_thread.join(timeout=10)
        engine.close(grace=settings.shutdown_grace)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(get_settings(), migrate="--migrate" in sys.argv[1:])


if __name__ == "__main__":
    main()
