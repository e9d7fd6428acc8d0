"""Observation info (:class:`~astromon.ports.observation.ObservationInfo`) from a web page.

The sequence summary is an HTML page per obsid (by default the CXC target page) whose table
cells hold label/value pairs (``Title``, ``PI``, ``Observer``, ``Subject Category``,
``Cycle``). The URL is a template with ``{obsid}``; several can be tried in turn.
"""

from __future__ import annotations

import html
import itertools
import re
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any, Final

import structlog

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import check_obsid

__all__ = ["DEFAULT_INFO_URLS", "SUMMARY_KEYS", "SequenceSummaryInfo", "parse_sequence_summary"]

DEFAULT_INFO_URLS: Final[tuple[str, ...]] = (
    "https://icxc.harvard.edu/cgi-bin/mp/target.cgi?{obsid}",
)
"""URL templates of the sequence summary."""

SUMMARY_KEYS: Final[tuple[str, ...]] = ("Title", "PI", "Observer", "Subject Category", "Cycle")
"""The keys read from the sequence summary."""

_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def parse_sequence_summary(page: str) -> dict[str, str]:
    """Label/value pairs of :data:`SUMMARY_KEYS` found in consecutive table cells."""
    cells = [" ".join(html.unescape(_TAG.sub(" ", c)).split()) for c in _CELL.findall(page)]
    wanted = {k.lower(): k for k in SUMMARY_KEYS}
    result: dict[str, str] = {}
    for label, value in itertools.pairwise(cells):
        key = wanted.get(label.rstrip(":").strip().lower())
        if key is not None and key not in result:
            result[key] = value
    return result


class SequenceSummaryInfo:
    """Sequence summaries fetched over HTTP(S) from configurable URL templates.

    Parameters
    ----------
    urls : sequence of str
        Templates with ``{obsid}``; tried in order until one gives a summary.
    timeout : float
        Seconds per request.
    """

    def __init__(self, urls: Sequence[str] = DEFAULT_INFO_URLS, timeout: float = 30.0) -> None:
        if not urls:
            raise ValidationError("at least one sequence-summary URL template is needed")
        for url in urls:
            if "{obsid}" not in url or not url.startswith(("http://", "https://")):
                raise ValidationError(
                    f"sequence-summary URL must be http(s) with {{obsid}}: {url!r}"
                )
        self.urls = tuple(urls)
        self.timeout = timeout
        self.log: Any = structlog.get_logger("astromon.observation_info")

    def sequence_summary(self, obsid: int) -> Mapping[str, str]:
        """The summary of ``obsid``; empty when no page has one.

        Raises
        ------
        ProcessingError
            Every URL failed with a network error (not just "no match").
        """
        obsid = check_obsid(obsid)
        errors = []
        for template in self.urls:
            url = template.format(obsid=obsid)
            try:
                with urllib.request.urlopen(url, timeout=self.timeout) as response:
                    page = response.read().decode("utf-8", errors="replace")
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    continue
                errors.append(f"{url}: HTTP {exc.code}")
                continue
            except (urllib.error.URLError, OSError) as exc:
                errors.append(f"{url}: {exc}")
                continue
            summary = parse_sequence_summary(page)
            if summary:
                return summary
        if errors and len(errors) == len(self.urls):
            raise ProcessingError(f"no sequence summary for obsid {obsid}: {'; '.join(errors)}")
        self.log.warning("no sequence summary", obsid=obsid)
        return {}
