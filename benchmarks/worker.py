"""Worker processes of the runner: ``python -m benchmarks.worker {generate,prepare,run} ...``.

The runner itself stays small and does no heavy work: on Linux a child process starts with
its parent's peak memory already counted in ``ru_maxrss``, so the data generation, each case's
preparation and each (case, side) measurement run in fresh workers, started from a small
parent.

``run`` loads the inputs (not timed), runs the timed call ``repeats`` times, runs the optional
check and writes a JSON result file, including the process's own peak resident memory
(``VmHWM``, which a new program image starts afresh).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import time
from pathlib import Path

from benchmarks.cases import CASES, Context
from benchmarks.data import write_dataset

__all__ = ["current_rss_mb", "main", "peak_rss_mb"]


def _status_kib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return None


def current_rss_mb() -> float:
    """Resident memory of this process now (MiB); 0 where /proc is unavailable."""
    kib = _status_kib("VmRSS")
    return 0.0 if kib is None else kib / 1024.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process image (MiB): ``VmHWM``, else ``ru_maxrss``."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return kib / 1024.0


def _run(ctx: Context, case_name: str, side: str, output: Path) -> None:
    case = CASES[case_name]
    timed = case.setup(ctx, side)
    gc.collect()
    baseline = current_rss_mb()
    times: list[float] = []
    summary: dict[str, object] = {}
    if timed.warmup:
        timed.call()
    for _ in range(max(timed.repeats, 1)):
        time.sleep(timed.pause)
        start = time.perf_counter()
        summary = timed.call()
        times.append(time.perf_counter() - start)
    peak = peak_rss_mb()
    if timed.check is not None:
        summary.update(timed.check())
    result = {
        "side": side,
        "seconds": statistics.median(times) * timed.scale,
        "first_seconds": times[0] * timed.scale,
        "repeats": len(times),
        "scale": timed.scale,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak,
        "summary": summary,
    }
    output.write_text(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("action", choices=["generate", "prepare", "run"])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--side", choices=["astromon", "reference"])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--size", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    ctx = Context(args.workdir, args.size, args.seed)
    if args.action == "generate":
        write_dataset(ctx.workdir, ctx.sizes, ctx.seed)
    elif args.action == "prepare":
        if args.case is None:
            parser.error("prepare needs --case")
        CASES[args.case].prepare(ctx)
    else:
        if args.case is None or args.side is None or args.output is None:
            parser.error("run needs --case, --side and --output")
        _run(ctx, args.case, args.side, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
