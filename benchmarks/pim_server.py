"""A baked App's fake PIM over HTTP for the benchmark, with counters read on standard input.

Run from a baked project's folder (so ``tests.fake_pim`` imports):
``python pim_server.py COUNT CLIENT_ID CLIENT_SECRET CALLBACK_URL`` serves COUNT PIMs on free
ports (tenants of the same App). It prints their URLs on one line, then
answers one JSON line per command read: ``delay SECONDS``, ``reset``, ``stats``.
The handler speaks HTTP/1.1 so that clients can keep connections open, as a real PIM allows.
"""

import json
import sys
import threading
from typing import Any

from tests.fake_pim import AUTHORIZE_PATH, FakePim, serve


def main() -> None:
    count, client_id, client_secret, callback_url = sys.argv[1:5]
    pims, servers = [], []
    app_peers: set[tuple[str, int]] = set()
    browser_peers: set[tuple[str, int]] = set()
    peers_lock = threading.Lock()
    for _ in range(int(count)):
        pim = FakePim(
            "http://127.0.0.1",
            client_id=client_id,
            client_secret=client_secret,
            callback_url=callback_url,
        )
        server = serve(pim, "127.0.0.1", 0)
        pim.url = f"http://127.0.0.1:{server.server_port}"
        handler = server.RequestHandlerClass
        forward = handler._forward  # type: ignore[attr-defined]

        def counting_forward(self: Any, forward: Any = forward) -> None:
            # The browser only visits the consent screen; every other call comes from the App.
            peers = browser_peers if self.path.startswith(AUTHORIZE_PATH) else app_peers
            with peers_lock:
                peers.add(self.client_address)
            forward(self)

        handler.protocol_version = "HTTP/1.1"
        handler.do_GET = handler.do_POST = counting_forward  # type: ignore[attr-defined]
        pims.append(pim)
        servers.append(server)
    print(" ".join(pim.url for pim in pims), flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "delay":
            for pim in pims:
                pim.answer_delay = float(argument)
        elif command == "reset":
            for pim in pims:
                pim.max_in_flight = 0
            with peers_lock:
                app_peers.clear()
                browser_peers.clear()
        answer = {
            "max_in_flight": max(pim.max_in_flight for pim in pims),
            "app_connections": len(app_peers),
            "browser_connections": len(browser_peers),
        }
        print(json.dumps(answer), flush=True)
    for server in servers:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
