"""A sequence-summary server on 127.0.0.1 shaped like the CXC target page.

Modelled on what sot/astromon's ``Observation._get_sequence_summary`` (astromon/observation.py)
reads: the page is ``/cgi-bin/mp/target.cgi?{seq_num}`` (the obspar's sequence number, not the
obsid) and each field is a ``Name: value`` text node directly inside an ``<h4>`` element (with
other text in nested tags that is not a field). An unknown sequence number gets a page without
fields, as the real page does; ``/broken`` answers HTTP 500.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from html import escape

from tests.local_http import QuietHandler, serve

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

    class Handler(QuietHandler):
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
            self.reply(200, body, "text/html; charset=utf-8")

    with serve(Handler) as url:
        yield url, asked
