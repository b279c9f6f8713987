"""Health probes: does a service answer its own protocol (not merely accept a connection)."""

import socket
import struct
import urllib.error
import urllib.request

# Metadata v0 (api key 3) for all topics: the cheapest request that only a broker that has
# joined its cluster answers with itself in the broker list.
_METADATA_V0 = struct.pack(">hhih", 3, 0, 7, len(b"lianxi-health")) + b"lianxi-health"
_METADATA_V0 += struct.pack(">i", 0)


def kafka_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """True once the broker answers a metadata request listing at least one broker."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(_METADATA_V0)) + _METADATA_V0)
            header = _read_exactly(sock, 4)
            (size,) = struct.unpack(">i", header)
            body = _read_exactly(sock, min(size, 8))
            correlation, brokers = struct.unpack(">ii", body)
            return correlation == 7 and brokers > 0
    except (OSError, struct.error):
        return False


def _read_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when url answers 200 (a redirect or 5xx during start-up counts as not ready)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_free(host: str, port: int) -> bool:
    """True if nothing listens on host:port (what a service about to bind there needs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
