"""The data layer's key codes (data/codes.py) against pandas.factorize, and
:meth:`Dataset.line_sizes` against a groupby of the orders."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from backorder_analytics.data.codes import integer_codes, text_codes


def _reference(values: list) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques)


TEXT_CASES = {
    "ids": [f"SO-{i % 37:05d}" for i in range(500)],
    "with nulls": ["a", None, "b", "a", None, "", "", "b"],
    "empty strings only": ["", "", ""],
    "unicode": ["café", "cafe", "café", "日本", "日本", "naïve"],
    "prefixes": ["a", "aa", "aaa", "a", "aa", "aaaa"],
    "all missing": [None, None],
    "nothing": [],
}


@pytest.mark.parametrize("case", list(TEXT_CASES))
@pytest.mark.parametrize("large", [False, True])
def test_text_codes_match_factorize(case, large):
    values = TEXT_CASES[case]
    arr = pa.array(values, type=pa.large_string() if large else pa.string())
    codes, n = text_codes([arr])
    ref, n_ref = _reference(values)
    np.testing.assert_array_equal(codes, ref)
    assert n == n_ref


def test_text_codes_across_arrays_chunks_and_slices():
    rng = np.random.default_rng(3)
    values = [f"K{v}" if v % 11 else None for v in rng.integers(0, 300, 4000)]
    whole = pa.array(values)
    # a chunked array of slices (offsets into a shared buffer) and a large_string part
    first = pa.chunked_array([whole.slice(0, 1000), whole.slice(1000, 1500)])
    second = whole.slice(2500).cast(pa.large_string())
    codes, n = text_codes([first, second])
    ref, n_ref = _reference(values)
    np.testing.assert_array_equal(codes, ref)
    assert n == n_ref


def test_text_codes_hash_collisions_in_one_slot_are_told_apart():
    # many distinct values in a small table still get distinct codes (probing is exact)
    values = [str(i) for i in range(20_000)] * 2
    codes, n = text_codes([pa.array(values)])
    assert n == 20_000
    np.testing.assert_array_equal(codes, np.tile(np.arange(20_000), 2))


def test_integer_codes_match_factorize():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.integers(-5, 5, 100),
                             rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max,
                                          100, dtype=np.int64), [0, 0, -1]])
    codes, n = integer_codes(values)
    ref, uniques = pd.factorize(values)
    np.testing.assert_array_equal(codes, ref)
    assert n == len(uniques)
    assert integer_codes(np.zeros(0, np.int64))[1] == 0


def test_line_sizes_match_a_groupby_of_the_orders():
    from backorder_analytics import example_dataset
    ds = example_dataset(seed=1, n_skus=12)
    for skus, upto in [(None, None), (list(ds.skus[:5]) + ["not a SKU"], "2025-03-01")]:
        o = ds.orders
        if upto is not None:
            o = o[o["order_date"] <= pd.Timestamp(upto)]
        if skus is not None:
            o = o[o["sku"].isin(skus)]
        expected = {k: v.to_numpy(np.int64) for k, v in o.groupby("sku")["quantity"]}
        got = ds.line_sizes(skus, upto=upto)
        assert got.keys() == expected.keys()
        for k in got:
            np.testing.assert_array_equal(got[k], expected[k])
