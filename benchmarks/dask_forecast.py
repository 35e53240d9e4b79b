"""Forecasting on Dask: ours by SKU partition against statsforecast on its Dask backend
(fugue), on one 2-worker LocalCluster, in the same run, on the same data (issue 12).

Cases, for each size (daily SKUs × 730 days, half smooth, half intermittent; the panel
of ``forecast_bench.py``):

- SBA point forecasts (``model="sba", quantiles=()``): ours in one process, ours on
  the cluster (``forecast(..., client=client)``), statsforecast ``CrostonSBA`` with a
  Dask DataFrame (its fugue backend) on the same cluster;
- the automatic forecast with its default quantiles (``model="auto"``): ours in one
  process and on the cluster, and whether the two agree bit for bit.

Times are wall-clock seconds of the public calls, DataFrame in and out (statsforecast's
result computed to pandas). Run: ``python benchmarks/dask_forecast.py [--skus 3000
10000]``; writes the section "Forecasting on Dask (dask_forecast.py)" of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd
from forecast_bench import H, long_frame, make_panel
from results import write_section

import backorder_analytics as ba

SECTION = "## Forecasting on Dask (dask_forecast.py)"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def statsforecast_on_dask(frame: pd.DataFrame, n_partitions: int) -> float:
    """statsforecast's CrostonSBA through its Dask (fugue) backend; seconds."""
    import dask.dataframe as dd
    from statsforecast import StatsForecast
    from statsforecast.models import CrostonSBA

    def run():
        ddf = dd.from_pandas(frame, npartitions=n_partitions)
        return StatsForecast(models=[CrostonSBA()], freq="D").forecast(df=ddf, h=H).compute()

    run()  # warm-up: numba compilation on the workers
    return timed(run)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, nargs="+", default=[3_000, 10_000])
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    import distributed
    import statsforecast

    warnings.simplefilter("ignore")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    client = distributed.Client(cluster)
    rows = []
    for n in args.skus:
        frame = long_frame(make_panel(n, args.days))
        y = frame.rename(columns={"unique_id": "sku", "ds": "date", "y": "demand"})
        ba.forecast(y.head(args.days * 4), H, model="sba", quantiles=())  # warm-up
        local_sba = timed(lambda y=y: ba.forecast(y, H, model="sba", quantiles=()))[1]
        dask_sba = timed(lambda y=y: ba.forecast(y, H, model="sba", quantiles=(),
                                                 client=client))[1]
        peer = statsforecast_on_dask(frame, 8)
        local_auto, t_local_auto = timed(lambda y=y: ba.forecast(y, H))
        dist_auto, t_dask_auto = timed(lambda y=y: ba.forecast(y, H, client=client))
        same = (np.array_equal(local_auto.mean, dist_auto.mean)
                and np.array_equal(local_auto.quantile_values, dist_auto.quantile_values)
                and local_auto.model_.equals(dist_auto.model_))
        rows.append((n, local_sba, dask_sba, peer, t_local_auto, t_dask_auto, same))
        print(f"{n:,} SKUs: SBA local {local_sba:.2f} s, ours on Dask {dask_sba:.2f} s, "
              f"statsforecast on Dask {peer:.2f} s; auto local {t_local_auto:.1f} s, "
              f"on Dask {t_dask_auto:.1f} s, identical {same}")
    client.close()
    cluster.close()
    text = [
        SECTION, "",
        f"Daily SKUs × {args.days} days (half smooth, half intermittent), 28-day horizon; "
        "one `LocalCluster` of 2 worker processes × 1 thread for ours and statsforecast "
        f"{statsforecast.__version__} (Dask DataFrame in 8 partitions, fugue backend); "
        f"machine {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, dask {distributed.__version__}; run "
        f"{time.strftime('%Y-%m-%d')}. Wall-clock seconds of the public calls, DataFrame in "
        "and out; statsforecast after a warm-up on the cluster.", "",
        "| SKUs | SBA, one process [s] | SBA, ours on Dask [s] | SBA, statsforecast on "
        "Dask [s] | statsforecast / ours on Dask | auto + quantiles, one process [s] | "
        "auto + quantiles on Dask [s] | same numbers |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {n:,} | {a:.2f} | {b:.2f} | {c:.2f} | {c / b:.1f} | {d:.1f} | {e:.1f} | "
          f"{'identical' if s else 'DIFFERENT'} |" for n, a, b, c, d, e, s in rows],
        "",
    ]
    write_section(SECTION, "\n".join(text))


if __name__ == "__main__":
    main()
