"""A dataset written partitioned by SKU hash (issue 12): read whole it is the same
data; read one partition it is exactly that partition's SKUs, with everything of
theirs, and their numbers are those of the whole."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.distributed import sku_hash

N = 4


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    ds = ba.example_dataset(seed=0, n_skus=20, days=120)
    folder = ba.write_dataset(ds, tmp_path_factory.mktemp("parts"), partition_by="sku_hash",
                              n_partitions=N)
    return ds, folder


def by_key(frame: pd.DataFrame, keys) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def test_layout_and_metadata(written):
    ds, folder = written
    assert sorted(p.name for p in (folder / "orders").iterdir()) == [
        f"sku_hash={k}" for k in range(N)]
    meta = json.loads((folder / "dataset.json").read_text())
    assert meta["partition_by"] == "sku_hash"
    assert meta["n_partitions"] == N


def test_read_whole_is_the_same_data(written):
    ds, folder = written
    back = ba.read_dataset(folder)
    assert back.as_of == ds.as_of
    for name, keys in (("orders", ["order_id", "line_id"]), ("purchase_orders", ["po_id"]),
                       ("inventory", ["sku", "date"])):
        pd.testing.assert_frame_equal(by_key(getattr(back, name), keys),
                                      by_key(getattr(ds, name), keys), check_dtype=False)


def test_one_partition_is_its_skus_with_their_numbers(written):
    ds, folder = written
    part = ba.read_dataset(folder, partitions=[1])
    mine = [s for s in ds.skus if sku_hash(s) % N == 1]
    assert list(part.skus) == mine
    assert len(part.orders) == int(ds.orders["sku"].isin(mine).sum())
    whole = ba.replay(ds).summary.drop(index="(all)")
    alone = ba.replay(part).summary.drop(index="(all)")
    pd.testing.assert_frame_equal(alone, whole.loc[mine])


def test_each_partition_is_few_row_groups_in_the_rows_order(tmp_path):
    """A partition's rows keep their order in the table, in row groups of many rows:
    rows written unsorted would give row groups of (Arrow's batch) / (partitions)
    rows, whose number slows every read of a partition as the SKUs grow."""
    import pyarrow.parquet as pq

    ds = ba.example_dataset(seed=0, n_skus=40, days=730)
    folder = ba.write_dataset(ds, tmp_path / "data", partition_by="sku_hash",
                              n_partitions=16)
    for k in range(16):
        files = list((folder / "orders" / f"sku_hash={k}").glob("*.parquet"))
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        groups = sum(pq.ParquetFile(f).metadata.num_row_groups for f in files)
        assert groups <= -(-rows // 10_000) + 1, (k, rows, groups)
    part = ba.read_dataset(folder, partitions=[3])
    mine = ds.orders[ds.orders["sku"].isin(part.skus).to_numpy()]
    pd.testing.assert_frame_equal(part.orders.reset_index(drop=True),
                                  mine.reset_index(drop=True), check_dtype=False)


def test_partition_by_is_checked(written, tmp_path):
    ds, _ = written
    with pytest.raises(ValueError, match="'partition_by' parameter must be 'sku_hash'"):
        ba.write_dataset(ds, tmp_path, partition_by="supplier")
