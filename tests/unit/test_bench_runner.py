"""The benchmark runner works end to end at a tiny size (fresh worker processes, JSON report).

No timing is asserted: only that the cases run, both sides agree and the report is complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import machine_info, main, run_side
from benchmarks.cases import Context


def test_runner_writes_a_complete_report(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    status = main(
        [
            "--size",
            "tiny",
            "--case",
            "cross_match",
            "--case",
            "region_mask",
            "--workdir",
            str(tmp_path / "data"),
            "--json",
            str(report_file),
            "--markdown",
            str(tmp_path / "report.md"),
        ]
    )
    assert status == 0
    report = json.loads(report_file.read_text())
    assert report["size"] == "tiny"
    assert report["machine"]["nproc"] >= 1
    cases = {row["case"]: row for row in report["cases"]}
    assert set(cases) == {"cross_match", "region_mask"}
    for row in cases.values():
        assert "error" not in row
        assert {side["side"] for side in row["sides"]} == {"reference", "astromon"}
        for side in row["sides"]:
            assert side["seconds"] > 0
            assert side["peak_rss_mb"] > 10
        assert row["ratio"] > 0
        # targets are judged at the full size only, correctness checks always
        judged = [c for c in row["checks"] if c["met"] is not None]
        assert judged and all(c["met"] for c in judged)
    assert cases["region_mask"]["sides"][0]["scale"] == 60 / 20
    markdown = (tmp_path / "report.md").read_text()
    assert "| `cross_match` |" in markdown and "| `region_mask` |" in markdown
    assert f"{report['machine']['nproc']} CPUs" in markdown


def test_a_failing_worker_is_reported_with_its_error(tmp_path: Path) -> None:
    ctx = Context(tmp_path, "tiny", 1)  # no generated tables here: the worker cannot load them
    with pytest.raises(RuntimeError, match=r"(?s)cross_match/astromon failed.*No such file"):
        run_side(ctx, "cross_match", "astromon")


def test_machine_info_describes_the_machine() -> None:
    info = machine_info()
    assert info["cpu_model"]
    assert info["python"].count(".") == 2
    assert info["numpy"]


def test_storage_and_catalog_cases_run(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    status = main(
        [
            "--size",
            "tiny",
            "--case",
            "get_cross_matches",
            "--case",
            "save",
            "--case",
            "rough_match",
            "--workdir",
            str(tmp_path / "data"),
            "--json",
            str(report_file),
        ]
    )
    assert status == 0
    cases = {row["case"]: row for row in json.loads(report_file.read_text())["cases"]}
    assert set(cases) == {"get_cross_matches", "save", "rough_match"}
    for row in cases.values():
        assert "error" not in row, row.get("error")
        assert [side["side"] for side in row["sides"]] == ["astromon"]
        assert row["ratio"] is None
        judged = [c for c in row["checks"] if c["met"] is not None]
        assert judged and all(c["met"] for c in judged), row["checks"]
    save = cases["save"]["sides"][0]["summary"]
    assert save["observations"] == 20
    assert save["stored_rows"] == save["rows"] > 0
    assert cases["get_cross_matches"]["sides"][0]["repeats"] == 3
    assert (tmp_path / "data" / "catalog-index").is_dir()


@pytest.mark.slow
def test_the_daily_job_case_runs_serial_and_with_two_workers(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    args = ["--size", "tiny", "--case", "daily_job", "--workdir", str(tmp_path / "data")]
    assert main([*args, "--json", str(report_file)]) == 0
    [row] = json.loads(report_file.read_text())["cases"]
    assert "error" not in row, row.get("error")
    sides = {side["side"]: side["summary"] for side in row["sides"]}
    assert {name: s["workers"] for name, s in sides.items()} == {"reference": 1, "astromon": 2}
    for summary in sides.values():
        assert summary["processed"] == summary["observations"] == 8
        # the simulated observatory injects aspect errors: only the flagged alarm may fire
        assert set(summary["alarms"]) <= {"flagged_observations"}
        assert summary["exit_code"] == (3 if summary["alarms"] else 0)
    assert row["ratio"] > 0
    assert all(check["met"] for check in row["checks"]), row["checks"]
