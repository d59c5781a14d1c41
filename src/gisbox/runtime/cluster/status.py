"""`python -m gisbox.runtime.cluster.status ADDRESS`: the cluster's state as JSON.

Run by `gisbox cluster status` (and `up`) in a short-lived container on the
cluster's network, so the client's `distributed` is the image's own. Exit
codes: 0 answered, 3 no scheduler answers at ADDRESS.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


async def query(address: str, timeout: float) -> dict[str, Any]:
    from distributed.core import rpc

    async with rpc(address, timeout=timeout) as scheduler:
        result: dict[str, Any] = await asyncio.wait_for(scheduler.gisbox_status(), timeout)
        return result


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m gisbox.runtime.cluster.status tcp://HOST:PORT", file=sys.stderr)
        return 2
    try:
        state = asyncio.run(query(argv[0], 10.0))
    except (OSError, TimeoutError) as exc:
        print(json.dumps({"error": f"no scheduler answers at {argv[0]}: {exc}"}))
        return 3
    print(json.dumps(state, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
