"""An HTTPS client of the public Chandra Data Archive (no CIAO needed).

The archive serves every observation below ``{base_url}/byobsid/{obsid % 10}/{obsid}/`` with
``primary/`` and ``secondary/`` sub-directories, as plain directory listings. The client
reads the listings, picks the files of a type by name pattern and downloads them (to a
temporary name, renamed when complete).
"""

from __future__ import annotations

import fnmatch
import http.client
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Final

import structlog

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES, check_obsid

__all__ = ["DEFAULT_ARCHIVE_URL", "ChandraArchive"]

DEFAULT_ARCHIVE_URL: Final = "https://cxc.cfa.harvard.edu/cdaftp"
"""Base URL of the public Chandra Data Archive (FTP tree over HTTPS)."""

_HREF = re.compile(r"""href\s*=\s*["']([^"'?#]+)["']""", re.IGNORECASE)


class ChandraArchive:
    """Retrieve observation files over HTTPS from the Chandra Data Archive.

    Parameters
    ----------
    base_url : str
        Root of the archive tree (default :data:`DEFAULT_ARCHIVE_URL`).
    timeout : float
        Seconds allowed for each HTTP request.
    """

    def __init__(self, base_url: str = DEFAULT_ARCHIVE_URL, timeout: float = 60.0) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValidationError(f"archive base URL must be http(s), got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.log: Any = structlog.get_logger("astromon.chandra_archive")

    def obsid_url(self, obsid: int) -> str:
        """URL of the directory of an observation."""
        return f"{self.base_url}/byobsid/{obsid % 10}/{obsid}/"

    def _open(self, url: str) -> Any:
        try:
            return urllib.request.urlopen(url, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise ProcessingError(f"archive request {url} failed: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ProcessingError(f"archive request {url} failed: {exc}") from exc

    def list_files(self, url: str) -> list[str]:
        """File names in a directory listing (empty when the directory does not exist)."""
        response = self._open(url)
        if response is None:
            return []
        try:
            with response:
                text = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            raise ProcessingError(f"archive request {url} failed: {exc!r}") from exc
        names = []
        for href in _HREF.findall(text):
            name = urllib.parse.unquote(href.rstrip("/").rsplit("/", 1)[-1])
            if name and not href.endswith("/") and not href.startswith(("..", "/")):
                names.append(name)
        return sorted(set(names))

    def _download(self, url: str, target: Path) -> None:
        response = self._open(url)
        if response is None:
            raise ProcessingError(f"archive file {url} disappeared (HTTP 404)")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            expected = response.headers.get("Content-Length")
            size = 0
            with response, open(tmp, "wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    size += len(chunk)
            if expected is not None and size != int(expected):
                raise ProcessingError(
                    f"cannot download {url} to {target}: got {size} of {expected} bytes"
                )
            tmp.replace(target)
        except (OSError, http.client.HTTPException) as exc:
            raise ProcessingError(f"cannot download {url} to {target}: {exc!r}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        """Download the ``file_type`` files of ``obsid`` into ``destination``.

        Raises
        ------
        ValidationError
            Unknown file type.
        ProcessingError
            The archive has no such files (unknown obsid) or a request fails.
        """
        obsid = check_obsid(obsid)
        if file_type not in ARCHIVE_FILE_TYPES:
            raise ValidationError(
                f"unknown file type {file_type!r}; known: {', '.join(ARCHIVE_FILE_TYPES)}"
            )
        ftype = ARCHIVE_FILE_TYPES[file_type]
        root = self.obsid_url(obsid)
        subdirs = [ftype.subdir, "primary", "secondary", "."]
        for subdir in dict.fromkeys(subdirs):
            url = root if subdir == "." else f"{root}{subdir}/"
            names = [n for n in self.list_files(url) if fnmatch.fnmatch(n, ftype.glob)]
            if names:
                break
        else:
            raise ProcessingError(
                f"the Chandra archive at {self.base_url} has no {file_type} files for obsid {obsid}"
            )
        destination = Path(destination)
        destination.mkdir(parents=True, exist_ok=True)
        written = []
        for name in names:
            target = destination / name
            self._download(url + urllib.parse.quote(name), target)
            written.append(target)
        self.log.info("retrieved", obsid=obsid, file_type=file_type, n_files=len(written))
        return written

    def find_obsids(self, start: str, stop: str) -> list[int]:
        """Not available from the archive tree."""
        raise ProcessingError(
            "the Chandra archive client cannot list observations by date; use arc5gl"
        )
