"""A 1,000,000-row DataFrame handed from one task to the next: Parquet in the blob store vs JSON rows.

What a remote attempt does with a data frame output, and what the next attempt does with it as an
input, timed end to end in one process (best of N):

  parquet  producer: ``to_json_value`` writes the Parquet file under the attempt's folder and
           returns its URL, ``outputs.json`` is written; consumer: reads ``outputs.json`` and
           ``from_json_value`` reads the Parquet file back (flowctl since issue 17)
  json     the same through the previous JSON form: the frame as a list of row objects inside
           ``outputs.json`` (``to_json(orient="records")``, canonical JSON, ``DataFrame.from_records``)

Also reported: the bytes stored, and whether the frame came back equal (dtypes, index, time zones).

Usage: .venv/bin/python benchmarks/dataframes.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from flowctl import _blobstore as blobs  # noqa: E402
from flowctl.types import from_json_value, to_json_value, writing_frames_to  # noqa: E402


def frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "customer_id": np.arange(rows, dtype="int64"),
            "spend": rng.random(rows) * 100,
            "visits": pd.array(rng.integers(0, 50, rows), dtype="Int64"),
            "tier": pd.Categorical(rng.choice(["free", "gold", "pro"], rows)),
            "seen": pd.date_range("2024-01-01", periods=rows, freq="s", tz="Europe/Paris"),
            "note": rng.choice(["a", "bb", "ccc"], rows),
        }
    ).set_index("customer_id")


def parquet_handover(df: pd.DataFrame, folder: Path) -> tuple[pd.DataFrame, int]:
    outputs = folder / "outputs.json"
    with writing_frames_to(str(folder / "frames")):
        blobs.write_json(str(outputs), {"o0": to_json_value(df, pd.DataFrame)})
    uri = blobs.read_json(str(outputs))["o0"]
    return from_json_value(uri, pd.DataFrame), Path(uri).stat().st_size + outputs.stat().st_size


def json_handover(df: pd.DataFrame, folder: Path) -> tuple[pd.DataFrame, int]:
    outputs = folder / "outputs.json"
    rows = json.loads(df.to_json(orient="records", date_format="iso"))  # what flowctl wrote before Parquet
    blobs.write_json(str(outputs), {"o0": rows})
    back = pd.DataFrame.from_records(blobs.read_json(str(outputs))["o0"])
    return back, outputs.stat().st_size


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return min(samples), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    df = frame(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        for name, handover in (("parquet", parquet_handover), ("json", json_handover)):
            folder = Path(tmp) / name
            folder.mkdir()
            seconds, (back, size) = best_of(lambda h=handover, f=folder: h(df, f), args.repeat)  # type: ignore[misc]
            try:
                pd.testing.assert_frame_equal(back, df, check_exact=True)
                exact = "exact (dtypes, index, time zone)"
            except AssertionError as exc:
                exact = "NOT equal: " + str(exc).strip().splitlines()[0]
            print(f"{name:<8} {args.rows:>9,} rows: {seconds:7.2f} s  {size / 1e6:8.1f} MB stored  {exact}")


if __name__ == "__main__":
    main()
