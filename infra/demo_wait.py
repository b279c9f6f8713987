"""`python -m infra.demo_wait`: wait until the worker has loaded what was published.

`make demo` publishes the seed year, then must not build the marts from half of it. The
raw row count settling (unchanged over a few polls) is the signal; bounded, so a stuck worker
ends in a clear message instead of a hang.
"""

import sys
import time
import urllib.parse
import urllib.request

from infra.config import get_settings

QUERY = "SELECT sum(total_rows) FROM system.tables WHERE database = 'raw'"


def raw_rows(url: str, user: str, password: str) -> int:
    request = urllib.request.Request(
        f"{url}/?{urllib.parse.urlencode({'user': user, 'password': password})}",
        data=QUERY.encode(),
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # local warehouse only
        return int(response.read().decode().strip() or 0)


def wait(stable_polls: int = 3, interval: float = 5.0, limit: float = 900.0) -> int:
    settings = get_settings()
    url = f"http://{settings.warehouse_host}:{settings.warehouse_http_port}"
    user, password = settings.warehouse_admin_user, settings.warehouse_admin_password
    began = time.monotonic()
    last, same = -1, 0
    while time.monotonic() - began < limit:
        rows = raw_rows(url, user, password)
        same = same + 1 if rows == last and rows > 0 else 0
        if same >= stable_polls:
            print(f"raw tables settled at {rows:,} rows")
            return 0
        last = rows
        print(f"  loaded so far: {rows:,} rows", flush=True)
        time.sleep(interval)
    print(f"raw rows still changing after {limit:.0f}s: see `lianxi logs worker`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(wait())
