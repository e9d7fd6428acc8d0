"""The pure region rules: ids, hashed id strings, add / remove / update / sync."""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon.domain import regions as rules
from astromon.domain.errors import SchemaError, ValidationError

BASE_TIME = "2025:317:14:47:27.097"
T1 = "2025:320:10:00:00.000"  # file 1's session
T2 = "2025:321:10:00:00.000"  # file 2's session, later


def base_regions() -> tuple[Table, int]:
    """The reference regions (ids 9, 11, 12, 13; last_region_id 13)."""
    table = Table(
        {
            "region_id": [9, 11, 12, 13],
            "region_id_str": ["8f53da3773", "40fc4e84fb", "63b66ed331", "a1c54bdab6"],
            "last_modified": [BASE_TIME] * 4,
            "ra": [128.8361839984206, 187.70263686010165, 187.7012375888888, 187.70459582969386],
            "dec": [-45.17654050321445, 12.392113543877699, 12.392933540654155, 12.391566869690632],
            "radius": [200.0, 5.0, 5.0, 5.0],
            "obsid": [0, 0, 0, 0],
            "user": ["j", "jgonzalez", "jgonzalez", "jgonzalez"],
            "comments": ["0", "0", "0", "0"],
        }
    )
    return rules.sync_regions(table, None, 13)


def by_str(table: Table, id_str: str) -> Table:
    return table[np.asarray(table["region_id_str"]) == id_str]


def two_files() -> SimpleNamespace:
    """File 1 and file 2 as SPEC section 2 narrates, from the same base."""
    base, last = base_regions()
    ids = {int(r["region_id"]): str(r["region_id_str"]) for r in base}

    f1, last1, added1 = rules.add_regions(
        base, last, {"ra": [10.0], "dec": [20.0], "radius": [4.0], "user": ["one"]}, T1
    )
    f1, _ = rules.remove_regions(f1, [13])
    f1, changed = rules.update_regions(
        f1,
        {"region_id_str": [ids[9], ids[11]], "radius": [210.0, 6.0], "comments": ["f1", "f1"]},
        T1,
    )
    assert len(changed) == 2

    f2, last2, added2 = rules.add_regions(
        base, last, {"ra": [30.0], "dec": [-5.0], "radius": [7.0], "user": ["two"]}, T2
    )
    f2, _ = rules.remove_regions(f2, [12])
    f2, _ = rules.update_regions(f2, {"region_id_str": [ids[11]], "comments": ["f2"]}, T2)
    return SimpleNamespace(
        ids=ids,
        f1=(f1, last1),
        f2=(f2, last2),
        new1=str(added1["region_id_str"][0]),
        new2=str(added2["region_id_str"][0]),
    )


def summary(table: Table) -> list[tuple[int, str, str]]:
    return [(int(r["region_id"]), str(r["region_id_str"]), str(r["comments"])) for r in table]


# --- add --------------------------------------------------------------------------------


def test_add_continues_ids_and_hashes_the_row_text() -> None:
    base, last = base_regions()
    regions, new_last, added = rules.add_regions(
        base, last, {"ra": [1.0, 2.0], "dec": [3.0, 4.0], "radius": [5.0, 6.0]}, T1
    )
    assert list(added["region_id"]) == [14, 15]
    assert new_last == 15
    assert list(regions["region_id"]) == [9, 11, 12, 13, 14, 15]
    assert set(added["last_modified"]) == {T1}
    row = added[0]
    expected = hashlib.sha256(rules.region_text(row).encode()).hexdigest()[:10]
    assert row["region_id_str"] == expected
    assert list(added["obsid"]) == [0, 0] and list(added["user"]) == ["", ""]
    assert added["region_id"].dtype == np.int32 and added["radius"].dtype == np.float32


def test_add_after_removal_never_reuses_ids() -> None:
    base, last = base_regions()
    regions, last, _ = rules.add_regions(base, last, {"ra": [1.0], "dec": [1.0]}, T1)
    regions, _ = rules.remove_regions(regions, [14])
    regions, last, added = rules.add_regions(regions, last, {"ra": [2.0], "dec": [2.0]}, T1)
    assert int(added["region_id"][0]) == 15 and last == 15


def test_add_to_empty_starts_at_one() -> None:
    regions, last, _ = rules.add_regions(None, 0, [{"ra": 1.0, "dec": 2.0}], T1)
    assert list(regions["region_id"]) == [1] and last == 1


def test_hash_collision_is_rehashed() -> None:
    text = "some region"
    first = hashlib.sha256(text.encode()).hexdigest()
    again = hashlib.sha256(first.encode()).hexdigest()
    assert rules.hash_region_id(text, []) == first[:10]
    assert rules.hash_region_id(text, [first[:10]]) == again[:10]


def test_identical_rows_in_one_batch_get_distinct_id_strings() -> None:
    _, _, added = rules.add_regions(None, 0, {"ra": [1.0, 1.0], "dec": [2.0, 2.0]}, T1)
    assert len(set(added["region_id_str"])) == 2


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("ra", np.nan, "ra=nan"),
        ("ra", 360.0, "ra=360.0"),
        ("ra", -0.5, "ra=-0.5"),
        ("dec", 90.5, "dec=90.5"),
        ("dec", np.nan, "dec=nan"),
        ("radius", -1.0, "radius=-1.0"),
    ],
)
def test_add_rejects_bad_values(column: str, value: float, message: str) -> None:
    data = {"ra": [1.0, 2.0], "dec": [3.0, 4.0], "radius": [5.0, 6.0]}
    data[column][1] = value
    with pytest.raises(ValidationError, match=re.escape(message)):
        rules.add_regions(None, 0, data, T1)


def test_add_needs_ra_and_dec_and_numbers() -> None:
    with pytest.raises(SchemaError, match="dec"):
        rules.add_regions(None, 0, {"ra": [1.0]}, T1)
    with pytest.raises(SchemaError, match="radius"):
        rules.add_regions(None, 0, {"ra": [1.0], "dec": [1.0], "radius": ["big"]}, T1)


# --- remove / update ----------------------------------------------------------------------


def test_remove_ignores_unknown_ids_and_rejects_non_integers() -> None:
    base, _ = base_regions()
    remaining, removed = rules.remove_regions(base, [11, 99])
    assert list(remaining["region_id"]) == [9, 12, 13]
    assert list(removed["region_id"]) == [11]
    with pytest.raises(ValidationError, match="integers"):
        rules.remove_regions(base, ["eleven"])


@settings(max_examples=300, deadline=None)
@given(
    ids=st.lists(
        st.floats() | st.integers(-(2**64), 2**64) | st.sampled_from([2.0**63, -(2.0**63), 11.0]),
        min_size=1,
        max_size=4,
    )
)
def test_remove_takes_only_ids_that_are_whole_int64_numbers(ids: list[float | int]) -> None:
    """NaN, infinities and numbers beyond int64 were cast to some other id (inf to -2**63)
    and silently removed nothing; they are refused, named. Reference: Python's integers."""
    base, _ = base_regions()

    def whole(v: float | int) -> bool:
        if isinstance(v, float) and not (np.isfinite(v) and v.is_integer()):
            return False
        return -(2**63) <= int(v) < 2**63

    try:
        array = np.asarray(ids)  # what the caller's list becomes (object beyond 64 bits)
    except OverflowError:
        array = None
    if array is not None and all(whole(v) for v in ids):
        _, removed = rules.remove_regions(base, ids)
        assert sorted(removed["region_id"]) == sorted({int(v) for v in ids} & {9, 11, 12, 13})
    else:
        with pytest.raises(ValidationError, match="region ids must be integers"):
            rules.remove_regions(base, ids)


def test_update_replaces_only_rows_that_differ() -> None:
    base, _ = base_regions()
    ids = list(base["region_id_str"])
    regions, changed = rules.update_regions(
        base,
        {
            "region_id_str": [ids[0], ids[1], "unknown123"],
            "radius": [200.0, 8.0, 1.0],  # the first is identical
            "comments": ["0", "a much longer comment than before", "x"],
        },
        T1,
    )
    assert list(changed["region_id"]) == [11]
    row = by_str(regions, ids[1])[0]
    assert row["radius"] == 8.0 and row["last_modified"] == T1
    assert row["comments"] == "a much longer comment than before"  # never truncated
    assert by_str(regions, ids[0])[0]["last_modified"] == BASE_TIME
    assert len(regions) == 4 and list(regions["region_id"]) == [9, 11, 12, 13]


def test_update_validates_values_and_needs_the_id_string() -> None:
    base, _ = base_regions()
    with pytest.raises(ValidationError, match=r"dec=95\.0"):
        rules.update_regions(base, {"region_id_str": [base["region_id_str"][0]], "dec": [95.0]}, T1)
    with pytest.raises(SchemaError, match="region_id_str"):
        rules.update_regions(base, {"region_id": [9], "radius": [1.0]}, T1)


# --- sync: the four scenarios of SPEC section 2 ---------------------------------------------


def test_sync_1_to_2() -> None:
    s = two_files()
    ids = s.ids
    (f1, _), (f2, last2) = s.f1, s.f2
    result, last = rules.sync_regions(f1, f2, last2)
    assert list(result["region_id"]) == [9, 11, 12, 13, 14, 15]
    assert by_str(result, ids[9])[0]["comments"] == "f1"  # file 1's edit
    assert by_str(result, ids[11])[0]["comments"] == "f2"  # file 2's edit is newer
    assert by_str(result, s.new2)[0]["region_id"] == 14
    assert int(by_str(result, s.new1)[0]["region_id"]) == 15
    assert last == 15


def test_sync_1_to_2_with_remove() -> None:
    s = two_files()
    (f1, _), (f2, last2) = s.f1, s.f2
    result, last = rules.sync_regions(f1, f2, last2, remove=True)
    assert list(result["region_id"]) == [9, 11, 12, 14]
    assert by_str(result, s.new1)[0]["region_id"] == 14  # id kept, file 2's 14 removed
    assert len(by_str(result, s.new2)) == 0
    assert last == 14


def test_sync_2_to_1() -> None:
    s = two_files()
    ids = s.ids
    (f1, last1), (f2, _) = s.f1, s.f2
    result, last = rules.sync_regions(f2, f1, last1)
    assert list(result["region_id"]) == [9, 11, 12, 13, 14, 15]
    assert by_str(result, s.new1)[0]["region_id"] == 14
    assert by_str(result, s.new2)[0]["region_id"] == 15
    assert by_str(result, ids[9])[0]["comments"] == "f1"  # file 1's edit is newer
    assert by_str(result, ids[11])[0]["comments"] == "f2"
    assert last == 15


def test_sync_2_to_1_with_remove() -> None:
    s = two_files()
    (f1, last1), (f2, _) = s.f1, s.f2
    result, last = rules.sync_regions(f2, f1, last1, remove=True)
    assert list(result["region_id"]) == [9, 11, 13, 14]
    assert by_str(result, s.new2)[0]["region_id"] == 14
    assert last == 14


@pytest.mark.parametrize("remove", [False, True])
@pytest.mark.parametrize("direction", ["1->2", "2->1"])
def test_sync_twice_changes_nothing(direction: str, remove: bool) -> None:
    s = two_files()
    (f1, last1), (f2, last2) = s.f1, s.f2
    source, target, last = (f1, f2, last2) if direction == "1->2" else (f2, f1, last1)
    once, last_once = rules.sync_regions(source, target, last, remove=remove)
    twice, last_twice = rules.sync_regions(source, once, last_once, remove=remove)
    assert summary(twice) == summary(once) and last_twice == last_once
    assert list(twice["last_modified"]) == list(once["last_modified"])


def test_sync_keeps_last_id_when_rows_are_removed() -> None:
    base, _ = base_regions()
    result, last = rules.sync_regions(base[:1], base, 20, remove=True)
    assert list(result["region_id"]) == [9] and last == 20


# --- radius and observation selection -------------------------------------------------------


def test_radius_to_arcsec() -> None:
    assert rules.radius_to_arcsec(5 * u.arcmin) == pytest.approx(300.0)
    assert rules.radius_to_arcsec(12) == 12.0
    with pytest.raises(ValidationError, match="-1"):
        rules.radius_to_arcsec(-1.0)
    with pytest.raises(ValidationError, match="angle"):
        rules.radius_to_arcsec(3 * u.kg)


def test_regions_for_observation_by_obsid_or_distance() -> None:
    base, _ = base_regions()
    base["obsid"][0] = 1234
    near = rules.regions_for_observation(base, 1234, (187.70, 12.39), 30.0)
    assert list(near["region_id"]) == [9, 11, 12, 13]
    far = rules.regions_for_observation(base, 99, (0.0, 0.0), 300.0)
    assert len(far) == 0
    only_obsid = rules.regions_for_observation(base, 1234, None, 300.0)
    assert list(only_obsid["region_id"]) == [9]


# --- properties -------------------------------------------------------------------------------

_batch = st.lists(
    st.tuples(
        st.floats(0, 359.999, allow_nan=False),
        st.floats(-90, 90, allow_nan=False),
        st.floats(0, 1000, allow_nan=False),
        st.integers(-1, 5),
    ),
    min_size=1,
    max_size=5,
)


def _as_input(batch: list[tuple[float, float, float, int]]) -> dict[str, list[object]]:
    return {
        "ra": [b[0] for b in batch],
        "dec": [b[1] for b in batch],
        "radius": [b[2] for b in batch],
        "obsid": [b[3] for b in batch],
    }


@settings(max_examples=40, deadline=None)
@given(st.lists(_batch, min_size=1, max_size=4), st.lists(st.integers(1, 30), max_size=6))
def test_ids_are_unique_and_never_reused(
    batches: list[list[tuple[float, float, float, int]]], removals: list[int]
) -> None:
    regions, last = None, 0
    seen: set[int] = set()
    for k, batch in enumerate(batches):
        regions, new_last, added = rules.add_regions(regions, last, _as_input(batch), T1)
        new_ids = set(int(i) for i in added["region_id"])
        assert not new_ids & seen
        assert min(new_ids) == last + 1 and new_last == last + len(batch)
        seen |= new_ids
        last = new_last
        if k < len(removals):
            regions, _ = rules.remove_regions(regions, [removals[k]])
        assert len(set(regions["region_id_str"])) == len(regions)


@settings(max_examples=30, deadline=None)
@given(_batch, _batch, st.booleans())
def test_sync_is_idempotent_and_makes_target_contain_source(
    a: list[tuple[float, float, float, int]], b: list[tuple[float, float, float, int]], remove: bool
) -> None:
    source, _, _ = rules.add_regions(None, 0, _as_input(a), T1)
    target, target_last, _ = rules.add_regions(None, 0, _as_input(b), T2)
    once, last_once = rules.sync_regions(source, target, target_last, remove=remove)
    twice, last_twice = rules.sync_regions(source, once, last_once, remove=remove)
    assert summary(once) == summary(twice) and last_once == last_twice
    assert set(source["region_id_str"]) <= set(once["region_id_str"])
    assert len(set(once["region_id"])) == len(once)
    assert last_once >= max(int(np.max(once["region_id"])), target_last)
    if remove:
        assert set(once["region_id_str"]) == set(source["region_id_str"])


def test_absurd_radius_is_rejected_not_overflowed() -> None:
    """Found by fuzzing: 1e300 arcsec passed as float64 and became inf as float32."""
    from astropy.table import Table as _Table

    from astromon.domain.errors import ValidationError as _ValidationError
    from astromon.domain.regions import validate_region_values

    with pytest.raises(_ValidationError, match=r"radius=1e\+300"):
        validate_region_values(_Table({"ra": [1.0], "dec": [2.0], "radius": [1e300]}))
    validate_region_values(_Table({"ra": [1.0], "dec": [2.0], "radius": [648000.0]}))


@settings(max_examples=300, deadline=None)
@given(
    obsid=st.integers(-(2**40), 2**40)
    | st.floats()
    | st.sampled_from([2**31, 2**31 - 1, -(2**31), -(2**31) - 1, 2.0**31, -(2.0**31), 7.0])
)
def test_obsids_are_whole_int32_numbers(obsid: float | int) -> None:
    """``as_obsids`` (the obsid of region lookups and alignment filters) against Python's
    integers: 2**31 passed before (the bound was |obsid| <= 2**31)."""
    whole = not isinstance(obsid, float) or (np.isfinite(obsid) and obsid.is_integer())
    if whole and -(2**31) <= int(obsid) < 2**31:
        assert rules.as_obsids(obsid) == int(obsid)
    else:
        with pytest.raises(ValidationError, match="obsid must be an integer"):
            rules.as_obsids(obsid)
