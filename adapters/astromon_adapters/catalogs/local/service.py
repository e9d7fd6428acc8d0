"""The local catalog service: cone searches in catalog files the user has (offline).

A catalog file (Parquet, FITS or ECSV) has the columns ``ra``, ``dec`` (degrees) and ``name``,
and optionally ``mag``, ``pmra``/``pmdec`` (mas/yr, ``pmra`` with the cos(dec) factor) and
``epoch`` (Julian years; a column, or an ``epoch`` entry of the file's metadata). Column names
are matched case-insensitively. A single file may hold several catalogs in a ``catalog``
column; otherwise each catalog name is mapped to its own file.

The first query of a file converts it once into an index: a Parquet file sorted by
(catalog, HEALPix pixel) with small row groups, plus the first row and number of rows of every
pixel (kept in memory). A query reads only the row groups of the pixels around the positions,
so a catalog of millions of stars is never loaded whole. The index is kept (default
``$XDG_CACHE_HOME/astromon/catalog-index``) and rebuilt when the file changes.

The rows are the stars in the form :class:`astromon.domain.catalogs.CatalogStars` holds them
(positions at their own epochs, motions on the sky), and they are moved to the observation's
epoch along the path the VizieR adapter takes, when the registry says the catalog moves and
the file has proper motions. A row without motion (blank ``pmra``/``pmdec``) stays where it is.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from astropy import units as u
from astropy.table import Table
from astropy_healpix import HEALPix
from numpy.typing import ArrayLike, NDArray

from astromon.domain.catalogs import (
    CatalogStars,
    counterpart_table,
    get_catalog,
    stars_near_positions,
)
from astromon.domain.errors import CatalogError, ValidationError
from astromon.domain.geometry import angular_separation_arcsec
from astromon_adapters.catalogs.local.files import catalog_file_format, read_catalog_file
from astromon_adapters.catalogs.local.index import CatalogIndex, CatalogStats

__all__ = ["DEFAULT_NSIDE", "LocalCatalogService", "default_index_dir"]

logger = logging.getLogger(__name__)

DEFAULT_NSIDE: Final = 64
"""HEALPix resolution of the index (nested ordering; pixels of about 55 arcmin)."""

ROW_GROUP_SIZE: Final = 8192
NEIGHBOUR_FRACTION: Final = 8.0
"""Search discs up to 1/8 of the pixel size are covered by a pixel and its neighbours (checked
against cone searches at every latitude, with margin: 1/4 holds too)."""
_INDEX_VERSION: Final = 2


def default_index_dir() -> Path:
    """``~/.cache/astromon/catalog-index``: where indexes go without a configured cache."""
    return Path.home() / ".cache" / "astromon" / "catalog-index"


class LocalCatalogService:
    """Catalog service on local catalog files (implements ``CatalogService``).

    Parameters
    ----------
    files : path or mapping of catalog name to path
        One file holding several catalogs (with a ``catalog`` column), or one file per
        catalog name (registered names, see :mod:`astromon.domain.catalogs`).
    index_dir : path, optional
        Where indexes are kept (default: ``.astromon-index`` beside each file when that
        directory is writable, else ``cache_dir``).
    nside : int
        HEALPix resolution of the index (a power of 2).
    cache_dir : path, optional
        Where indexes go when they cannot be kept beside their file (default
        :func:`default_index_dir`; the composition root passes ``$XDG_CACHE_HOME``'s).

    Raises
    ------
    ValidationError
        Bad arguments (unknown catalog names, an unsupported file type, a bad nside).
    CatalogError
        A file does not exist.
    """

    def __init__(
        self,
        files: str | os.PathLike[str] | Mapping[str, str | os.PathLike[str]],
        *,
        index_dir: str | os.PathLike[str] | None = None,
        nside: int = DEFAULT_NSIDE,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if not (isinstance(nside, int) and nside > 0 and nside & (nside - 1) == 0):
            raise ValidationError(f"nside must be a power of 2, got {nside!r}")
        self.nside = nside
        self.healpix = HEALPix(nside=nside, order="nested")
        self._resolution_deg = float(self.healpix.pixel_resolution.to_value(u.deg))
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_index_dir()
        self._single: Path | None = None
        self._files: dict[str, Path] = {}
        if isinstance(files, Mapping):
            if not files:
                raise ValidationError("LocalCatalogService needs at least one catalog file")
            for name, path in files.items():
                get_catalog(name)
                self._files[name] = self._check_file(path)
        else:
            self._single = self._check_file(files)
        self._indexes: dict[Path, CatalogIndex] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        files = str(self._single) if self._single else {k: str(v) for k, v in self._files.items()}
        return f"LocalCatalogService({files!r}, index_dir={self.index_dir!r})"

    @staticmethod
    def _check_file(path: str | os.PathLike[str]) -> Path:
        file = Path(path).expanduser()
        catalog_file_format(file)
        if not file.is_file():
            raise CatalogError(f"catalog file {file} does not exist")
        return file.resolve()

    # --- the query ------------------------------------------------------------------------

    def query(
        self,
        catalog: str,
        ra: ArrayLike,
        dec: ArrayLike,
        radius_arcsec: float,
        epoch: float,
    ) -> Table:
        """Stars of ``catalog`` within ``radius_arcsec`` of any (ra, dec), at ``epoch``.

        Parameters
        ----------
        catalog : str
            Registered catalog name served by the files.
        ra, dec : array-like
            Positions in degrees.
        radius_arcsec : float
            Search radius in arcsec.
        epoch : float
            Julian epoch (years) of the observation.

        Returns
        -------
        astropy.table.Table
            Columns catalog, name, ra, dec (degrees), mag; each star once.

        Raises
        ------
        ValidationError
            Unknown catalog or bad radius.
        CatalogError
            The files do not hold the catalog, a file lacks needed columns or is unreadable.
        """
        spec = get_catalog(catalog)
        if not (np.isfinite(radius_arcsec) and radius_arcsec > 0):
            raise ValidationError(f"radius must be > 0 arcsec, got {radius_arcsec!r}")
        ra_arr = np.atleast_1d(np.asarray(ra, dtype=np.float64))
        dec_arr = np.atleast_1d(np.asarray(dec, dtype=np.float64))
        index, stats = self._index_for(catalog)
        if len(ra_arr) == 0 or stats.rows == 0:
            return counterpart_table(catalog, [], [], [], [])
        moves = spec.moves and stats.has_pm
        margin_deg = 0.0
        if moves:
            years = max(abs(epoch - stats.epoch_min), abs(epoch - stats.epoch_max))
            margin_deg = stats.max_pm_mas_yr * years / 3.6e6
        search_deg = (radius_arcsec / 3600.0 + margin_deg) * 1.001 + 1e-6
        pixels = self._pixels_near(ra_arr, dec_arr, search_deg)
        keys = (np.int64(stats.code) * self.healpix.npix + pixels).astype(np.int64)
        rows = index.rows(keys)
        no_motion = np.full(len(rows), np.nan)
        stars = CatalogStars(
            np.asarray(rows["ra"], dtype=np.float64),
            np.asarray(rows["dec"], dtype=np.float64),
            np.asarray(rows["epoch"], dtype=np.float64),
            np.asarray(rows["pmra"], dtype=np.float64) if moves else no_motion,
            np.asarray(rows["pmdec"], dtype=np.float64) if moves else no_motion,
        )
        s_ra, s_dec = stars.at_epoch(epoch)
        keep = np.flatnonzero(stars_near_positions(s_ra, s_dec, ra_arr, dec_arr, radius_arcsec))
        return counterpart_table(
            catalog,
            np.asarray(rows["name"], dtype=object)[keep],
            s_ra[keep],
            s_dec[keep],
            np.asarray(rows["mag"], dtype=np.float64)[keep],
        )

    def _pixels_near(
        self, ra: NDArray[np.float64], dec: NDArray[np.float64], radius_deg: float
    ) -> NDArray[np.int64]:
        """HEALPix pixels touching a disc of ``radius_deg`` around any position."""
        hp = self.healpix
        centres = np.unique(np.asarray(hp.lonlat_to_healpix(ra * u.deg, dec * u.deg)))
        if radius_deg <= self._resolution_deg / NEIGHBOUR_FRACTION:
            # a disc this small lies within its pixel and the 8 (or 7) neighbours
            with warnings.catch_warnings(), np.errstate(invalid="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                around = np.asarray(hp.neighbours(centres)).ravel()
            return np.unique(np.concatenate([centres, around[around >= 0]]).astype(np.int64))
        c_lon, c_lat = hp.healpix_to_lonlat(centres)
        b_lon, b_lat = hp.boundaries_lonlat(centres, step=4)
        c_ra, c_dec = c_lon.to_value(u.deg), c_lat.to_value(u.deg)
        extent = angular_separation_arcsec(
            c_ra[:, None], c_dec[:, None], b_lon.to_value(u.deg), b_lat.to_value(u.deg)
        ).max(axis=1)
        # the disc around a position is inside the disc of (pixel extent + radius) around its
        # pixel centre; search that larger disc once per distinct pixel
        reach = extent / 3600.0 * 1.01 + radius_deg
        found = [
            np.asarray(hp.cone_search_lonlat(lon * u.deg, lat * u.deg, radius=r * u.deg))
            for lon, lat, r in zip(c_ra.tolist(), c_dec.tolist(), reach.tolist(), strict=True)
        ]
        return np.unique(np.concatenate([centres, *found]).astype(np.int64))

    # --- the index ------------------------------------------------------------------------

    def _index_for(self, catalog: str) -> tuple[CatalogIndex, CatalogStats]:
        if self._single is not None:
            path, label = self._single, None
        elif catalog in self._files:
            path, label = self._files[catalog], catalog
        else:
            raise CatalogError(
                f"no local catalog file for catalog {catalog!r} (files are given for "
                f"{sorted(self._files)})"
            )
        with self._lock:
            index = self._indexes.get(path if label is None else Path(f"{path}#{label}"))
            if index is None:
                index = self._open_or_build(path, label)
                self._indexes[path if label is None else Path(f"{path}#{label}")] = index
        name = catalog if label is None else label
        stats = index.catalogs.get(name)
        if stats is None:
            raise CatalogError(
                f"catalog file {path} holds no rows of catalog {catalog!r} (it holds "
                f"{sorted(index.catalogs)})"
            )
        return index, stats

    def _open_or_build(self, path: Path, label: str | None) -> CatalogIndex:
        stat = path.stat()
        digest = hashlib.sha256(
            json.dumps(
                [str(path), stat.st_size, stat.st_mtime_ns, self.nside, label, _INDEX_VERSION]
            ).encode()
        ).hexdigest()[:16]
        stem = path.name.split(".")[0]
        directory = self._index_dir_for(path)
        parquet = directory / f"{stem}-{digest}.parquet"
        sidecar = directory / f"{stem}-{digest}.npz"
        if not (parquet.exists() and sidecar.exists()):
            try:
                directory.mkdir(parents=True, exist_ok=True)
                lock = open(directory / f"{stem}-{digest}.lock", "a")  # noqa: SIM115
            except OSError as exc:
                raise CatalogError(
                    f"cannot write the index of catalog file {path} in {directory}: {exc}"
                ) from exc
            with lock:  # one process builds; the others wait, then read its index
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (parquet.exists() and sidecar.exists()):
                    self._build(path, label, parquet, sidecar)
        try:
            return CatalogIndex(parquet, sidecar, path)
        except Exception as exc:
            raise CatalogError(f"cannot read the index {parquet} of {path}: {exc}") from exc

    def _index_dir_for(self, path: Path) -> Path:
        """``index_dir``, else ``.astromon-index`` beside the file when writable, else the cache."""
        if self.index_dir is not None:
            return self.index_dir
        beside = path.parent / ".astromon-index"
        try:
            beside.mkdir(exist_ok=True)
        except OSError:
            return self.cache_dir
        return beside if os.access(beside, os.W_OK) else self.cache_dir

    def _build(self, path: Path, label: str | None, parquet: Path, sidecar: Path) -> None:
        logger.info("indexing catalog file %s into %s", path, parquet)
        data = read_catalog_file(path, need_catalog=label is None)
        n = len(data["ra"])
        if label is None:
            names_of_catalogs = np.asarray(data["catalog"], dtype=str)
            catalogs, codes = np.unique(names_of_catalogs, return_inverse=True)
        else:
            catalogs, codes = np.array([label]), np.zeros(n, dtype=np.int64)
        hpix = np.asarray(
            self.healpix.lonlat_to_healpix(data["ra"] * u.deg, data["dec"] * u.deg),
            dtype=np.int64,
        )
        keys = codes.astype(np.int64) * self.healpix.npix + hpix
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        ukeys, starts, counts = np.unique(keys, return_index=True, return_counts=True)
        table = pa.table(
            {
                "key": pa.array(keys),
                "ra": pa.array(data["ra"][order]),
                "dec": pa.array(data["dec"][order]),
                "pmra": pa.array(data["pmra"][order]),
                "pmdec": pa.array(data["pmdec"][order]),
                "epoch": pa.array(data["epoch"][order]),
                "name": pa.array(np.asarray(data["name"], dtype=str)[order].tolist(), pa.string()),
                "mag": pa.array(data["mag"][order].astype(np.float32)),
            }
        )
        stats = {}
        pm_total = np.hypot(np.nan_to_num(data["pmra"]), np.nan_to_num(data["pmdec"]))
        moving = np.isfinite(data["pmra"]) & np.isfinite(data["pmdec"])
        for code, name in enumerate(catalogs.tolist()):
            sel = codes == code
            epochs = data["epoch"][sel & moving]
            stats[str(name)] = {
                "code": code,
                "rows": int(sel.sum()),
                "has_pm": bool(data["has_pm"]),
                "max_pm_mas_yr": float(pm_total[sel].max()) if sel.any() else 0.0,
                "epoch_min": float(np.nanmin(epochs)) if np.isfinite(epochs).any() else 2000.0,
                "epoch_max": float(np.nanmax(epochs)) if np.isfinite(epochs).any() else 2000.0,
            }
        meta = {"nside": self.nside, "source": str(path), "catalogs": stats}
        try:
            parquet.parent.mkdir(parents=True, exist_ok=True)
            tmp = f".tmp-{uuid.uuid4().hex}"
            tmp_parquet = parquet.with_name(parquet.name + tmp)
            tmp_sidecar = sidecar.with_name(sidecar.stem + tmp + ".npz")
            pq.write_table(table, tmp_parquet, row_group_size=ROW_GROUP_SIZE)
            np.savez(tmp_sidecar, keys=ukeys, starts=starts, counts=counts, meta=json.dumps(meta))
            os.replace(tmp_parquet, parquet)
            os.replace(tmp_sidecar, sidecar)
        except OSError as exc:
            raise CatalogError(
                f"cannot write the index of catalog file {path} in {parquet.parent}: {exc}"
            ) from exc
