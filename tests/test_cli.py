"""The ``backorder-analytics`` command line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
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


@pytest.fixture
def medium_folder(tmp_path: Path) -> Path:
    """Three SKUs over 30 weeks as CSV files, with a quick planning.toml beside them."""
    rng = np.random.default_rng(1)
    start, days = pd.Timestamp("2024-01-01"), 210
    orders, pos = [], []
    for k, sku in enumerate(["A", "B", "C"]):
        for d in range(days):
            for j in range(rng.poisson(2.0)):
                orders.append((f"SO{k}-{d}-{j}", sku, int(rng.integers(1, 4)),
                               start + pd.Timedelta(days=d, hours=9 + j), f"C{j % 4}", j % 2))
        for d in range(0, days, 10):
            received = start + pd.Timedelta(days=d + 4 + int(rng.integers(0, 4)))
            pos.append((f"PO{k}-{d}", sku, 40, start + pd.Timedelta(days=d),
                        start + pd.Timedelta(days=d + 5),
                        received if d < days - 10 else pd.NaT, "S1" if k < 2 else "S2"))
    folder = tmp_path / "data"
    folder.mkdir()
    pd.DataFrame(orders, columns=["order_id", "sku", "quantity", "order_date", "customer_id",
                                  "priority"]).to_csv(folder / "orders.csv", index=False)
    pd.DataFrame(pos, columns=["po_id", "sku", "quantity", "order_date", "expected_date",
                               "received_date", "supplier_id"]).to_csv(
        folder / "purchase_orders.csv", index=False)
    pd.DataFrame({"sku": ["A", "B", "C"], "date": "2024-01-01", "on_hand": 20}).to_csv(
        folder / "inventory.csv", index=False)
    (folder / "planning.toml").write_text(
        'title = "Quick"\n[data]\nfolder = "."\n[policy]\nallocation = "priority"\n'
        '[forecast]\nmodel = "ses"\n[report]\nn_reps = 20\ncharts = 1\n', encoding="utf-8")
    return folder


def test_demo_writes_report_from_folder_with_its_config(medium_folder, tmp_path, capsys):
    out = tmp_path / "report"
    status = main(["demo", "--data", str(medium_folder), "--out", str(out), "-q"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>Quick</title>" in page                  # the folder's planning.toml
    assert "Demand and its classes" in page
    assert "data:image/png;base64," in page
    assert (out / "report.xlsx").is_file()
    assert f"Report written to {out / 'index.html'}" in captured.out


def test_report_writes_what_the_config_and_options_say(medium_folder, tmp_path, capsys):
    out = tmp_path / "nightly"
    status = main(["report", "--config", str(medium_folder / "planning.toml"),
                   "--out", str(out), "--no-progress", "--format", "html,csv",
                   "--as-of", "2024-07-01T23:59:59", "--title", "As of 1 July"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert f"Report written to {out / 'index.html'}" in captured.out
    assert {p.name for p in out.iterdir()} == {"index.html", "tables"}
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>As of 1 July</title>" in page
    assert "Data as of 2024-07-01 23:59" in page
    orders = pd.read_csv(medium_folder / "orders.csv", parse_dates=["order_date"])
    facts = pd.read_csv(out / "tables" / "overview.csv").set_index("fact")["value"]
    assert int(facts["order lines"]) == int(
        (orders["order_date"] <= pd.Timestamp("2024-07-01 23:59:59")).sum())
    assert "alerts.csv" in {p.name for p in (out / "tables").iterdir()}


def test_report_help_lists_keys_and_exit_codes(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for text in ("--config FILE", "--as-of", "--format", "--no-progress", "[policy]",
                 "max_wait_days", "fill_rate | cycle_service_level | wait_time",
                 "Exit status: 0"):
        assert text in out, text


@pytest.mark.parametrize(("config", "args", "message"), [
    (None, [], "no such config file"),
    ("[policy]\nalocation = 'fifo'\n", [], "unknown key 'alocation' in [policy]"),
    ("[report]\nn_reps = 0\n", [], "[report] n_reps must be an integer >= 1. Got 0"),
    ("title = 'x'\n", [], "[data] names no data"),
    ("[data]\nfolder = '.'\n", ["--format", "pdf"],
     "--format must be a list of some of 'html', 'xlsx', 'csv'. Got ['pdf'] instead."),
    ("[data]\nfolder = '.'\n", ["--as-of", "someday"], "--as-of must be a date"),
])
def test_report_config_errors_exit_2(tmp_path, capsys, config, args, message):
    path = tmp_path / "planning.toml"
    if config is not None:
        path.write_text(config, encoding="utf-8")
    assert main(["report", "--config", str(path), "--out", str(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"backorder-analytics report: error: {path}: ")
    assert message in err
    assert not (tmp_path / "r").exists()


def test_report_without_config_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report"])
    assert exit_info.value.code == 2
    assert "--config" in capsys.readouterr().err


def test_report_fatal_data_problem_exits_1(small_folder, tmp_path, capsys):
    (small_folder / "orders.csv").write_text("order_id,sku,order_date\nSO1,A,2024-01-02\n")
    (small_folder / "planning.toml").write_text("[data]\nfolder = '.'\n")
    status = main(["report", "--config", str(small_folder / "planning.toml"),
                   "--out", str(tmp_path / "r"), "--no-progress"])
    assert status == 1
    assert "no column 'quantity'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_report_rejected_rows_exit_1_but_report_written(small_folder, tmp_path, capsys):
    (small_folder / "orders.csv").write_text(
        "order_id,sku,quantity,order_date\nSO1,A,2,2024-01-02\nSO2,B,-1,2024-01-03\n")
    (small_folder / "planning.toml").write_text(
        "[data]\nfolder = '.'\n[report]\noutputs = ['html', 'csv']\n")
    status = main(["report", "--config", str(small_folder / "planning.toml"),
                   "--out", str(tmp_path / "r"), "--no-progress"])
    assert status == 1
    err = capsys.readouterr().err
    assert "warning: 1 row was rejected on load" in err
    assert "1 row was set aside on load" in (tmp_path / "r" / "index.html").read_text()
    assert pd.read_csv(tmp_path / "r" / "tables" / "rejected_rows.csv")["row"].tolist() == [3]


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


def test_example_data_writes_the_commented_config(tmp_path):
    from backorder_analytics.cli import CONFIG_TEMPLATE, main

    assert main(["example-data", "--out", str(tmp_path / "example")]) == 0
    written = tmp_path / "example" / "planning.toml"
    assert written.read_bytes() == CONFIG_TEMPLATE.read_bytes()
    repo_copy = Path(__file__).resolve().parent.parent / "data" / "planning.toml"
    assert repo_copy.read_bytes() == CONFIG_TEMPLATE.read_bytes()  # make data keeps them one
    config = ba.load_config(written)
    assert config.data.folder == written.parent
