"""The benchmark runner: ``python -m benchmarks [--size small|full] [--case NAME] [--json PATH]``.

Also ``--markdown PATH`` (a results table for the docs), ``--seed N``, ``--workdir DIR`` (keep
the generated data there instead of a temporary directory) and ``--strict``.

Generates the seeded dataset in a temporary directory, prepares each selected case, runs each
of its sides (astromon and the plain reference) in a fresh worker process, and prints wall
times, ratios (reference time / astromon time, measured in this run), peak RSS per process and
whether each target is met. Targets are judged at ``--size full`` only; ``small`` (what CI
runs) proves the benchmarks work in well under a minute.

Exit status: 0 when every case ran; 1 when a case failed to run, or, with ``--strict``, when a
target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.cases import CASES, Case, Check, Context, SideResult
from benchmarks.generator import SIZES

__all__ = ["machine_info", "main", "markdown_report", "run_side"]


def machine_info() -> dict[str, Any]:
    """CPU count, CPU model, memory, library versions and load average (1, 5, 15 min) now."""
    import astropy
    import numpy

    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu_model": platform.processor() or platform.machine(),
        "memory_gib": None,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "astropy": astropy.__version__,
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
    }
    try:
        import duckdb

        info["duckdb"] = duckdb.__version__
    except ImportError:  # pragma: no cover - duckdb is a dependency
        info["duckdb"] = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    return info


def _spawn(ctx: Context, action: str, label: str, *options: str) -> float:
    """Run ``python -m benchmarks.worker ACTION ...`` and wait for it.

    ``label`` names the work in messages and in the worker's stderr file. Returns the
    worker's ``ru_maxrss`` from :func:`os.wait4` (MiB).

    Raises
    ------
    RuntimeError
        The worker failed (the end of its stderr is in the message).
    """
    safe = "".join(c if c.isalnum() or c in "_." else "-" for c in label)
    errors = ctx.workdir / f"stderr-{action}-{safe}.txt"
    command = [
        sys.executable,
        "-m",
        "benchmarks.worker",
        action,
        "--workdir",
        str(ctx.workdir),
        "--size",
        ctx.size,
        "--seed",
        str(ctx.seed),
        *options,
    ]
    package_root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    with errors.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = errors.read_text()[-3000:]
        raise RuntimeError(f"{label} failed (exit {process.returncode}):\n{tail}")
    return float(usage.ru_maxrss) / 1024.0


def run_side(ctx: Context, case: str, side: str) -> SideResult:
    """Run one side of ``case`` in a fresh worker and read its result.

    ``peak_rss_mb`` is the worker's own peak (``VmHWM``); ``children_maxrss_mb`` is the
    ``ru_maxrss`` that :func:`os.wait4` reports for it (on Linux it also counts the runner's
    memory at the time of the fork, so the runner keeps itself small).

    Raises
    ------
    RuntimeError
        The worker failed (its stderr is in the message).
    """
    output = ctx.workdir / f"result-{case}-{side}.json"
    output.unlink(missing_ok=True)
    maxrss = _spawn(
        ctx, "run", f"{case}/{side}", "--case", case, "--side", side, "--output", str(output)
    )
    data = json.loads(output.read_text())
    return SideResult(children_maxrss_mb=maxrss, **data)


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'case':<18} {'side':<10} {'wall s':>9} {'first s':>9} {'peak RSS MiB':>13} "
        f"{'ru_maxrss MiB':>14}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        for side in row["sides"]:
            print(
                f"{row['case']:<18} {side['side']:<10} {side['seconds']:>9.3f} "
                f"{side['first_seconds']:>9.3f} {side['peak_rss_mb']:>13.0f} "
                f"{side['children_maxrss_mb']:>14.0f}"
                + (f"   (x{side['scale']:.0f} scaled)" if side["scale"] != 1 else "")
            )
        if row.get("ratio") is not None:
            print(f"{row['case']:<18} {'ratio':<10} {row['ratio']:>9.1f}x")
    print()
    print(f"{'case':<18} {'result':<8} {'value':>14}  target")
    print("-" * 78)
    for row in rows:
        if "error" in row:
            print(f"{row['case']:<18} {'ERROR':<8} {'':>14}  {row['error'].splitlines()[0]}")
            continue
        for check in row["checks"]:
            verdict = {True: "met", False: "MISSED", None: "-"}[check["met"]]
            print(f"{row['case']:<18} {verdict:<8} {check['value']:>14}  {check['target']}")


def markdown_report(report: dict[str, Any]) -> str:
    """The results of a run as Markdown: the machine, then one table row per target."""
    machine = report["machine"]
    lines = [
        f"Run: `python -m benchmarks --size {report['size']}` (seed {report['seed']}), "
        f"{report['total_seconds']:.0f} s in total.",
        "",
        f"Machine: {machine['nproc']} CPUs (`nproc`), {machine['cpu_model']}, "
        f"{machine['memory_gib']} GiB memory; Python {machine['python']}, "
        f"numpy {machine['numpy']}, astropy {machine['astropy']}, duckdb {machine['duckdb']}. "
        f"Load average (1/5/15 min) at the start {report.get('load_average_at_start')}, "
        f"at the end {machine.get('load_average')}: the machine is shared, so wall times vary "
        "from run to run; ratios are measured within one run.",
        "",
        "| case | astromon wall | reference wall | ratio | peak RSS astromon / reference | "
        "targets: value (result) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in report["cases"]:
        if "error" in row:
            lines.append(f"| {row['case']} | – | – | – | – | error: {row['error'][:120]} |")
            continue
        sides = {side["side"]: side for side in row["sides"]}
        fast, ref = sides["astromon"], sides.get("reference")
        checks = "<br>".join(
            f"{c['target']}: {c['value']} "
            f"({ {True: 'met', False: '**missed**', None: 'not judged'}[c['met']] })"
            for c in row["checks"]
        )
        ref_wall = "–"
        if ref:
            ref_wall = f"{ref['seconds']:.2f} s" + (
                f" (scaled ×{ref['scale']:.0f})" if ref["scale"] != 1 else ""
            )
        ratio = f"{row['ratio']:.1f}×" if row.get("ratio") else "–"
        memory = f"{fast['peak_rss_mb']:.0f} MiB" + (
            f" / {ref['peak_rss_mb']:.0f} MiB" if ref else ""
        )
        lines.append(
            f"| `{row['case']}` | {fast['seconds']:.3f} s | {ref_wall} | {ratio} | {memory} | "
            f"{checks} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time astromon against a plain reference implementation.",
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument(
        "--case", action="append", choices=list(CASES), help="run only this case (repeatable)"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--markdown", type=Path, help="also write a Markdown results table")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated data")
    parser.add_argument(
        "--workdir", type=Path, help="keep the generated data here (default: a temporary dir)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    selected = args.case or list(CASES)
    load_at_start = machine_info()["load_average"]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="astromon-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(workdir, args.size, args.seed)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    try:
        sizes = SIZES[args.size]
        print(f"astromon benchmarks, size {args.size} ({sizes}), seed {args.seed}")
        t0 = time.perf_counter()
        if not (workdir / "tables" / "astromon_obs" / "columns.json").exists():
            _spawn(ctx, "generate", "data generation")
        print(f"generated the data in {time.perf_counter() - t0:.1f} s ({workdir})")
        for name in selected:
            case = CASES[name]
            row: dict[str, Any] = {"case": name, "title": case.title, "sides": []}
            rows.append(row)
            try:
                t0 = time.perf_counter()
                if type(case).prepare is not Case.prepare:
                    _spawn(ctx, "prepare", f"{name} preparation", "--case", name)
                row["prepare_seconds"] = time.perf_counter() - t0
                results = {side: run_side(ctx, name, side) for side in case.sides}
            except Exception as exc:  # a broken case is reported, the others still run
                row["error"] = f"{type(exc).__name__}: {exc}"
                print(f"[{name}] ERROR {row['error']}", file=sys.stderr)
                continue
            checks: list[Check] = case.checks(ctx, results)
            row["sides"] = [asdict(r) for r in results.values()]
            row["ratio"] = case.ratio(results)
            row["checks"] = [asdict(c) for c in checks]
            print(f"[{name}] done: " + ", ".join(f"{c.target}: {c.value}" for c in checks))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    _print_table(rows)
    total = time.perf_counter() - started
    print(f"\ntotal {total:.1f} s")
    if args.json or args.markdown:
        report = {
            "size": args.size,
            "seed": args.seed,
            "sizes": asdict(SIZES[args.size]),
            "machine": machine_info(),
            "load_average_at_start": load_at_start,
            "total_seconds": total,
            "cases": rows,
        }
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        if args.markdown:
            args.markdown.write_text(markdown_report(report))
    failed = any("error" in row for row in rows)
    missed = any(c["met"] is False for row in rows for c in row.get("checks", []))
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
