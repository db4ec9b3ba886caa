"""Online Retail ingested into a lake on local disk and into one on a local S3 server, in one run.

The S3 server is ``localbucket`` (``pip install localbucket``) on a free loopback port, storing its
bucket on the same disk, so the ratio is the cost of the object-storage protocol: the uploads, the
conditional commit record, the writer lease and the listings. The ingest is run without the
warehouse build (``build=False``), which is the same local DuckDB work either way; the build from
the S3 lake is timed on its own. Each path runs ``--repeat`` times (fresh lake each time); the best
time is reported.

Usage: python benchmarks/bench_lake_s3.py [--repeat 2] [--file PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the S3 server launcher the tests use (tests/s3_server.py)

DEFAULT_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    import boto3
    from tests.s3_server import Keys, localbucket

    from shopops import Shop
    from shopops.config import Settings

    with tempfile.TemporaryDirectory(prefix="bench-lake-s3-") as tmp:
        root = Path(tmp)
        with localbucket(root / "s3", Keys("bench", "bench")) as server:
            os.environ.update({**server.keys.env(), "AWS_ENDPOINT_URL": server.endpoint, "AWS_REGION": "us-east-1"})
            bucket = "bench"
            boto3.client("s3").create_bucket(Bucket=bucket)
            local_times, s3_times, build_times = [], [], []
            for i in range(args.repeat):
                t = time.perf_counter()
                Shop.open(root / f"disk-{i}").ingest(args.file, build=False)
                local_times.append(time.perf_counter() - t)
                shop = Shop.open(f"s3://{bucket}/run-{uuid.uuid4().hex[:8]}",
                                 settings=Settings(local_dir=root / f"s3-local-{i}"))
                t = time.perf_counter()
                shop.ingest(args.file, build=False)
                s3_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                shop.build()
                build_times.append(time.perf_counter() - t)
    local, s3 = min(local_times), min(s3_times)
    print(f"file: {args.file.name} ({args.file.stat().st_size / 1e6:.1f} MB), best of {args.repeat}")
    print(f"ingest, lake on local disk:       {local:6.2f} s")
    print(f"ingest, lake on local S3 server:  {s3:6.2f} s")
    print(f"ratio S3 / local disk:            {s3 / local:6.2f}x  (target: within 2x)")
    print(f"build from the S3 lake:           {min(build_times):6.2f} s")


if __name__ == "__main__":
    main()
