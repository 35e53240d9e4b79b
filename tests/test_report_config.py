"""The report's TOML config: a good file read right, every bad case named clearly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.report.config import (
    ConfigError,
    ReportConfig,
    load_config,
    read_configured_dataset,
    section_keys,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


def write(tmp_path: Path, text: str, name: str = "planning.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_planning_toml():
    config = load_config(DATA / "planning.toml")
    assert config.source == DATA / "planning.toml"
    assert config.data.folder == DATA.resolve()
    assert config.data.errors == "report"
    assert config.policy.allocation == "priority"
    assert config.policy.shipping == "partial"
    assert config.policy.max_wait_days == 30.0
    assert config.service.to_target() == ba.FillRate(0.95)
    assert config.forecast.quantiles == (0.5, 0.8, 0.95)
    assert config.forecast.periods == 4                 # 28 days in whole weeks
    assert config.alerts.warn_days == 7.0
    assert config.report.outputs == ("html", "xlsx", "csv")


def test_defaults():
    config = load_config(None)
    assert config == ReportConfig()
    assert config.policy.allocation == "fifo"
    assert config.policy.max_wait_days == 30.0
    assert config.forecast.horizon == 28
    assert config.service.to_target() == ba.FillRate(0.95)
    assert not config.data.given
    assert load_config(config) is config


def test_full_file_with_paths_relative_to_it(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "orders.csv").write_text("x\n")
    path = write(tmp_path, """
title = "Nightly"
as_of = 2025-06-30T23:59:59
[data]
folder = "exports"
orders = "exports/orders.csv"
inventory = "postgresql://u:p@localhost/db"
query = {inventory = "stock"}
errors = "raise"
date_format = "%d.%m.%Y"
dayfirst = true
thousands = ","
encoding = "cp1252"
[data.column_map.orders]
"Item number" = "sku"
[service]
target = "wait_time"
days = 3
quantile = 0.9
[policy]
allocation = "priority"
shipping = "complete"
max_wait_days = "none"
review = "periodic"
review_period = 14
[forecast]
horizon = 10
freq = "D"
model = ["ses", "croston"]
quantiles = [0.9, 0.5]
[risk]
horizon = 14
[alerts]
warn_days = 5
update_every_days = 3
[report]
outputs = ["xlsx", "html"]
n_reps = 50
seed = 3
charts = 0
""")
    c = load_config(path)
    assert c.title == "Nightly"
    assert c.as_of == pd.Timestamp("2025-06-30 23:59:59")
    assert c.data.folder == tmp_path / "exports"
    assert c.data.files == {"orders": str(tmp_path / "exports" / "orders.csv"),
                            "inventory": "postgresql://u:p@localhost/db"}
    assert c.data.column_map == {"orders": {"Item number": "sku"}}
    assert c.data.errors == "raise"
    assert c.data.options == {"query": {"inventory": "stock"}, "date_format": "%d.%m.%Y",
                              "dayfirst": True, "thousands": ",", "encoding": "cp1252"}
    assert c.service.to_target() == ba.WaitTime(3.0, 0.9)
    assert c.policy.max_wait_days is None
    assert (c.policy.review, c.policy.review_period) == ("periodic", 14.0)
    assert c.forecast.model == ("ses", "croston")
    assert c.forecast.quantiles == (0.5, 0.9)
    assert c.forecast.periods == 10
    assert c.risk.horizon == 14
    assert (c.alerts.warn_days, c.alerts.update_every_days) == (5.0, 3.0)
    assert c.report.outputs == ("html", "xlsx")                # canonical order
    assert (c.report.n_reps, c.report.seed, c.report.charts) == (50, 3, 0)


def test_dict_config_and_shared_column_map():
    c = load_config({"data": {"column_map": {"Item": "sku"}},
                     "service": {"target": "cycle_service_level", "level": 0.9}})
    assert c.data.column_map == {"Item": "sku"}
    assert c.service.to_target() == ba.CycleServiceLevel(0.9)
    assert c.source is None


BAD = [
    ("titel = 'x'", r"unknown key 'titel' at the top level\. Allowed keys: title, as_of, "
                    r"data, service, policy, forecast, risk, alerts, supply, report\. "
                    r"Did you mean 'title'\?"),
    ("[polcy]\nallocation = 'fifo'", r"unknown key 'polcy' at the top level.*"
                                     r"Did you mean 'policy'\?"),
    ("[policy]\nalocation = 'fifo'", r"unknown key 'alocation' in \[policy\]\. Allowed keys: "
                                     r"allocation, shipping, max_wait_days, review, "
                                     r"review_period\. Did you mean 'allocation'\?"),
    ("[policy]\nallocation = 'lifo'", r"\[policy\] allocation must be one of 'fifo', "
                                      r"'priority'\. Got 'lifo' instead\."),
    ("[policy]\nshipping = 1", r"\[policy\] shipping must be one of 'partial', 'complete'\. "
                               r"Got 1 instead\."),
    ("[policy]\nmax_wait_days = -1", r"\[policy\] max_wait_days must be a number >= 0 or "
                                     r"\"none\"\. Got -1 instead\."),
    ("[policy]\nmax_wait_days = true", r"\[policy\] max_wait_days must be a number >= 0.*Got True"),
    ("[policy]\nreview = 'weekly'", r"\[policy\] review must be one of 'continuous', 'periodic'"),
    ("[policy]\nreview_period = 0", r"\[policy\] review_period must be a number > 0\. "
                                     r"Got 0 instead"),
    ("policy = 3", r"\[policy\] must be a table of keys \(allocation, shipping, "
                   r"max_wait_days, review, review_period\)\. Got 3 instead\."),
    ("[service]\ntarget = 'fillrate'", r"\[service\] target must be one of 'fill_rate', "
                                       r"'cycle_service_level', 'wait_time'\. "
                                       r"Got 'fillrate' instead\."),
    ("[service]\nlevel = 1.5", r"\[service\] level must be a number > 0 and < 1\. "
                               r"Got 1\.5 instead\."),
    ("[service]\nlevel = '95%'", r"\[service\] level must be a number > 0 and < 1\. "
                                 r"Got '95%' instead"),
    ("[service]\ntarget = 'wait_time'\nlevel = 0.9",
     r"\[service\] level is not used with target = 'wait_time'; that target takes days "
     r"and quantile\."),
    ("[service]\ndays = 2", r"\[service\] days is not used with target = 'fill_rate'; "
                            r"that target takes level\."),
    ("[forecast]\nhorizon = 0", r"\[forecast\] horizon must be an integer >= 1\. Got 0"),
    ("[forecast]\nhorizon = 2.5", r"\[forecast\] horizon must be an integer >= 1\. "
                                  r"Got 2\.5 instead"),
    ("[forecast]\nfreq = 'M'", r"\[forecast\] freq must be one of 'D', 'W'\. Got 'M'"),
    ("[forecast]\nquantiles = [0.5, 1.2]", r"\[forecast\] quantiles must be a list of "
                                           r"numbers strictly between 0 and 1"),
    ("[forecast]\nquantiles = 0.9", r"\[forecast\] quantiles must be a list of numbers"),
    ("[forecast]\nmodel = 3", r"\[forecast\] model must be a model name"),
    ("[risk]\nhorizon = -2", r"\[risk\] horizon must be an integer >= 1\. Got -2"),
    ("[alerts]\nwarn_days = 'soon'", r"\[alerts\] warn_days must be a number >= 0"),
    ("[alerts]\nupdate_every_days = 0", r"\[alerts\] update_every_days must be a number > 0"),
    ("[alerts]\nwarn_days = inf", r"\[alerts\] warn_days must be a number >= 0\. Got inf"),
    ("[policy]\nmax_wait_days = nan", r"\[policy\] max_wait_days must be a number >= 0 or "
                                      r"\"none\"\. Got nan instead"),
    ("[report]\noutputs = ['pdf']", r"\[report\] outputs must be a list of some of "
                                    r"'html', 'xlsx', 'csv'\. Got \['pdf'\] instead\."),
    ("[report]\nn_reps = 0", r"\[report\] n_reps must be an integer >= 1\. Got 0 instead"),
    ("[report]\nseed = 'x'", r"\[report\] seed must be an integer >= 0"),
    ("[report]\ncolour = 'red'", r"unknown key 'colour' in \[report\]\. Allowed keys: "
                                 r"outputs, n_reps, seed, charts, n_jobs, scheduler, "
                                 r"partitions\."),
    ("as_of = 'yesterday'", r"as_of must be a date or date-time"),
    ("title = 3", r"title must be a non-empty string\. Got 3 instead"),
    ("[data]\nfolder = 'nowhere'", r"\[data\] folder = 'nowhere': no such folder .*Paths are "
                                   r"relative to the config file's folder"),
    ("[data]\norders = 'none.csv'", r"\[data\] orders = 'none.csv': no such file"),
    ("[data]\nerrors = 'ignore'", r"\[data\] errors must be one of 'report', 'raise'"),
    ("[data]\ndayfirst = 'yes'", r"\[data\] dayfirst must be true or false"),
    ("[data]\nfolders = '.'", r"unknown key 'folders' in \[data\]\..*Did you mean 'folder'"),
    ("[data.column_map.order]\nItem = 'sku'", r"\[data\] column_map must be a table .*the "
                                              r"tables are orders, purchase_orders, "
                                              r"inventory, items, shipments "
                                              r"\(got 'order'\)"),
    ("[data.column_map]\nItem = 3", r"\[data\] column_map must be a table of your column"),
    ("[data]\nquery = {order = 'x'}", r"\[data\] query must be a string, or a table"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[b[0].split("\n")[-1] for b in BAD])
def test_bad_config_names_file_key_and_allowed_values(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=re.escape(str(path)) + ": " + message):
        load_config(path)


def test_as_of_with_a_time_zone_is_read_in_utc(tmp_path):
    config = load_config(write(tmp_path, "as_of = 2025-11-30T10:00:00+02:00"))
    assert config.as_of == pd.Timestamp("2025-11-30 08:00")
    assert config.with_overrides(as_of="2025-11-30T00:00:00Z").as_of == \
        pd.Timestamp("2025-11-30")


def test_an_infinite_time_limit_is_none(tmp_path):
    assert load_config(write(tmp_path, "[policy]\nmax_wait_days = inf")).policy.max_wait_days \
        is None


def test_not_toml(tmp_path):
    path = write(tmp_path, "[policy\nallocation = 'fifo'\n")
    with pytest.raises(ConfigError, match=re.escape(str(path)) + r": not valid TOML: .*line 1"):
        load_config(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"no_such\.toml: no such config file"):
        load_config(tmp_path / "no_such.toml")


def test_not_utf8(tmp_path):
    path = tmp_path / "planning.toml"
    path.write_bytes("title = 'Café'\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(path)


def test_wrong_source_type():
    with pytest.raises(TypeError, match="The 'config' parameter must be a path to a TOML "
                                        "file, a dict, a ReportConfig or None. Got int"):
        load_config(3)


def test_dict_errors_say_config():
    with pytest.raises(ConfigError, match=r"^config: \[report\] n_reps must be"):
        load_config({"report": {"n_reps": -1}})


def test_config_error_is_a_value_error_of_the_package():
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigError, ba.BackorderAnalyticsError)


def test_every_documented_key_is_allowed():
    """The module docstring's example (and data/planning.toml) use only allowed keys."""
    keys = section_keys()
    assert keys[""] == ["title", "as_of"]
    assert set(keys) == {"", "data", "service", "policy", "forecast", "risk", "alerts",
                         "supply", "report"}


def test_overrides():
    c = load_config(DATA / "planning.toml").with_overrides(
        as_of="2025-06-30", outputs=["html"], title="T")
    assert c.as_of == pd.Timestamp("2025-06-30")
    assert c.report.outputs == ("html",)
    assert c.title == "T"
    with pytest.raises(ConfigError, match=r"--format must be a list of some of 'html', "
                                          r"'xlsx', 'csv'\. Got \['pdf'\] instead"):
        c.with_overrides(outputs=["pdf"])
    with pytest.raises(ConfigError, match="--as-of must be a date"):
        c.with_overrides(as_of="soon")


def test_read_configured_dataset(tmp_path):
    ds = read_configured_dataset(load_config(DATA / "planning.toml"))
    meta = json.loads((DATA / "dataset.json").read_text(encoding="utf-8"))
    assert ds.as_of == pd.Timestamp(meta["as_of"])
    with open(DATA / "orders.csv", encoding="utf-8") as f:
        assert len(ds.orders) == sum(1 for _ in f) - 1
    with pytest.raises(ConfigError, match=r"\[data\] names no data"):
        read_configured_dataset(load_config({}))


def test_column_map_and_options_reach_the_loader(tmp_path):
    pd.DataFrame({"Order": ["SO1"], "Item": ["A"], "Qty": ["1.000"],
                  "Date": ["03/04/2024"]}).to_csv(tmp_path / "o.csv", index=False)
    pd.DataFrame({"po_id": ["P1"], "sku": ["A"], "quantity": [5],
                  "order_date": ["01/04/2024"]}).to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"sku": ["A"], "date": ["01/04/2024"], "on_hand": [2]}).to_csv(
        tmp_path / "i.csv", index=False)
    path = write(tmp_path, """
[data]
orders = "o.csv"
purchase_orders = "p.csv"
inventory = "i.csv"
dayfirst = true
thousands = "."
[data.column_map.orders]
Order = "order_id"
Item = "sku"
Qty = "quantity"
Date = "order_date"
""")
    ds = read_configured_dataset(load_config(path))
    assert ds.orders["order_date"].iloc[0] == pd.Timestamp("2024-04-03")
    assert ds.orders["quantity"].iloc[0] == 1000
