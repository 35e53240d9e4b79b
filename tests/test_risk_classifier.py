"""Tests of backorder_analytics.risk_classifier: the Kaggle backorder sample (its
documented shape, held-out ROC-AUC / PR-AUC / Brier against the published figures and
against plain baselines), features worked out by hand, the scikit-learn contract, and
snapshots built from the example dataset against its ground truth."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.utils.estimator_checks as checks
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from backorder_analytics import NotFittedError, example_dataset, replay
from backorder_analytics.exceptions import DataError
from backorder_analytics.planning.risk_classifier import (
    FLAG_COLUMNS,
    SNAPSHOT_COLUMNS,
    BackorderFeatures,
    BackorderRiskClassifier,
    read_backorder_snapshots,
    snapshot_features,
)

SAMPLE = "product_backorders_sample.csv"


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One OpenMP thread: on shared, busy CI cores gradient boosting with several
    threads can take many times longer (fitting and predicting)."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def sample(data_dir):
    return read_backorder_snapshots(data_dir / SAMPLE)


@pytest.fixture(scope="module")
def split(sample):
    X, y = sample
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def fitted(split):
    X_train, _, y_train, _ = split
    with threadpool_limits(1):  # module fixtures are set up before the autouse one
        return BackorderRiskClassifier(random_state=0).fit(X_train, y_train)


def raw_columns(X: pd.DataFrame) -> pd.DataFrame:
    """Baseline input, cleaned here independently: Yes/No → 1/0, perf −99 → NaN."""
    out = X[list(SNAPSHOT_COLUMNS)].copy()
    for c in FLAG_COLUMNS:
        out[c] = (out[c] == "Yes").astype(float)
    for c in ("perf_6_month_avg", "perf_12_month_avg"):
        out[c] = out[c].where(out[c] >= 0)
    return out.astype(float)


# ------------------------------------------------------------------ the sample


def test_sample_matches_its_documentation(sample):
    # data/README: 19,053 rows x 23 columns, 11.9% positives, 1,078 missing lead_time
    X, y = sample
    assert X.shape == (19_053, 22)
    assert y.sum() == 2266
    assert round(y.mean(), 3) == 0.119
    assert X["lead_time"].isna().sum() == 1078


@pytest.mark.slow
def test_held_out_scores(split, fitted):
    X_train, X_test, y_train, y_test = split
    p = fitted.predict_proba(X_test)[:, 1]
    roc, pr = roc_auc_score(y_test, p), average_precision_score(y_test, p)
    brier = brier_score_loss(y_test, p)
    # Published on the full Kaggle data (de Santis et al. 2017): ROC-AUC up to 0.950,
    # PR-AUC up to 0.298. Measured here on the held-out 25%: 0.949, 0.759, Brier 0.049.
    # PR-AUC on this sample (11.9% positives) is not comparable with the full data's
    # (0.7%); it is compared with baselines below instead.
    assert roc >= 0.945
    assert pr >= 0.74
    hgb = HistGradientBoostingClassifier(random_state=0).fit(raw_columns(X_train), y_train)
    logit = make_pipeline(SimpleImputer(), StandardScaler(),
                          LogisticRegression(max_iter=1000)).fit(raw_columns(X_train), y_train)
    for base in (hgb, logit):  # measured: 0.943 / 0.741 and 0.704 / 0.234
        q = base.predict_proba(raw_columns(X_test))[:, 1]
        assert roc >= roc_auc_score(y_test, q)
        assert pr >= average_precision_score(y_test, q)
    # calibration: better than the base rate, and right on average
    base_rate = np.full(len(y_test), y_train.mean())
    assert brier < 0.5 * brier_score_loss(y_test, base_rate)  # 0.049 vs 0.105
    assert abs(p.mean() - y_test.mean()) < 0.015  # 0.114 vs 0.119


def test_predict_uses_the_threshold(split, fitted):
    X_test = split[1].head(200)
    p = fitted.predict_proba(X_test)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert list(fitted.classes_) == [0, 1]
    np.testing.assert_array_equal(fitted.predict(X_test), (p[:, 1] >= 0.5).astype(int))
    high = copy.deepcopy(fitted).set_params(threshold=0.9)
    np.testing.assert_array_equal(high.predict(X_test), (p[:, 1] >= 0.9).astype(int))


# --------------------------------------------------------------- features


def one_row(**values) -> pd.DataFrame:
    row = dict.fromkeys(SNAPSHOT_COLUMNS, 0) | dict.fromkeys(FLAG_COLUMNS, "No")
    return pd.DataFrame([row | values])


def test_features_by_hand():
    X = one_row(national_inv=10, in_transit_qty=5, forecast_3_month=14, sales_1_month=4,
                sales_3_month=9, min_bank=12, pieces_past_due=3, lead_time=np.nan,
                perf_6_month_avg=-99, perf_12_month_avg=0.8, deck_risk="Yes",
                stop_auto_buy="yes")
    f = BackorderFeatures().fit(X)
    got = dict(zip(f.get_feature_names_out(), f.transform(X)[0], strict=True))
    assert got["deck_risk"] == 1.0
    assert got["stop_auto_buy"] == 1.0
    assert got["ppap_risk"] == 0.0
    assert np.isnan(got["perf_6_month_avg"])
    assert got["perf_12_month_avg"] == 0.8
    assert np.isnan(got["lead_time"])
    assert got["inv_to_forecast_3"] == pytest.approx(10 / 15)
    assert got["position_to_forecast_3"] == pytest.approx(15 / 15)
    assert got["position_minus_forecast_3"] == 1.0
    assert got["inv_to_monthly_sales_3"] == pytest.approx(10 / 4)
    assert got["transit_to_forecast_3"] == pytest.approx(5 / 15)
    assert got["past_due_share"] == pytest.approx(3 / 9)
    assert got["min_bank_gap"] == -2.0
    assert got["sales_trend"] == pytest.approx(12 / 10)
    assert np.isnan(got["lead_time_gap"])
    assert got["no_stock"] == 0.0
    plain = BackorderFeatures(ratios=False).fit(X)
    assert list(plain.get_feature_names_out()) == list(SNAPSHOT_COLUMNS)
    # a plain array in SNAPSHOT_COLUMNS order gives the same features
    arr = X[list(SNAPSHOT_COLUMNS)].to_numpy(object)
    np.testing.assert_array_equal(f.transform(arr), f.transform(X))
    # so do a SciPy sparse matrix of the numeric snapshot and an Arrow table
    import pyarrow as pa
    from scipy import sparse

    numeric = X[list(SNAPSHOT_COLUMNS)].copy()
    flags = list(FLAG_COLUMNS)
    numeric[flags] = numeric[flags].apply(lambda c: c.str.lower().eq("yes")).astype(float)
    numeric = numeric.astype(float)
    np.testing.assert_array_equal(f.transform(sparse.csr_matrix(numeric.to_numpy())),
                                  f.transform(numeric))
    np.testing.assert_array_equal(f.transform(pa.Table.from_pandas(X)), f.transform(X))


@pytest.mark.parametrize(("X", "error", "match"), [
    (one_row().drop(columns="min_bank"), DataError, "no column 'min_bank'"),
    (one_row(deck_risk="maybe"), DataError, r"X\['deck_risk'\] must be Yes/No"),
    (one_row(national_inv="lots"), DataError, r"X\['national_inv'\] must be numeric"),
    (np.zeros((2, 3)), ValueError, "2-D array with 21 columns"),
])
def test_bad_snapshots(X, error, match):
    with pytest.raises(error, match=match):
        BackorderFeatures().fit(X)


def test_reader_errors(tmp_path, sample):
    X, y = sample
    no_target = tmp_path / "a.csv"
    X.head(3).to_csv(no_target, index=False)
    with pytest.raises(DataError, match="no column 'went_on_backorder'"):
        read_backorder_snapshots(no_target)
    Xu, yu = read_backorder_snapshots(no_target, target=None)
    assert yu is None
    assert len(Xu) == 3
    bad = tmp_path / "b.csv"
    X.head(3).assign(went_on_backorder=["Yes", "No", "perhaps"]).to_csv(bad, index=False)
    with pytest.raises(DataError, match=r"must be Yes or No; rows \[2\]"):
        read_backorder_snapshots(bad)
    short = tmp_path / "c.csv"
    X.head(3).drop(columns=["sales_9_month"]).to_csv(short, index=False)
    with pytest.raises(DataError, match="no column 'sales_9_month'"):
        read_backorder_snapshots(short, target=None)


# ------------------------------------------------------------ sklearn contract


def small(sample, n=1500):
    """A stratified subsample (the file lists the positives first)."""
    X, y = sample
    X, _, y, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=0)
    return X, y


def test_clone_get_params_round_trip():
    clf = BackorderRiskClassifier(calibration="isotonic", max_iter=50, cv=3)
    params = clf.get_params()
    twin = clone(clf)
    assert twin.get_params() == params
    assert twin is not clf
    assert BackorderRiskClassifier(**params).get_params() == params
    assert clf.set_params(threshold=0.3).threshold == 0.3


def test_pipeline_and_labels(sample):
    X, y = small(sample)
    labels = np.where(y == 1, "Yes", "No")
    pipe = Pipeline([("clf", BackorderRiskClassifier(max_iter=30, cv=2))]).fit(X, labels)
    other = make_pipeline(BackorderFeatures(), SimpleImputer(), StandardScaler(),
                          LogisticRegression(max_iter=1000)).fit(X, y)
    assert list(pipe.classes_) == ["No", "Yes"]
    assert set(pipe.predict(X.head(50))) <= {"No", "Yes"}
    assert pipe.predict_proba(X.head(5)).shape == (5, 2)
    assert other.predict_proba(X.head(5)).shape == (5, 2)
    clf = pipe.named_steps["clf"]
    assert clf.n_features_in_ == X.shape[1]
    assert list(clf.feature_names_in_) == list(X.columns)


def test_unfitted_raises_both_not_fitted_errors():
    X = one_row()
    for err in (NotFittedError, SklearnNotFittedError):
        with pytest.raises(err, match="not fitted yet"):
            BackorderRiskClassifier().predict_proba(X)
    with pytest.raises(NotFittedError):
        BackorderFeatures().transform(X)


SKLEARN_CHECKS = ["check_no_attributes_set_in_init", "check_parameters_default_constructible",
                  "check_get_params_invariance", "check_set_params", "check_estimators_unfitted",
                  "check_estimator_cloneable", "check_estimator_repr", "check_mixin_order",
                  "check_do_not_raise_errors_in_init_or_set_params", "check_valid_tag_types",
                  "check_estimator_tags_renamed"]
"""The common checks that need no data; the others feed random arrays of 1–3 generic
columns, which a model of the 21 snapshot columns rejects by design."""


@pytest.mark.parametrize("check", SKLEARN_CHECKS)
@pytest.mark.parametrize("estimator", [BackorderRiskClassifier(max_iter=10),
                                       BackorderRiskClassifier(max_iter=10, cv=2),
                                       BackorderFeatures()], ids=lambda e: type(e).__name__)
def test_sklearn_common_checks(estimator, check):
    getattr(checks, check)(type(estimator).__name__, estimator)


@pytest.mark.parametrize(("params", "y", "match"), [
    ({"calibration": "platt"}, None, "'calibration' parameter must be one of"),
    ({"cv": 1}, None, "'cv' parameter must be None, an integer >= 2"),
    ({"calibration_size": 1.0}, None, r"'calibration_size' parameter must lie in \(0, 1\)"),
    ({"n_threads": 0}, None, "'n_threads' parameter must be an integer >= 1 or None"),
    ({"threshold": 1.5}, None, r"'threshold' parameter must lie in \(0, 1\)"),
    ({}, "three", "exactly two classes"),
    ({}, "short", "one label per row"),
])
def test_bad_parameters(sample, params, y, match):
    X, labels = small(sample, 60)
    labels = labels.to_numpy()
    if y == "three":
        labels = np.arange(60) % 3
    elif y == "short":
        labels = labels[:10]
    with pytest.raises(ValueError, match=match):
        BackorderRiskClassifier(**params).fit(X, labels)


# ------------------------------------------------------------ from a Dataset


@pytest.fixture(scope="module")
def example():
    return example_dataset(seed=0)


@pytest.fixture(scope="module")
def snapshot(example):
    return snapshot_features(example, allocation="priority",
                             reorder_points=example.truth["policy"]).set_index("sku")


def test_snapshot_columns_from_the_example(example, snapshot):
    assert list(snapshot.columns) == list(SNAPSHOT_COLUMNS)
    as_of = example.as_of
    timeline = replay(example, allocation="priority").timeline
    last = timeline[timeline["date"] == timeline["date"].max()].set_index("sku")
    open_units = example.truth["service"].set_index("sku")["open_units"]
    assert (snapshot["local_bo_qty"] == open_units.reindex(snapshot.index)).all()
    assert (snapshot["national_inv"]
            == (last["on_hand"] - last["backordered_units"]).reindex(snapshot.index)).all()
    po = example.open_purchase_orders
    assert (snapshot["in_transit_qty"]
            == po.groupby("sku")["quantity"].sum().reindex(snapshot.index, fill_value=0)).all()
    late = po[po["expected_date"] < as_of].groupby("sku")["quantity"].sum()
    assert (snapshot["pieces_past_due"] == late.reindex(snapshot.index, fill_value=0)).all()
    o = example.orders
    month = o[o["order_date"] > pd.Timestamp("2025-11-30 23:59:59")]  # one month back
    assert (snapshot["sales_1_month"]
            == month.groupby("sku")["quantity"].sum().reindex(snapshot.index,
                                                               fill_value=0)).all()
    policy = example.truth["policy"].set_index("sku")
    assert (snapshot["min_bank"] == policy["r"].reindex(snapshot.index)).all()
    # median lead time of the supplier [weeks], against the true median within 15%
    p50 = example.truth["lead_times"].set_index("supplier_id")["p50"]
    true_weeks = policy["supplier_id"].map(p50).reindex(snapshot.index) / 7
    np.testing.assert_allclose(snapshot["lead_time"], true_weeks, rtol=0.15)
    assert snapshot[["perf_6_month_avg", "perf_12_month_avg"]].stack().between(0, 1).all()


@pytest.mark.slow
def test_kaggle_model_on_the_example_points_the_right_way(example, snapshot, fitted):
    # Transfers only roughly; still, SKUs whose reorder point was set too low should
    # look riskier on average.
    p = pd.Series(fitted.predict_proba(snapshot)[:, 1], index=snapshot.index)
    too_low = example.truth["policy"].set_index("sku")["z"].reindex(p.index) < 0
    assert p.between(0, 1).all()
    assert p[too_low].mean() > p[~too_low].mean()


# ------------------------------------------------- base rate, reasons, importances


def population(split, rate: float, seed: int = 0):
    """The held-out snapshots with positives thinned to ``rate`` (a pure prior shift:
    within each class, the snapshots are those of the sample)."""
    _, X_test, _, y_test = split
    rng = np.random.default_rng(seed)
    neg = np.flatnonzero(y_test.to_numpy() == 0)
    pos = np.flatnonzero(y_test.to_numpy() == 1)
    keep = rng.choice(pos, size=round(rate / (1 - rate) * len(neg)), replace=False)
    rows = np.sort(np.concatenate([neg, keep]))
    return X_test.iloc[rows], y_test.iloc[rows]


@pytest.mark.slow
def test_the_base_rate_corrects_an_enriched_sample(split, fitted):
    X_pop, y_pop = population(split, 0.011)
    raw = fitted.predict_proba(X_pop)[:, 1].mean()
    corrected = copy.deepcopy(fitted).set_params(base_rate=0.011)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # within 20 %: no warning
        p = corrected.predict_proba(X_pop)[:, 1]
    assert raw > 3 * 0.011                          # the issue: 5.7 % against 1.1 %
    assert abs(p.mean() - 0.011) <= 0.2 * 0.011
    assert roc_auc_score(y_pop, p) == pytest.approx(roc_auc_score(
        y_pop, fitted.predict_proba(X_pop)[:, 1]))  # a monotone map: same ranking
    wrong = copy.deepcopy(fitted).set_params(base_rate=0.11)  # a base rate that is off
    with pytest.warns(UserWarning, match=r"mean P\(backorder\) over these .* SKUs"):
        wrong.predict_proba(X_pop)


def test_prior_correction_is_the_odds_ratio(split, fitted):
    X = split[1].head(50)
    p = fitted.predict_proba(X)[:, 1]
    q = copy.deepcopy(fitted).set_params(base_rate=0.02).predict_proba(X)[:, 1]
    rho = fitted.train_rate_
    expected = (p / (1 - p)) * (0.02 / 0.98) / (rho / (1 - rho))
    np.testing.assert_allclose(q, expected / (1 + expected), rtol=1e-9)


def test_reasons_and_importances_point_at_the_stock(split, fitted):
    X = split[1].head(300)
    reasons = fitted.explain(X, top=2)
    assert list(reasons.columns) == ["p_backorder", "reason_1", "contribution_1", "reason_2",
                                     "contribution_2"]
    np.testing.assert_allclose(reasons["p_backorder"], fitted.predict_proba(X)[:, 1])
    assert (reasons["contribution_1"] >= reasons["contribution_2"]).all()
    # by hand for one SKU: its first reason set to the typical value
    names = list(fitted.features_.get_feature_names_out())
    row = reasons.iloc[0]
    Z = np.asarray(fitted.features_.transform(X.head(1)), dtype=float)
    Z[0, names.index(row["reason_1"])] = fitted.reference_[names.index(row["reason_1"])]
    typical = fitted.model_.predict_proba(Z)[0, 1]
    assert row["contribution_1"] == pytest.approx(row["p_backorder"] - typical)
    top = fitted.importances(X).index[:5]  # stock against sales leads (measured: the top 3)
    assert sum(name.startswith(("position_to_", "inv_to_", "national_inv")) for name in top) >= 2


def test_cv_may_be_a_splitter_and_the_tags_say_binary(sample):
    from sklearn.model_selection import StratifiedKFold

    X, y = small(sample, 300)
    by_splitter = BackorderRiskClassifier(max_iter=10, cv=StratifiedKFold(
        3, shuffle=True, random_state=0)).fit(X, y)
    by_number = BackorderRiskClassifier(max_iter=10, cv=3).fit(X, y)
    np.testing.assert_allclose(by_splitter.predict_proba(X), by_number.predict_proba(X))
    assert BackorderRiskClassifier().__sklearn_tags__().classifier_tags.multi_class is False


def test_default_fit_is_one_boosting_calibrated_on_held_out_rows(sample):
    """One boosting fit on 90 % of the rows (stratified), its sigmoid fitted on the
    other 10 %: the same as calibrating that boosting, frozen, on those rows."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import StratifiedShuffleSplit

    X, y = small(sample, 600)
    clf = BackorderRiskClassifier(max_iter=15).fit(X, y)
    assert len(clf.model_.calibrated_classifiers_) == 1
    Z = clf.features_.transform(X)
    y = np.asarray(y)
    train, held = next(StratifiedShuffleSplit(1, test_size=0.1, random_state=0).split(Z, y))
    assert len(held) == 60
    boost = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=15, max_leaf_nodes=31, min_samples_leaf=20,
        max_features=0.5, early_stopping=False, random_state=0).fit(Z[train], y[train])
    by_hand = CalibratedClassifierCV(FrozenEstimator(boost), method="sigmoid").fit(
        Z[held], y[held])
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], by_hand.predict_proba(Z)[:, 1],
                               rtol=1e-10)
