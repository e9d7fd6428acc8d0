"""Observation info (:class:`~astromon.ports.observation.ObservationInfo`) from a web page.

The sequence summary is the CXC target page ``target.cgi?{seq_num}``, keyed by the sequence
number of the observation (the obspar's ``seq_num``). Its fields are ``Name: value`` text nodes
placed directly inside ``<h4>`` elements (text inside nested tags is not a field); the fields
read are ``Title``, ``PI``, ``Observer``, ``Subject Category`` and ``Cycle``. The URL is a
template with ``{seq_num}`` and/or ``{obsid}``; several can be tried in turn.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from typing import Any, Final

import structlog

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import check_obsid

__all__ = ["DEFAULT_INFO_URLS", "SUMMARY_KEYS", "SequenceSummaryInfo", "parse_sequence_summary"]

DEFAULT_INFO_URLS: Final[tuple[str, ...]] = (
    "https://icxc.harvard.edu/cgi-bin/mp/target.cgi?{seq_num}",
)
"""URL templates of the sequence summary."""

SUMMARY_KEYS: Final[tuple[str, ...]] = ("Title", "PI", "Observer", "Subject Category", "Cycle")
"""The keys read from the sequence summary."""

_PLACEHOLDERS: Final = ("{obsid}", "{seq_num}")


class _H4Text(HTMLParser):
    """Collects the text nodes that are direct children of ``<h4>`` elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.nodes: list[str] = []
        self._current: list[str] | None = None

    def _flush(self) -> None:
        if self._current is not None:
            self.nodes.append("".join(self._current))
        self._current = None

    def close(self) -> None:
        """Finish the page: the text of an ``<h4>`` left open at its end is a node too."""
        super().close()
        self._flush()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        if tag not in ("br", "hr", "img", "input", "meta", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "h4":
            if self._current is None:
                self._current = []
            self._current.append(data)


def parse_sequence_summary(page: str) -> dict[str, str]:
    """The :data:`SUMMARY_KEYS` fields of a sequence-summary page.

    Each text node directly inside an ``<h4>`` element that reads ``Name: value`` (split at
    the first colon) with a known name and a non-empty value is a field; the first occurrence
    of a name wins.
    """
    parser = _H4Text()
    parser.feed(page)
    parser.close()
    wanted = set(SUMMARY_KEYS)
    result: dict[str, str] = {}
    for node in parser.nodes:
        name, sep, value = node.partition(":")
        name, value = " ".join(name.split()), " ".join(value.split())
        if sep and name in wanted and value and name not in result:
            result[name] = value
    return result


class SequenceSummaryInfo:
    """Sequence summaries fetched over HTTP(S) from configurable URL templates.

    Parameters
    ----------
    urls : sequence of str
        Templates with ``{seq_num}`` and/or ``{obsid}``; tried in order until one gives a
        summary.
    timeout : float
        Seconds per request.
    """

    def __init__(self, urls: Sequence[str] = DEFAULT_INFO_URLS, timeout: float = 30.0) -> None:
        if not urls:
            raise ValidationError("at least one sequence-summary URL template is needed")
        for url in urls:
            if not any(p in url for p in _PLACEHOLDERS) or not url.startswith(
                ("http://", "https://")
            ):
                raise ValidationError(
                    f"sequence-summary URL must be http(s) with {{seq_num}} or {{obsid}}: {url!r}"
                )
        self.urls = tuple(urls)
        self.timeout = timeout
        self.log: Any = structlog.get_logger("astromon.observation_info")

    def sequence_summary(self, obsid: int, seq_num: str | None = None) -> Mapping[str, str]:
        """The summary of ``obsid`` (sequence number ``seq_num``); empty when no page has one.

        Templates with ``{seq_num}`` are skipped when ``seq_num`` is not known.

        Raises
        ------
        ProcessingError
            Every URL tried failed with a network or server error (not just "no match").
        """
        obsid = check_obsid(obsid)
        seq = str(seq_num).strip() if seq_num is not None else ""
        errors = []
        tried = 0
        for template in self.urls:
            if "{seq_num}" in template and not seq:
                self.log.warning("no seq_num for the sequence summary", obsid=obsid, url=template)
                continue
            url = template.format(obsid=obsid, seq_num=seq)
            tried += 1
            try:
                with urllib.request.urlopen(url, timeout=self.timeout) as response:
                    charset = response.headers.get_content_charset() or "utf-8"
                    page = response.read().decode(charset, errors="replace")
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    continue
                errors.append(f"{url}: HTTP {exc.code}")
                continue
            except (urllib.error.URLError, OSError, LookupError) as exc:
                errors.append(f"{url}: {exc}")
                continue
            summary = parse_sequence_summary(page)
            if summary:
                return summary
        if errors and len(errors) == tried:
            raise ProcessingError(f"no sequence summary for obsid {obsid}: {'; '.join(errors)}")
        self.log.warning("no sequence summary", obsid=obsid, seq_num=seq)
        return {}
