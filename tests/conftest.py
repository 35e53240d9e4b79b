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
