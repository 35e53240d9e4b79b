"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Chained assignment is an error under pandas 2 (pandas 3's copy-on-write has no
    such warning: assignment through a chain then simply does not write)."""
    import pandas as pd

    if hasattr(pd.errors, "SettingWithCopyWarning"):
        config.addinivalue_line("filterwarnings",
                                "error::pandas.errors.SettingWithCopyWarning")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Folder of the real public datasets, from the ``BACKORDER_DATA_DIR`` variable.

    Skips the test when the variable is not set. A relative path is taken from the
    current directory, else from the repository root (CI sets ``../shared/data``).
    """
    value = os.environ.get("BACKORDER_DATA_DIR")
    if not value:
        pytest.skip(
            "BACKORDER_DATA_DIR is not set; point it at the folder holding the real "
            "datasets (e.g. BACKORDER_DATA_DIR=../shared/data) to run this test."
        )
    path = Path(value).expanduser()
    if not path.is_absolute() and not path.is_dir():
        path = REPO_ROOT / path
    if not path.is_dir():
        pytest.fail(f"BACKORDER_DATA_DIR={value!r} is not a folder (looked at {path}).")
    return path


@pytest.fixture(scope="module")
def client():
    """A client of a 2-worker Dask LocalCluster (processes, one thread each), for the
    tests of the distributed run; skips without the ``dask`` extra."""
    import warnings

    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cluster's own start-up notices
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=":0")
        with distributed.Client(cluster) as c:
            yield c
        cluster.close()
