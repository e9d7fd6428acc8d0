"""The ``vizier_cones`` benchmark case runs end to end at a tiny size: the cone plan and one
widened cone find the same stars, and VizieR's answers to the plan are far smaller.

No timing is asserted: the rows answered are counted by the server, not timed.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import main


def test_the_vizier_cones_case_finds_the_same_stars_in_smaller_answers(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    status = main(
        [
            "--size", "tiny", "--case", "vizier_cones", "--workdir", str(tmp_path / "data"),
            "--json", str(report_file),
        ]
    )  # fmt: skip
    assert status == 0
    (row,) = json.loads(report_file.read_text())["cases"]
    assert "error" not in row
    sides = {side["side"]: side["summary"] for side in row["sides"]}
    plan, plain = sides["astromon"], sides["reference"]
    assert plan["stars"] == plain["stars"] > 0 and plan["stars_digest"] == plain["stars_digest"]
    assert (plan["requests"], plain["requests"]) == (3, 1)
    assert 0 < 50 * plan["rows_answered"] <= plain["rows_answered"]
    assert all(check["met"] for check in row["checks"])
