"""Dataset properties other than as_at (see test_dataset_as_at.py)."""

import pandas as pd

from backorder_analytics.data.dataset import Dataset


def test_suppliers_from_items_then_most_frequent_on_pos():
    # A: items say S1 (its POs say S2 twice: items win); B: blank in items, POs S2, S3,
    # S3 -> S3; C: only in inventory, no PO -> missing
    orders = pd.DataFrame({"order_id": ["O1"], "sku": ["A"], "quantity": [1],
                           "order_date": pd.to_datetime(["2024-01-02"])})
    po = pd.DataFrame({"po_id": ["P1", "P2", "P3", "P4", "P5"],
                       "sku": ["A", "A", "B", "B", "B"],
                       "supplier_id": ["S2", "S2", "S2", "S3", "S3"], "quantity": 1,
                       "order_date": pd.to_datetime(["2024-01-01"] * 5)})
    inv = pd.DataFrame({"sku": ["A", "B", "C"], "date": pd.to_datetime(["2024-01-01"] * 3),
                        "on_hand": [0, 0, 0]})
    items = pd.DataFrame({"sku": ["A", "B", "C"], "supplier_id": ["S1", None, None]})
    ds = Dataset(orders=orders, purchase_orders=po, inventory=inv, items=items,
                 as_of="2024-01-05")
    got = ds.suppliers
    assert got.name == "supplier_id"
    assert got.dropna().to_dict() == {"A": "S1", "B": "S3"}
    assert got.isna().tolist() == [False, False, True]
    ds.items = None
    assert ds.suppliers.dropna().to_dict() == {"A": "S2", "B": "S3"}
