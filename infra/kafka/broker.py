"""One Apache Kafka broker in KRaft mode (broker and controller in one JVM)."""

import base64
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from string import Template
from typing import Self

from infra.errors import StackError, run_or_fail
from infra.health import kafka_answers

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LOG4J = HERE / "log4j.properties"
PROPERTIES_TEMPLATE = HERE / "server.properties.tmpl"
MAIN_CLASS = "kafka.Kafka"


def require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise StackError(
            "java not found: Kafka needs Java 17",
            fix="apt-get install -y --no-install-recommends openjdk-17-jre-headless",
        )
    return java


def require_jars(libs_dir: Path) -> None:
    if not any(libs_dir.glob("kafka_2.13-*.jar")):
        raise StackError(
            f"Kafka jars missing in {libs_dir}",
            fix="run `make setup` (or `lianxi kafka fetch`)",
        )


def pinned_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text())
    assert match is not None, f"{POM} lost its kafka.version property"
    return match.group(1)


def fetch_jars(libs_dir: Path) -> bool:
    """Copy the broker jars (and a logging backend) from Maven into libs_dir.

    Returns False when the pinned version is already there (Maven takes seconds even then).
    """
    if (libs_dir / f"kafka_2.13-{pinned_version()}.jar").exists() and any(
        libs_dir.glob("slf4j-reload4j-*.jar")
    ):
        return False
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "mvn not found: Maven fetches the Kafka jars",
            fix="apt-get install -y --no-install-recommends maven",
        )
    libs_dir.mkdir(parents=True, exist_ok=True)
    run_or_fail(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs_dir}",
            "-DincludeScope=runtime",
            "-DoverWriteIfNewer=true",
        ],
        "Maven could not fetch the Kafka jars",
        fix="check that Maven Central is reachable, then run `make setup` again",
    )
    require_jars(libs_dir)
    return True


def cluster_id() -> str:
    # Kafka's own format: 16 random bytes, URL-safe base64 without padding.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class Broker:
    """Renders the config, formats storage once, and builds the JVM command line."""

    def __init__(
        self,
        home: Path,
        port: int,
        controller_port: int,
        libs_dir: Path,
        host: str = "127.0.0.1",
        heap: str = "512m",
    ) -> None:
        self.home = Path(home)
        self.port = port
        self.controller_port = controller_port
        self.libs_dir = Path(libs_dir)
        self.host = host
        self.heap = heap

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def _java(self, main_class: str, *args: str) -> list[str]:
        return [
            require_java(),
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{LOG4J}",
            "-cp",
            f"{self.libs_dir}/*",
            main_class,
            *args,
        ]

    def prepare(self) -> None:
        """Write server.properties and format the storage if it never was."""
        require_jars(self.libs_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties.write_text(
            Template(PROPERTIES_TEMPLATE.read_text()).substitute(
                host=self.host,
                port=self.port,
                controller_port=self.controller_port,
                data_dir=self.data_dir,
            )
        )
        if (self.data_dir / "meta.properties").exists():
            return
        run_or_fail(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                # One token: an id may start with "-", which a separate argument would make
                # look like an option (1 in 32 formats failed that way).
                f"--cluster-id={cluster_id()}",
                "-c",
                str(self.properties),
                "--ignore-formatted",
            ),
            f"formatting Kafka storage in {self.data_dir} failed",
            fix=f"remove {self.data_dir} if it holds nothing you need, then retry",
        )

    def command(self) -> list[str]:
        return self._java(MAIN_CLASS, str(self.properties))

    def exec_foreground(self) -> None:
        """Replace this process with the broker, so supervisor's signals reach the JVM."""
        self.prepare()
        command = self.command()
        os.execv(command[0], command)


class PrivateBroker(Broker):
    """A broker of one's own, for tests that restart or kill it.

    Lives under tmp_dir on the given port (controller on port + 1 unless told), using the jars
    the stack fetched. Not supervised: start/stop/kill are the test's to call.
    """

    def __init__(
        self,
        tmp_dir: Path,
        port: int,
        controller_port: int | None = None,
        libs_dir: Path | None = None,
        heap: str = "256m",
    ) -> None:
        if libs_dir is None:
            from infra.config import get_settings

            libs_dir = get_settings().kafka_libs_dir
        assert libs_dir is not None
        super().__init__(
            home=Path(tmp_dir),
            port=port,
            controller_port=controller_port or port + 1,
            libs_dir=libs_dir,
            heap=heap,
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    def start(self, timeout: float = 120.0) -> Self:
        """Start the JVM and return once the broker answers a metadata request."""
        if self.process is not None and self.process.poll() is None:
            return self
        self.prepare()
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(
                    f"private Kafka broker on port {self.port} exited with "
                    f"{self.process.returncode}: see {self.log_file}",
                    fix="check the log; a port in use shows as 'Address already in use'",
                )
            if kafka_answers(self.host, self.port, timeout=1.0):
                return self
            time.sleep(0.3)
        self.kill()
        raise StackError(
            f"private Kafka broker on port {self.port} not ready after {timeout:.0f}s",
            fix=f"see {self.log_file}",
        )

    def stop(self, timeout: float = 60.0) -> None:
        """Controlled shutdown (SIGTERM): the broker flushes and closes its logs cleanly."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed beyond what the OS already has."""
        self._signal(signal.SIGKILL, 30.0)

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
