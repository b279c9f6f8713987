"""Free TCP ports on 127.0.0.1 for the private servers tests start."""

import socket


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_pair() -> int:
    """A port p with p + 1 also free (a private broker's listener and its KRaft controller)."""
    for _ in range(50):
        port = free_port()
        if port < 65535:
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


def port_taken(port: int) -> bool:
    """Something answers on 127.0.0.1:port (for the fixed ports of the dashboards' stack)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
