"""The alignment benchmark case runs end to end at a tiny size and agrees with the plain loop.

No timing is asserted: only that both sides run and give the same fits.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import main


def test_the_alignment_case_runs_and_both_sides_agree(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    status = main(
        [
            "--size", "tiny", "--case", "alignment", "--workdir", str(tmp_path / "data"),
            "--json", str(report_file),
        ]
    )  # fmt: skip
    assert status == 0
    (row,) = json.loads(report_file.read_text())["cases"]
    assert "error" not in row
    sides = {side["side"]: side for side in row["sides"]}
    fast, plain = sides["astromon"]["summary"], sides["reference"]["summary"]
    assert fast["pairs"] > fast["observations"] > 0
    assert plain["compared_observations"] == fast["compared_observations"] == plain["observations"]
    agreement = [c for c in row["checks"] if c["target"].startswith("same fits")]
    assert len(agreement) == 1 and agreement[0]["met"] is True
