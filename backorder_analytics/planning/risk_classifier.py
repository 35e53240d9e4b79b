"""Backorder risk from SKU snapshots, learned: :class:`BackorderRiskClassifier`.

The simulation of :mod:`backorder_analytics.planning.risk` needs order and PO history. Many
planners have instead (or also) a weekly snapshot per SKU with stock, in-transit
quantity, forecasts, recent sales and supplier flags, and a record of which SKUs went
on backorder afterwards: the layout of the public Kaggle "Can you predict product
backorders?" data [1]_ (:data:`SNAPSHOT_COLUMNS`). This module reads such snapshots
(:func:`read_backorder_snapshots`), derives cover ratios from them
(:class:`BackorderFeatures`), fits a calibrated gradient-boosting classifier
(:class:`BackorderRiskClassifier`, a scikit-learn estimator) and builds the same
snapshot from a :class:`~backorder_analytics.Dataset` (:func:`snapshot_features`).

A model trained on the Kaggle data transfers to another business only roughly: its
forecasts, minimum banks and supplier scores were made by that company's systems,
and :func:`snapshot_features` can only approximate them from order history. Refit on
your own labelled snapshots when you have them.

References
----------
.. [1] de Santis, R. B., de Aguiar, E. P. and Goliatt, L. (2017). Predicting material
   backorders in inventory management using machine learning. *IEEE Latin American
   Conference on Computational Intelligence (LA-CCI)*. Data: Kaggle, "Can you predict
   product backorders?".
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError as _SklearnNotFitted
from sklearn.model_selection import PredefinedSplit, StratifiedKFold, StratifiedShuffleSplit
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..data.dataset import Dataset
from ..exceptions import DataError, NotFittedError
from ..leadtime.model import dataset_lead_times
from .state import inventory_state, reorder_points_of

__all__ = ["BackorderFeatures", "BackorderRiskClassifier", "read_backorder_snapshots",
           "snapshot_features", "SNAPSHOT_COLUMNS", "FLAG_COLUMNS", "SNAPSHOT_FLAGS"]

FLAG_COLUMNS = ("potential_issue", "deck_risk", "oe_constraint", "ppap_risk",
                "stop_auto_buy", "rev_stop")
"""Yes/No columns (also accepted: True/False, 1/0)."""
SNAPSHOT_COLUMNS = ("national_inv", "lead_time", "in_transit_qty", "forecast_3_month",
                    "forecast_6_month", "forecast_9_month", "sales_1_month", "sales_3_month",
                    "sales_6_month", "sales_9_month", "min_bank", "potential_issue",
                    "pieces_past_due", "perf_6_month_avg", "perf_12_month_avg",
                    "local_bo_qty", "deck_risk", "oe_constraint", "ppap_risk",
                    "stop_auto_buy", "rev_stop")
"""The snapshot columns, in the order a plain array must have them: ``national_inv``
(stock, net of backorders, may be negative) [units], ``lead_time`` [weeks; may be
missing], ``in_transit_qty`` [units], ``forecast_{3,6,9}_month`` and
``sales_{1,3,6,9}_month`` [units], ``min_bank`` (minimum recommended stock) [units],
``pieces_past_due`` (units overdue from the supplier), ``perf_{6,12}_month_avg``
(supplier on-time share; -99 means unknown), ``local_bo_qty`` (units on backorder) and
the :data:`FLAG_COLUMNS`."""
TARGET = "went_on_backorder"
SNAPSHOT_FLAGS = {"potential_issue": "No", "deck_risk": "No", "oe_constraint": "No",
                  "ppap_risk": "No", "stop_auto_buy": "Yes", "rev_stop": "No"}
"""Flags :func:`snapshot_features` cannot know from a Dataset: each set to its most
common value in the Kaggle sample (``stop_auto_buy`` is "Yes" on 96.6% of rows)."""
_YES = {"yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0,
        "1.0": 1.0, "0.0": 0.0}


class ClassifierNotFittedError(NotFittedError, _SklearnNotFitted):
    """Raised when a model is used before ``fit``: both the package's
    :class:`~backorder_analytics.NotFittedError` and scikit-learn's."""


BASE_RATE_CHECK_ROWS = 200
"""Fewest SKUs scored at once for the mean prediction to be checked against the base
rate (fewer: the mean is too noisy to tell)."""


def _check_fitted(est, attribute: str) -> None:
    try:
        check_is_fitted(est, attribute)
    except _SklearnNotFitted as err:
        raise ClassifierNotFittedError(
            f"This {type(est).__name__} instance is not fitted yet. Call 'fit' with "
            "labelled snapshots first.") from err


# ------------------------------------------------------------------------ reading


def read_backorder_snapshots(path: str | Path, target: str | None = TARGET
                             ) -> tuple[pd.DataFrame, pd.Series | None]:
    """Read SKU snapshots from a CSV file in the Kaggle backorder layout.

    Parameters
    ----------
    path : str or Path
        CSV with the :data:`SNAPSHOT_COLUMNS` (other columns, such as ``sku``, are
        kept in ``X``).
    target : str or None, default "went_on_backorder"
        Yes/No label column; None when the file has no labels.

    Returns
    -------
    X : pandas.DataFrame
        One row per snapshot, as read (rows with every snapshot column empty, such
        as the summary line at the end of the original Kaggle files, are dropped).
    y : pandas.Series of int or None
        1 where the SKU went on backorder, else 0.

    Raises
    ------
    DataError
        A snapshot column or the target is missing, or the target has values other
        than Yes/No.

    Examples
    --------
    >>> import io
    >>> text = ",".join(SNAPSHOT_COLUMNS + (TARGET,)) + "\\n" + ",".join(["1"] * 21 + ["Yes"])
    >>> X, y = read_backorder_snapshots(io.StringIO(text))
    >>> X.shape, y.tolist()
    ((1, 21), [1])
    """
    frame = pd.read_csv(path, low_memory=False)
    missing = [c for c in SNAPSHOT_COLUMNS if c not in frame.columns]
    if target is not None and target not in frame.columns:
        missing.append(target)
    if missing:
        raise DataError(f"{path}: no column {', '.join(map(repr, missing))}. Expected the "
                        f"snapshot columns {list(SNAPSHOT_COLUMNS)} and the label "
                        f"{target!r}; found {list(frame.columns)}. Fix: rename the columns, "
                        "or pass target=None for a file without labels.")
    frame = frame[frame[list(SNAPSHOT_COLUMNS)].notna().any(axis=1)].reset_index(drop=True)
    if target is None:
        return frame, None
    label = frame.pop(target).astype(str).str.strip().str.lower().map(_YES)
    if label.isna().any():
        bad = frame.index[label.isna()][:5].tolist()
        raise DataError(f"{path}: column {target!r} must be Yes or No; rows {bad} are not. "
                        "Fix: correct or drop them.")
    return frame, label.astype(int).rename(target)


# ----------------------------------------------------------------------- features


def _clean(X: Any) -> pd.DataFrame:
    """The snapshot columns as floats: flags 1/0, ``perf_*`` −99 → NaN. ``X``: a
    DataFrame, a 2-D array or a SciPy sparse matrix (made dense: 21 columns), or
    anything with ``to_pandas()`` (an Arrow table, a polars frame)."""
    if hasattr(X, "to_pandas") and not isinstance(X, pd.DataFrame):
        X = X.to_pandas()
    if hasattr(X, "toarray"):  # scipy.sparse
        X = X.toarray()
    if not isinstance(X, pd.DataFrame):
        arr = np.asarray(X, dtype=object)
        if arr.ndim != 2 or arr.shape[1] != len(SNAPSHOT_COLUMNS):
            raise ValueError(f"X must be a DataFrame with the snapshot columns or a 2-D array "
                             f"with {len(SNAPSHOT_COLUMNS)} columns in SNAPSHOT_COLUMNS order. "
                             f"Got shape {arr.shape} instead.")
        X = pd.DataFrame(arr, columns=list(SNAPSHOT_COLUMNS))
    missing = [c for c in SNAPSHOT_COLUMNS if c not in X.columns]
    if missing:
        raise DataError(f"X has no column {', '.join(map(repr, missing))}; the snapshot "
                        f"columns are {list(SNAPSHOT_COLUMNS)}. Found {list(X.columns)}.")
    out = pd.DataFrame(index=X.index)
    for col in SNAPSHOT_COLUMNS:
        v = X[col]
        if col in FLAG_COLUMNS:
            num = v.astype(str).str.strip().str.lower().map(_YES)
            bad = num.isna() & v.notna()
        else:
            num = pd.to_numeric(v, errors="coerce")
            bad = num.isna() & v.notna()
        if bad.any():
            raise DataError(f"X[{col!r}] must be {'Yes/No' if col in FLAG_COLUMNS else 'numeric'}"
                            f"; got {v[bad].iloc[0]!r} (row {bad.idxmax()!r}).")
        out[col] = num.astype(float)
    for col in ("perf_6_month_avg", "perf_12_month_avg"):
        out.loc[out[col] < 0, col] = np.nan
    return out


def _ratios(c: pd.DataFrame) -> dict[str, pd.Series]:
    inv, transit, f3 = c["national_inv"], c["in_transit_qty"], c["forecast_3_month"]
    pos = inv + transit
    weekly = f3 / 13.0  # 3 months ≈ 13 weeks
    return {
        "inv_to_forecast_3": inv / (f3 + 1),
        "position_to_forecast_3": pos / (f3 + 1),
        "position_minus_forecast_3": pos - f3,
        "inv_to_forecast_9": inv / (c["forecast_9_month"] + 1),
        "inv_to_sales_1": inv / (c["sales_1_month"] + 1),
        "inv_to_monthly_sales_3": inv / (c["sales_3_month"] / 3 + 1),
        "position_to_sales_1": pos / (c["sales_1_month"] + 1),
        "position_to_monthly_sales_6": pos / (c["sales_6_month"] / 6 + 1),
        "transit_to_forecast_3": transit / (f3 + 1),
        "past_due_to_forecast_3": c["pieces_past_due"] / (f3 + 1),
        "past_due_share": c["pieces_past_due"] / (c["pieces_past_due"] + transit + 1),
        "min_bank_gap": inv - c["min_bank"],
        "inv_to_min_bank": inv / (c["min_bank"] + 1),
        "sales_trend": 3 * c["sales_1_month"] / (c["sales_3_month"] + 1),
        "forecast_to_sales_3": f3 / (c["sales_3_month"] + 1),
        "lead_time_gap": pos - weekly * c["lead_time"],  # NaN without a lead time
        "perf_change": c["perf_6_month_avg"] - c["perf_12_month_avg"],
        "backorder_to_forecast_3": c["local_bo_qty"] / (f3 + 1),
        "no_stock": (inv <= 0).astype(float),
    }


class BackorderFeatures(TransformerMixin, BaseEstimator):
    """Snapshot columns → model features: cleaned columns plus cover ratios.

    Flags become 1/0, ``perf_*`` values below 0 (-99 = unknown) become NaN and a
    missing ``lead_time`` stays NaN (gradient boosting handles NaN). With
    ``ratios=True`` these are added (``+ 1`` in each denominator keeps zero forecasts
    finite): stock and stock + in transit over the 3- and 9-month forecasts and over
    recent monthly sales (cover ratios), position minus the 3-month forecast,
    in transit over forecast, past-due units over forecast and as a share of supply,
    the gap to ``min_bank``, the sales trend (last month vs the 3-month mean), forecast
    over sales, position minus lead-time demand (``forecast_3_month / 13`` per week ×
    ``lead_time`` weeks), the change in supplier performance, backorders over forecast
    and a no-stock flag.

    Parameters
    ----------
    ratios : bool, default True
        Add the derived features.

    Examples
    --------
    >>> import pandas as pd
    >>> row = dict.fromkeys(SNAPSHOT_COLUMNS, 0) | dict.fromkeys(FLAG_COLUMNS, "No")
    >>> X = pd.DataFrame([row | {"national_inv": 10, "forecast_3_month": 4}])
    >>> f = BackorderFeatures().fit(X)
    >>> float(dict(zip(f.get_feature_names_out(), f.transform(X)[0]))["inv_to_forecast_3"])
    2.0
    """

    def __init__(self, ratios: bool = True):
        self.ratios = ratios

    def fit(self, X, y=None):
        """Check the columns; learn ``feature_names_out_``; return ``self``."""
        cleaned = _clean(X)
        self.n_features_in_ = np.shape(X)[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        names = list(cleaned.columns) + (list(_ratios(cleaned)) if self.ratios else [])
        self.feature_names_out_ = np.asarray(names, dtype=object)
        return self

    def transform(self, X) -> np.ndarray:
        """Features, shape ``(n_rows, len(feature_names_out_))``, float."""
        _check_fitted(self, "feature_names_out_")
        cleaned = _clean(X)
        if self.ratios:
            cleaned = cleaned.assign(**_ratios(cleaned))
        with np.errstate(invalid="ignore"):
            return cleaned.to_numpy(float)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        _check_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


# --------------------------------------------------------------------- classifier

CALIBRATIONS = ("isotonic", "sigmoid", None)


class BackorderRiskClassifier(ClassifierMixin, BaseEstimator):
    """P(a SKU goes on backorder) from its snapshot: gradient boosting, calibrated.

    :class:`BackorderFeatures` turns the snapshot columns into features; a
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier` learns from them;
    :class:`~sklearn.calibration.CalibratedClassifierCV` maps its scores to
    probabilities (Platt/sigmoid or isotonic regression on rows the boosting did not
    see): by default one boosting fit on a stratified ``1 − calibration_size`` of the
    rows and its calibration on the rest; with ``cv`` folds, one calibrated model per
    fold, averaged (five times the work for a small gain, see ``cv``). A
    scikit-learn estimator: works in a :class:`~sklearn.pipeline.Pipeline`, with
    ``clone`` and grid search.

    Class imbalance (backorders are 0.7% of the full Kaggle data, 11.9% of the
    sample): ``class_weight="balanced"`` weights the rare class up in the boosting,
    and the calibration then maps the inflated scores back to probabilities. On the
    training part of the Kaggle sample (5-fold cross-validation, sigmoid calibration)
    it did not help: ROC-AUC 0.951 / PR-AUC 0.751 against 0.952 / 0.748 without, at
    twice the fitting time, so the default is None; try it on rarer labels.

    Parameters
    ----------
    features : bool, default True
        Add the derived features of :class:`BackorderFeatures` (``ratios``).
    class_weight : "balanced", dict or None, default None
        Passed to the gradient boosting.
    calibration : {"isotonic", "sigmoid", None}, default "sigmoid"
        None: the boosting's own probabilities. Sigmoid is monotone, so it keeps the
        ranking (ROC-AUC) of the fold models; isotonic makes ties (cross-validated
        ROC-AUC 0.951 against 0.952 for sigmoid, Brier score 0.0503 against 0.0501).
    cv : int, cross-validation splitter or None, default None
        None: one held-out calibration (``calibration_size``). Otherwise the folds of a
        cross-validated calibration: a number (>= 2; stratified, shuffled with
        ``random_state``) or a splitter such as
        :class:`~sklearn.model_selection.StratifiedKFold`. On the training part of the
        Kaggle sample (two splits, 25 % tested), ``cv=5`` reached ROC-AUC 0.949 /
        0.956 and PR-AUC 0.759 / 0.770 on the test part, against 0.947 / 0.952 and
        0.749 / 0.755 held out, at about 4.5 times the CPU time.
    calibration_size : float, default 0.1
        Share of the rows held out for the calibration when ``cv`` is None, in (0, 1)
        (a sigmoid has two parameters: 10 % of the sample, 1,400 rows, fit it well; on
        the same splits 0.2 lost 0.002–0.003 of ROC-AUC, 0.3 more).
    n_threads : int or None, default 1
        OpenMP threads of the boosting while fitting and predicting, set for the whole
        call (None: scikit-learn's default, every core). On 20,000 rows and the 2 cores
        of our CI machine, one thread fits in 1.7 s of CPU, two take 6.7 s of CPU and
        5.6 s of wall clock: at this size threads cost more than they save. Raise it
        for hundreds of thousands of rows on a machine of your own.
    learning_rate, max_iter, max_leaf_nodes, min_samples_leaf, max_features, l2_regularization
        Passed to the gradient boosting (defaults chosen by 5-fold cross-validation
        on the training part of the Kaggle sample: 0.05, 300, 31, 20, 0.5, 0.0).
    threshold : float, default 0.5
        ``predict`` gives the positive class where the probability is >= this.
    base_rate : float, optional
        The share of the population scored that goes on backorder, when it differs
        from the training labels' (an enriched sample such as the Kaggle one, 11.9 %
        positives, against 0.7 % in the full data): the probabilities are corrected for
        the change in prior (Saerens, Latinne & Decaestecker 2002), their odds
        multiplied by ``(π / (1 − π)) / (ρ / (1 − ρ))`` with π this rate and ρ the
        training share. ``predict_proba`` warns when the mean prediction on a
        population of at least :data:`BASE_RATE_CHECK_ROWS` rows is more than 20 %
        away from it (the population differs in more than its prior).
    random_state : int, default 0

    Attributes
    ----------
    classes_ : numpy.ndarray
        The two labels, sorted; the second is the positive class ("went on
        backorder": 1, True or "Yes").
    features_ : BackorderFeatures
    model_ : estimator
        The fitted calibrated (or plain) classifier.
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray
        When fitted on a DataFrame.
    train_rate_ : float
        Share of positives in the training labels (weighted), ρ above.
    reference_ : numpy.ndarray
        Median of each model feature in the training data: the "typical SKU" that
        :meth:`explain` compares a SKU with.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.integers(0, 50, (400, 21)), columns=SNAPSHOT_COLUMNS)
    >>> X[list(FLAG_COLUMNS)] = "No"
    >>> y = (X["national_inv"] < 10).astype(int)
    >>> clf = BackorderRiskClassifier(max_iter=20).fit(X, y)
    >>> clf.predict_proba(X.head(2)).shape, clf.classes_.tolist()
    ((2, 2), [0, 1])
    """

    def __init__(self, *, features: bool = True, class_weight: Any = None,
                 calibration: str | None = "sigmoid", cv: Any = None,
                 calibration_size: float = 0.1, n_threads: int | None = 1,
                 learning_rate: float = 0.05, max_iter: int = 300, max_leaf_nodes: int = 31,
                 min_samples_leaf: int = 20, max_features: float = 0.5,
                 l2_regularization: float = 0.0, threshold: float = 0.5,
                 base_rate: float | None = None, random_state: int | None = 0):
        self.features = features
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.calibration_size = calibration_size
        self.n_threads = n_threads
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.l2_regularization = l2_regularization
        self.threshold = threshold
        self.base_rate = base_rate
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"The 'calibration' parameter must be one of {CALIBRATIONS}. "
                             f"Got {self.calibration!r} instead.")
        splitter = hasattr(self.cv, "split") and hasattr(self.cv, "get_n_splits")
        if self.cv is not None and not splitter and (isinstance(self.cv, bool) or not isinstance(
                self.cv, int | np.integer) or self.cv < 2):
            raise ValueError(f"The 'cv' parameter must be None, an integer >= 2 or a "
                             f"cross-validation splitter (e.g. StratifiedKFold). Got "
                             f"{self.cv!r} instead.")
        if self.n_threads is not None and (isinstance(self.n_threads, bool) or not isinstance(
                self.n_threads, int | np.integer) or self.n_threads < 1):
            raise ValueError(f"The 'n_threads' parameter must be an integer >= 1 or None. "
                             f"Got {self.n_threads!r} instead.")
        if not 0 < self.calibration_size < 1:
            raise ValueError(f"The 'calibration_size' parameter must lie in (0, 1). Got "
                             f"{self.calibration_size!r} instead.")
        if not 0 < self.threshold < 1:
            raise ValueError(f"The 'threshold' parameter must lie in (0, 1). Got "
                             f"{self.threshold!r} instead.")
        if self.base_rate is not None and not 0 < self.base_rate < 1:
            raise ValueError(f"The 'base_rate' parameter must lie in (0, 1) or be None. Got "
                             f"{self.base_rate!r} instead.")

    def fit(self, X, y, sample_weight=None):
        """Learn from snapshots ``X`` and labels ``y`` (two classes); return ``self``."""
        self._check_params()
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must be 1-D with one label per row of X ({len(X)}). Got "
                             f"shape {y.shape} instead.")
        if pd.isna(y).any():
            raise ValueError("y has missing labels. Fix: drop those rows.")
        classes, y_enc = np.unique(y, return_inverse=True)
        if len(classes) != 2:
            raise ValueError(f"y must have exactly two classes (went on backorder or not). "
                             f"Got {len(classes)}: {list(classes)[:5]}.")
        self.features_ = BackorderFeatures(ratios=self.features).fit(X)
        Z = self.features_.transform(X)
        boost = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate, max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features, l2_regularization=self.l2_regularization,
            class_weight=self.class_weight, early_stopping=False,
            random_state=self.random_state)
        if self.calibration is None:
            model = boost
        else:
            model = CalibratedClassifierCV(boost, method=self.calibration,
                                           cv=self._calibration_folds(y_enc))
        with threadpool_limits(self.n_threads, user_api="openmp"):
            self.model_ = model.fit(Z, y_enc, sample_weight=sample_weight)
        self.train_rate_ = float(np.average(y_enc, weights=sample_weight))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing feature
            self.reference_ = np.nanmedian(np.asarray(Z, dtype=float), axis=0)
        self.classes_ = classes
        self.n_features_in_ = self.features_.n_features_in_
        if hasattr(self.features_, "feature_names_in_"):
            self.feature_names_in_ = self.features_.feature_names_in_
        return self

    def _calibration_folds(self, y_enc: np.ndarray):
        """The splitter of the calibration: ``cv``'s folds, or one stratified split
        holding out ``calibration_size`` of the rows (one boosting fit)."""
        if hasattr(self.cv, "split"):
            return self.cv
        if self.cv is not None:
            return StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        split = StratifiedShuffleSplit(n_splits=1, test_size=self.calibration_size,
                                       random_state=self.random_state)
        _, held_out = next(split.split(np.zeros(len(y_enc)), y_enc))
        fold = np.full(len(y_enc), -1)
        fold[held_out] = 0
        return PredefinedSplit(fold)

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities, shape ``(n, 2)``: column 1 is P(went on backorder), for the
        population's ``base_rate`` when one is given."""
        _check_fitted(self, "model_")
        p = self._positive(self.features_.transform(X))
        if self.base_rate is not None and len(p) >= BASE_RATE_CHECK_ROWS \
                and abs(p.mean() - self.base_rate) > 0.2 * self.base_rate:
            warnings.warn(f"The mean P(backorder) over these {len(p):,} SKUs is "
                          f"{p.mean():.2%}, against the base rate of {self.base_rate:.2%} "
                          "given: they differ from the training data in more than the "
                          "share that goes on backorder. Retrain on labelled snapshots of "
                          "this population, or check the base rate.", UserWarning,
                          stacklevel=2)
        return np.column_stack([1 - p, p])

    def _positive(self, Z) -> np.ndarray:
        """P(positive) for model features ``Z``, corrected to ``base_rate``."""
        with threadpool_limits(self.n_threads, user_api="openmp"):
            p = self.model_.predict_proba(Z)[:, 1]
        if self.base_rate is None:
            return p
        rho, pi = self.train_rate_, self.base_rate
        odds = p / np.maximum(1 - p, 1e-12) * (pi / (1 - pi)) / (rho / (1 - rho))
        return odds / (1 + odds)

    def explain(self, X, top: int = 3) -> pd.DataFrame:
        """Why each SKU's risk is what it is: the features that raise it most.

        A feature's contribution is P(backorder) minus P(backorder) with that feature
        set to its training median (:attr:`reference_`, a typical SKU), the others
        kept [probability]; positive when the SKU's value raises the risk.

        Returns
        -------
        pandas.DataFrame
            Index of ``X``: ``p_backorder``, then ``reason_1`` … ``reason_<top>`` (the
            features raising it most) and ``contribution_1`` … .
        """
        _check_fitted(self, "model_")
        contributions, p = self._contributions(X)
        names = np.asarray(self.features_.get_feature_names_out(), dtype=object)
        order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
        rows = np.arange(len(p))[:, None]
        out = {"p_backorder": p}
        for k in range(order.shape[1]):
            out[f"reason_{k + 1}"] = names[order[:, k]]
            out[f"contribution_{k + 1}"] = contributions[rows[:, 0], order[:, k]]
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(out, index=index)

    def importances(self, X) -> pd.Series:
        """Global importance of each feature over the SKUs ``X``: the mean absolute
        contribution (see :meth:`explain`) [probability], largest first."""
        _check_fitted(self, "model_")
        contributions, _ = self._contributions(X)
        names = self.features_.get_feature_names_out()
        return pd.Series(np.abs(contributions).mean(axis=0), index=names,
                         name="importance").sort_values(ascending=False, kind="stable")

    def _contributions(self, X) -> tuple[np.ndarray, np.ndarray]:
        Z = np.asarray(self.features_.transform(X), dtype=float)
        p = self._positive(Z)
        out = np.empty(Z.shape)
        for j in range(Z.shape[1]):
            typical = Z.copy()
            typical[:, j] = self.reference_[j]
            out[:, j] = p - self._positive(typical)
        return out, p

    def predict(self, X) -> np.ndarray:
        """The positive class where P >= ``threshold``, else the negative one."""
        positive = self.predict_proba(X)[:, 1] >= self.threshold
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False  # went on backorder or not
        return tags


# ------------------------------------------------------------- from a Dataset


def snapshot_features(ds: Dataset, as_of: Any = None, *, lead_times=None,
                      reorder_points=None, allocation: str = "fifo") -> pd.DataFrame:
    """The Kaggle snapshot columns of every SKU of a Dataset at ``as_of``.

    So that a :class:`BackorderRiskClassifier` trained on snapshots can score a
    user's SKUs. How each column is made (approximations of the original's):

    ========================  =============================================================
    ``national_inv``          on hand − backordered now [units] (net stock; the Kaggle
                              column goes negative, so it is net of backorders)
    ``lead_time``             median lead time of the SKU's supplier [weeks]
                              (:func:`~backorder_analytics.fit_lead_times` by supplier)
    ``in_transit_qty``        units on open POs
    ``forecast_k_month``      mean daily demand of the last 182 days × the days of the
                              next k months (k · 365.25 / 12)
    ``sales_k_month``         units ordered in the last k calendar months
    ``min_bank``              the reorder point ``r`` of ``reorder_points``, else 0
    ``pieces_past_due``       units of open POs past their ``expected_date``
    ``perf_k_month_avg``      share of the supplier's POs received in the last k months
                              by their expected day (NaN: none received)
    ``local_bo_qty``          units backordered now
    flags                     :data:`SNAPSHOT_FLAGS`
    ========================  =============================================================

    Parameters
    ----------
    ds : Dataset
    as_of : date-like, optional
        Default ``ds.as_of`` (a date means the end of that day).
    lead_times : LeadTimeModel, optional
        Default fitted by supplier up to ``as_of``.
    reorder_points : pandas.DataFrame or mapping, optional
        As in :func:`~backorder_analytics.planning.risk.backorder_risk`.
    allocation : {"fifo", "priority"}, default "fifo"
        Replay rule for the state at ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``sku`` then the :data:`SNAPSHOT_COLUMNS`, one row per SKU.

    Examples
    --------
    >>> from backorder_analytics import example_dataset
    >>> snap = snapshot_features(example_dataset(seed=0), allocation="priority")
    >>> snap.shape
    (60, 22)
    """
    as_of = ds.moment(as_of)
    state = inventory_state(ds, as_of, allocation)
    skus = state.index
    out = pd.DataFrame({"sku": skus})
    out["national_inv"] = (state["on_hand"] - state["backordered_now"]).to_numpy()
    po = ds.purchase_orders[ds.purchase_orders["order_date"] <= as_of]
    supplier = state["supplier_id"]
    lt = lead_times
    if lt is None and "received_date" in po and (po["received_date"] <= as_of).sum() >= 2:
        lt = dataset_lead_times(ds, as_of)
    if lt is not None:

        p50 = {s: float(lt.distribution(lt.group_of(s, p)).ppf(0.5))
               for s, p in zip(skus, supplier, strict=True)}
        out["lead_time"] = [p50[s] / 7.0 for s in skus]
    else:
        out["lead_time"] = np.nan
    out["in_transit_qty"] = state["on_order"].to_numpy()
    orders = ds.orders[ds.orders["order_date"] <= as_of]
    recent = orders[orders["order_date"] > as_of - pd.Timedelta(days=182)]
    rate = recent.groupby("sku")["quantity"].sum().reindex(skus, fill_value=0) / 182.0
    for k in (3, 6, 9):
        out[f"forecast_{k}_month"] = (rate * k * 365.25 / 12).to_numpy()
    for k in (1, 3, 6, 9):
        since = orders[orders["order_date"] > as_of - pd.DateOffset(months=k)]
        out[f"sales_{k}_month"] = since.groupby("sku")["quantity"].sum().reindex(
            skus, fill_value=0).to_numpy()
    out["min_bank"] = np.nan_to_num(reorder_points_of(reorder_points, skus)[0], neginf=0.0)
    open_po = ds.purchase_orders_open_at(as_of)
    late = (open_po[open_po["expected_date"] < as_of] if "expected_date" in open_po
            else open_po.iloc[:0])
    out["pieces_past_due"] = late.groupby("sku")["quantity"].sum().reindex(
        skus, fill_value=0).to_numpy()
    for k in (6, 12):
        out[f"perf_{k}_month_avg"] = _on_time_share(po, as_of, k).reindex(
            supplier.to_numpy()).to_numpy(float) if "supplier_id" in po else np.nan
    out["local_bo_qty"] = state["backordered_now"].to_numpy()
    for flag, value in SNAPSHOT_FLAGS.items():
        out[flag] = value
    return out[["sku", *SNAPSHOT_COLUMNS]]


def _on_time_share(po: pd.DataFrame, as_of: pd.Timestamp, months: int) -> pd.Series:
    """Per supplier: share of POs received in the last ``months`` by their expected day."""
    if "expected_date" not in po or "received_date" not in po:
        return pd.Series(dtype=float)
    got = po[(po["received_date"] <= as_of)
             & (po["received_date"] > as_of - pd.DateOffset(months=months))]
    on_time = got["received_date"].dt.normalize() <= got["expected_date"].dt.normalize()
    return on_time.groupby(got["supplier_id"]).mean()
