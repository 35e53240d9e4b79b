"""The ``backorder-analytics`` command line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.cli import main

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


@pytest.fixture
def small_folder(tmp_path: Path) -> Path:
    """A clean three-table folder."""
    pd.DataFrame({"order_id": ["SO1", "SO2"], "sku": ["A", "B"], "quantity": [2, 1],
                  "order_date": ["2024-01-02", "2024-01-03"]}).to_csv(
        tmp_path / "orders.csv", index=False)
    pd.DataFrame({"po_id": ["PO1"], "sku": ["A"], "quantity": [10],
                  "order_date": ["2024-01-01"], "received_date": ["2024-01-05"]}).to_csv(
        tmp_path / "purchase_orders.csv", index=False)
    pd.DataFrame({"sku": ["A", "B"], "date": ["2024-01-01", "2024-01-01"],
                  "on_hand": [3, 0]}).to_csv(tmp_path / "inventory.csv", index=False)
    return tmp_path


def test_validate_clean_folder_exits_0(small_folder, capsys):
    assert main(["validate", str(small_folder)]) == 0
    out = capsys.readouterr().out
    assert "No problems found." in out
    assert "orders" in out
    assert "purchase_orders" in out
    assert "inventory" in out


def test_validate_reports_every_problem_and_exits_1(small_folder, capsys, tmp_path):
    (small_folder / "orders.csv").write_text(
        "order_id,sku,quantity,order_date\nSO1,A,2,2024-01-02\nSO2,B,-1,2024-01-03\n"
        "SO3,A,x,2024-01-04\n")
    problems_csv = tmp_path / "problems.csv"
    status = main(["validate", str(small_folder), "--problems-csv", str(problems_csv)])
    assert status == 1
    out = capsys.readouterr().out
    assert "2 rows have problems" in out
    assert "quantity: not > 0" in out
    assert "quantity: not a number" in out
    rejected = pd.read_csv(problems_csv)
    assert rejected["row"].tolist() == [3, 4]


def test_validate_fatal_problem_goes_to_stderr(small_folder, capsys):
    (small_folder / "orders.csv").write_text("order_id,sku,order_date\nSO1,A,2024-01-02\n")
    assert main(["validate", str(small_folder)]) == 1
    err = capsys.readouterr().err
    assert "no column 'quantity'" in err


def test_validate_single_files_with_column_map(small_folder, capsys):
    orders = pd.read_csv(small_folder / "orders.csv").rename(columns={"sku": "Item"})
    orders.to_csv(small_folder / "mine.csv", index=False)
    status = main(["validate", "--orders", str(small_folder / "mine.csv"),
                   "--purchase-orders", str(small_folder / "purchase_orders.csv"),
                   "--inventory", str(small_folder / "inventory.csv"),
                   "--column-map", '{"orders": {"Item": "sku"}}'])
    assert status == 0, capsys.readouterr()


def test_validate_without_sources_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate"])
    assert exit_info.value.code == 2
    assert "needs a FOLDER" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2


def test_validate_bundled_data_is_clean(capsys):
    assert main(["validate", str(DATA)]) == 0
    assert "No problems found." in capsys.readouterr().out


def test_demo_writes_report_from_folder(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["demo", "--data", str(DATA), "--out", str(out), "-q"]) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Demand and its classes" in page
    assert "data:image/png;base64," in page
    assert f"Report written to {out / 'index.html'}" in capsys.readouterr().out


def test_example_data_writes_readable_folder(tmp_path):
    assert main(["example-data", "--out", str(tmp_path), "--seed", "1"]) == 0
    ds = ba.read_dataset(tmp_path)
    expected = ba.example_dataset(seed=1)
    pd.testing.assert_frame_equal(ds.orders, expected.orders)
    assert ds.as_of == expected.as_of


def test_console_script_is_installed():
    exe = shutil.which("backorder-analytics") or str(Path(sys.executable).parent /
                                                      "backorder-analytics")
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"backorder-analytics {ba.__version__}"
