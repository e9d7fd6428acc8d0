"""A sequence-summary server on 127.0.0.1 shaped like the CXC target page.

Modelled on what sot/astromon's ``Observation._get_sequence_summary`` (astromon/observation.py)
reads: the page is ``/cgi-bin/mp/target.cgi?{seq_num}`` (the obspar's sequence number, not the
obsid) and each field is a ``Name: value`` text node directly inside an ``<h4>`` element (with
other text in nested tags that is not a field). An unknown sequence number gets a page without
fields, as the real page does; ``/broken`` answers HTTP 500.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["summary_page", "summary_server"]


def summary_page(fields: Mapping[str, str]) -> str:
    """The HTML of a target page with ``fields`` as ``<h4>`` text nodes."""
    rows = "\n".join(
        f"<h4>{escape(name)}: {escape(value)} <a href='#'>(details: not a field)</a></h4>"
        for name, value in fields.items()
    )
    return f"""<html><head><title>Target</title></head><body>
<table><tr><td>Title</td><td>decoy: a table cell is not a field</td></tr></table>
<h4>Sequence Number: {escape(fields.get("Sequence Number", ""))}<br>
Status: archived</h4>
{rows}
</body></html>"""


@contextmanager
def summary_server(pages: Mapping[str, Mapping[str, str]]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``pages`` (seq_num → fields); yields the base URL and the list of paths asked."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            if self.path.startswith("/broken"):
                self.send_error(500)
                return
            if not self.path.startswith("/cgi-bin/mp/target.cgi?"):
                self.send_error(404)
                return
            seq_num = self.path.split("?", 1)[1]
            body = summary_page(pages.get(seq_num, {})).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
