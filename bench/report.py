"""Benchmark of ``/report round``: read a round and draw its charts, for 300 and 1,000 pairs.

Run from the repository root:  python bench/report.py [--pairs 300 1000] [--offline]

Each size runs in a fresh process on synthetic data (tests/report_data.py) written into a
temporary store: ten weeks of contact, check-ins, nudges, feedback. It times what the
command does after deferring (build the figures from the store, then draw the PNGs that
fit one Discord message: up to six heatmap pages and the four other charts) and reports
the process's peak resident memory (matplotlib's import included). ``--offline`` also
times ``write_report`` (every heatmap page and every CSV), what ``iln-bot report`` does.
Goal: under 5 s and 300 MiB for 1,000 partnerships.

matplotlib's import (paid once, by the first report after start-up) is timed apart as
``import_s``; ``seconds`` is the median of three reports on a warm process (the machine
may be shared, so single runs vary).

One line per size: ``pairs=N seconds=S peak_mib=M build_s=B draw_s=D charts=C import_s=I``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.report_data, and bot/ from a checkout not pip-installed


async def measure(pairs: int, offline: bool) -> str:
    from bot.services.reports import offline_reports, write_report
    from bot.store import Store
    from tests.report_data import report_moment, synthetic_round

    with tempfile.TemporaryDirectory(prefix="iln-bench-report-") as folder:
        store = await Store.open(Path(folder) / "iln.sqlite3")
        try:
            round_ = await synthetic_round(store, pairs)
            service = offline_reports(store, report_moment(10))
            began = time.perf_counter()
            import bot.reports.charts  # noqa: F401  (what the first report pays once)

            imported = time.perf_counter() - began
            runs = []
            for _ in range(3):
                began = time.perf_counter()
                report = await service.build(round_)
                built = time.perf_counter()
                charts = await service.charts(report)
                drawn = time.perf_counter()
                runs.append((drawn - began, built - began, drawn - built))
            total, build, draw = sorted(runs)[1]
            line = (
                f"pairs={pairs} seconds={total:.2f} peak_mib={_peak_mib():.0f}"
                f" build_s={build:.2f} draw_s={draw:.2f} charts={len(charts)}"
                f" import_s={imported:.2f}"
            )
            if offline:
                began = time.perf_counter()
                files = await write_report(
                    store, round_.id, Path(folder) / "out", now=report_moment(10)
                )
                line += f" offline_s={time.perf_counter() - began:.2f} offline_files={len(files)}"
                line += f" offline_peak_mib={_peak_mib():.0f}"
            return line
        finally:
            await store.close()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--offline", action="store_true", help="also time write_report")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(asyncio.run(measure(args.pairs[0], args.offline)), flush=True)
        return 0
    for pairs in args.pairs:  # a fresh process each, so peak memory is per size
        command = [sys.executable, __file__, "--one", "--pairs", str(pairs)]
        if args.offline:
            command.append("--offline")
        subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
