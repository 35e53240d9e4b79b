"""Lead-time estimation from purchase orders, open POs as right-censored.

A PO's lead time is ``received_date − order_date`` in days (float). A PO not received
by ``as_of`` (no ``received_date``, or one after ``as_of``) is *open*: all we know is
that its lead time exceeds ``as_of − order_date``, a right-censored observation.
Ignoring open POs biases lead times low, because the slow POs are the ones still open;
:func:`fit_lead_times` keeps them, as survival analysis does:

* an empirical curve per group, the Kaplan–Meier estimate [1]_;
* gamma, lognormal and Weibull fits by censored maximum likelihood [2]_, one chosen per
  group by AIC;
* partial pooling of groups with few POs toward their siblings (the SKUs of one
  supplier, or all suppliers), on the log scale where suppliers are comparable: the
  mean and the spread of each group's log lead time are shrunk as in the hierarchical
  normal model [3]_ [4]_, each only as far as the group's own data cannot tell it apart
  from the others (:mod:`~backorder_analytics.leadtime.pooling`);
* supplier lateness, ``received_date − expected_date``, with open POs censored too.

Pooling replaced a mixture ``w · own + (1 − w) · all POs`` (``w = n / (n + 10)``),
which lent a fast supplier with 20 POs the tail of the slow ones: two months into the
example data its p90 came out 78–129% high (``benchmarks/leadtime_shrinkage.py``).

References
----------
.. [1] Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
   observations. *Journal of the American Statistical Association* 53(282), 457–481.
.. [2] Klein, J. P. and Moeschberger, M. L. (2003). *Survival Analysis: Techniques for
   Censored and Truncated Data*, 2nd ed., Springer, sections 3.5 and 12.2.
.. [3] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A. and Rubin,
   D. B. (2013). *Bayesian Data Analysis*, 3rd ed., CRC Press, chapter 5 (section 5.4:
   the normal model with known variances, equations 5.17–5.20).
.. [4] Efron, B. and Morris, C. (1975). Data analysis using Stein's estimator and its
   generalizations. *Journal of the American Statistical Association* 70(350), 311–319.
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator

from ..exceptions import DataError, NotFittedError
from .pooling import from_log_moments, log_moments, shrink
from .survival import FAMILIES, fit_censored, kaplan_meier, km_quantile, km_survival_at

__all__ = ["DISTRIBUTIONS", "LeadTimeModel", "fit_lead_times", "dataset_lead_times"]

DISTRIBUTIONS = ("gamma", "lognorm", "weibull_min")
"""Candidate families (scipy.stats names); each has a shape and a scale, location 0."""

MIN_LEAD_TIME = 0.5
"""Floor [days] applied to received lead times in the parametric fits only. Dates are
often recorded by day, so a same-day receipt (lead time 0) means "within [0, 1) day"; 0
itself has zero density under a lognormal and breaks the likelihood. The Kaplan–Meier
curve, the completed-only figures and lateness use the durations as recorded."""

DAY = pd.Timedelta(days=1)
ALL = "all"
UNKNOWN = "<unknown>"
"""Group label of an unknown supplier (see :meth:`LeadTimeModel.group_of`)."""


def fit_lead_times(
    purchase_orders: pd.DataFrame,
    by: Sequence[str] = ("supplier_id",),
    as_of: Any = None,
    distributions: Sequence[str] = DISTRIBUTIONS,
    min_pos: int = 3,
    shrinkage: float = 1.0,
    window_days: float | None = None,
    shrink_below: int = 30,
    *,
    client: Any = None,
    n_partitions: int | None = None,
) -> LeadTimeModel:
    """Fit lead-time distributions per group from purchase orders, open POs censored.

    Lead time is ``received_date − order_date`` [days, float]. A PO with no
    ``received_date``, or received after ``as_of``, is open: right-censored at
    ``as_of − order_date``. POs ordered after ``as_of`` are ignored (they did not exist
    yet), so passing an earlier ``as_of`` replays what was known on that date.

    Per group the function estimates (see :class:`LeadTimeModel` for the results):

    * the Kaplan–Meier survival curve [1]_ of the lead times;
    * each candidate family by censored maximum likelihood [2]_: ``sum log f(t_i)`` over
      received POs plus ``sum log S(c_j)`` over open ones, location fixed at 0; received
      lead times below :data:`MIN_LEAD_TIME` (half a day) are set to it in these fits;
    * the family with the lowest AIC ``= 2k − 2 log L`` (every candidate has ``k = 2``
      parameters, so this is the highest likelihood);
    * partial pooling of groups with few POs (``n < shrink_below`` received), on the
      log scale where groups are comparable. The chosen fit is summarised by the mean
      ``m = E[log T]`` and the log standard deviation ``ℓ = log SD[log T]`` of log lead
      time (closed forms per family). Each of the two is pooled with the hierarchical
      normal model [3]_ [4]_ (the group's true value drawn around its parent's mean
      with between-group variance ``τ²``, its own estimate measured with sampling
      variance ``v``): the posterior mean ``w · own + (1 − w) · μ`` with
      ``w = τ² / (τ² + shrinkage · v)``. ``v`` is ``1 / (2 (n − 1))`` for ``ℓ`` and
      ``sd² / n`` for ``m``, at the pooled sd (three POs that happen to agree do not
      make a precise mean); ``n`` counts received POs, so open POs inform the group
      only through its censored fit. ``μ`` (the precision-weighted mean over the
      parent's groups) and ``τ²`` are estimated from the groups, by the
      DerSimonian–Laird moment estimator [5]_ (one ``τ²`` per level, one ``μ`` per
      parent). So a group moves toward the others only as far as its own data cannot
      tell it apart from them: a fast supplier with 20 POs next to slow ones keeps its
      own location and narrow spread, one with 3 POs among similar groups is pulled
      most of the way. The result is the group's own family with the pooled ``m`` and
      ``ℓ``; ``weight`` and ``weight_scale`` in the summary are the own shares ``w``.
      Groups with ``shrink_below`` received POs or more stand on their own, but still
      inform ``μ`` and ``τ²``. The groups pooled together are the SKUs of one supplier
      for SKU groups (the supplier of most of its POs when ``by=("sku",)``), all groups
      otherwise. A group with fewer than ``min_pos`` received POs has no own fit and
      uses its parent's distribution: its supplier's (itself pooled among the
      suppliers) for a SKU group, that of all POs otherwise (``note`` in the summary
      says so), as does a group absent from the data;
    * lateness ``received_date − expected_date`` [days] where ``expected_date`` is
      known. Open POs are right-censored at ``as_of − expected_date``, so an open PO
      already past its promised date counts as late. ``share_late`` = P(lateness > 0)
      and ``lateness_p50``/``lateness_p90`` come from the Kaplan–Meier curve of
      lateness; ``lateness_mean`` is over received POs only.

    Parameters
    ----------
    purchase_orders : pandas.DataFrame
        The canonical ``purchase_orders`` table; needs ``order_date``,
        ``received_date`` (NaT while open) and the ``by`` columns; ``expected_date``
        is used for lateness when present.
    by : sequence of str, default ("supplier_id",)
        Grouping columns, e.g. ``("sku",)`` or ``("supplier_id", "sku")``; ``()`` fits
        one group called ``"all"``.
    as_of : date-like, optional
        "Today". Default: the latest ``order_date`` or ``received_date`` in the table.
    distributions : sequence of str, default ("gamma", "lognorm", "weibull_min")
        Candidate families, scipy.stats names.
    min_pos : int, default 3
        Fewest received POs for a group to get its own fit (at least 2).
    shrinkage : float, default 1
        Strength of the pooling: multiplies each group's sampling variance ``v`` in the
        weights. 1 gives the empirical-Bayes posterior mean, 0 turns pooling off
        (every group with its own fit keeps it), larger values pool more, as if each
        group had ``n / shrinkage`` POs. (Until issue 11 this was ``k`` in a mixture
        weight ``n / (n + k)``, default 10.)
    shrink_below : int, default 30
        Groups with at least this many received POs are not pooled.
    window_days : float, optional
        Use only POs ordered in the ``window_days`` days up to ``as_of``
        (``as_of − window_days < order_date <= as_of``): the estimate then describes
        recently placed POs, for suppliers whose lead times drift. Default: all.
    client : distributed.Client, str, "local" or "synchronous", optional
        Fit on a Dask cluster with the numbers of one process
        (:mod:`backorder_analytics.distributed.leadtime`): a client, a scheduler
        address, or "local" for a cluster on this machine for the call. The groups
        are split into partitions (a hash of the group's label) and each group's own
        fits (Kaplan–Meier, the censored likelihood of every family, lateness) are
        made on a worker; the fit of all POs and the pooling, which use every group,
        are made on the driver. Needs the ``dask`` extra. Default: in this process.
    n_partitions : int, optional
        With ``client``: partitions of the groups (default 4 per worker thread).

    Returns
    -------
    LeadTimeModel

    Raises
    ------
    DataError
        Missing columns, missing dates, receipts before orders, or no received PO.
    ValueError
        An unknown family or a bad ``min_pos`` / ``shrinkage`` / ``window_days``.

    References
    ----------
    .. [1] Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
       observations. *Journal of the American Statistical Association* 53(282), 457–481.
    .. [2] Klein, J. P. and Moeschberger, M. L. (2003). *Survival Analysis: Techniques
       for Censored and Truncated Data*, 2nd ed., Springer, sections 3.5 and 12.2.
    .. [3] Gelman, A. et al. (2013). *Bayesian Data Analysis*, 3rd ed., CRC Press,
       section 5.4 (equations 5.17–5.20).
    .. [4] Efron, B. and Morris, C. (1975). Data analysis using Stein's estimator and its
       generalizations. *Journal of the American Statistical Association* 70(350),
       311–319.
    .. [5] DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials.
       *Controlled Clinical Trials* 7(3), 177–188.

    Examples
    --------
    >>> from backorder_analytics.data.example import example_dataset
    >>> from backorder_analytics.leadtime.model import fit_lead_times
    >>> ds = example_dataset(seed=0)
    >>> lt = fit_lead_times(ds.purchase_orders, as_of=ds.as_of)
    >>> lt
    LeadTimeModel: 5 groups by supplier_id, fitted with 1,908 POs, 30 right-censored (open)
    >>> lt.summary.loc["SUP-E", "distribution"]
    'lognorm'
    >>> lt.quantile([0.5, 0.9], group="SUP-C").round(1)
    array([19.4, 28.5])
    >>> lt.sample(3, group="SUP-A", rng=0).shape
    (3,)
    """
    model = LeadTimeModel(by=by, as_of=as_of, distributions=distributions, min_pos=min_pos,
                          shrinkage=shrinkage, window_days=window_days,
                          shrink_below=shrink_below)
    if client is not None:
        model._check_parameters()  # before a cluster is started
        # imported here: dask is an optional dependency
        from ..distributed.engine import DaskEngine
        from ..distributed.leadtime import fit_lead_times_partitioned

        with DaskEngine(client, n_partitions) as engine:
            return fit_lead_times_partitioned(engine, model, purchase_orders)
    return model.fit(purchase_orders)


def dataset_lead_times(ds, as_of: Any = None) -> LeadTimeModel:
    """The lead-time model every step uses by default: a dataset's POs by supplier.

    A PO without ``supplier_id`` takes its SKU's supplier (``Dataset.suppliers``: the
    item master's, else the one on most of the SKU's POs); when some PO still has
    none, or the table has no supplier column, one distribution is fitted for all POs
    (``by=()``).

    Parameters
    ----------
    ds : Dataset
    as_of : date-like, optional
        Default ``ds.as_of``.

    Examples
    --------
    >>> from backorder_analytics import example_dataset
    >>> dataset_lead_times(example_dataset(seed=0)).by
    ('supplier_id',)
    """
    po = ds.purchase_orders
    as_of = ds.as_of if as_of is None else as_of
    if "supplier_id" in po:
        supplier = po["supplier_id"].fillna(po["sku"].map(ds.suppliers))
        if supplier.notna().all():
            return fit_lead_times(po.assign(supplier_id=supplier), as_of=as_of)
    return fit_lead_times(po, by=(), as_of=as_of)


class LeadTimeModel(BaseEstimator):
    """Lead-time distributions per group, fitted with open POs as right-censored.

    Build with :func:`fit_lead_times` (or ``LeadTimeModel(...).fit(purchase_orders)``);
    the parameters are those of :func:`fit_lead_times`.

    Attributes
    ----------
    groups_ : list
        Group labels: the ``by`` value, a tuple for several columns, ``"all"`` for
        ``by=()``.
    summary : pandas.DataFrame
        One row per group: ``n_pos``, ``n_received``, ``n_open``, ``distribution``
        (chosen family), ``params`` (of its own fit), ``aic_<family>``, ``weight`` and
        ``weight_scale`` (the own shares of the mean and of the log standard deviation
        of log lead time after pooling: 1 not pooled, 0 the parent's distribution),
        ``mean``, ``p50``, ``p90``, ``p95`` [days] of the group's distribution (after
        pooling), ``fit_p50``/``fit_p90`` of its own chosen fit,
        ``km_p50``/``km_p90`` (Kaplan–Meier; NaN where censoring hides them),
        ``completed_p90`` (received POs only, for comparison), ``lateness_n``,
        ``lateness_mean``, ``lateness_p50``, ``lateness_p90`` [days], ``share_late``
        and ``note``.
    as_of_ : pandas.Timestamp
    n_pos_, n_open_ : int
        POs used and how many of them were open at ``as_of_``.
    n_ignored_ : int
        POs ordered after ``as_of_`` (or before the window), not used.
    """

    def __init__(self, by: Sequence[str] = ("supplier_id",), as_of: Any = None,
                 distributions: Sequence[str] = DISTRIBUTIONS, min_pos: int = 3,
                 shrinkage: float = 1.0, window_days: float | None = None,
                 shrink_below: int = 30) -> None:
        self.by = (by,) if isinstance(by, str) else tuple(by)
        self.as_of = as_of
        self.distributions = ((distributions,) if isinstance(distributions, str)
                              else tuple(distributions))
        self.min_pos = min_pos
        self.shrinkage = shrinkage
        self.shrink_below = shrink_below
        self.window_days = window_days

    # ---------------------------------------------------------------------------- fit

    def fit(self, purchase_orders: pd.DataFrame) -> LeadTimeModel:
        """Estimate from a ``purchase_orders`` table; returns ``self``."""
        return self._fit(purchase_orders, own_fits)

    def _fit(self, purchase_orders: pd.DataFrame, fit_groups) -> LeadTimeModel:
        """:meth:`fit` with the groups' own fits made by ``fit_groups`` (a function like
        :func:`own_fits`; a distributed fit makes them on the workers). The fit of all
        POs and the pooling, which use every group, are made here."""
        self._check_parameters()
        frame = self._prepare(purchase_orders)
        levels = self._levels(frame)
        top = _fit_group(frame, self.distributions, self.min_pos)
        if top["own"] is None:
            raise DataError(
                f"purchase_orders: at least 2 received POs with different lead times are "
                f"needed to fit a lead-time distribution; found {top['n_received']} received "
                f"by as_of={self.as_of_}. Fix: pass a later as_of or more history.")
        top.update(weight=1.0, weight_scale=1.0, dist=top["own"], note="")
        self._parents = {ALL: top}
        if levels["parent"] is not None:
            self._parents.update(self._fit_level(frame, ["supplier_id"], lambda _: ALL,
                                                 fit_groups))
        parent_of = levels["parent"] or (lambda _: ALL)
        fits = (self._fit_level(frame, list(self.by), parent_of, fit_groups) if self.by
                else {ALL: top})
        self._fits = fits
        self.groups_ = list(fits)
        return self

    def _check_parameters(self) -> None:
        unknown = [d for d in self.distributions if d not in FAMILIES]
        if unknown or not self.distributions:
            raise ValueError(f"The 'distributions' parameter must be a non-empty subset of "
                             f"{sorted(FAMILIES)}. Got {list(self.distributions)!r} instead.")
        if int(self.min_pos) < 2:
            raise ValueError(f"The 'min_pos' parameter must be an integer >= 2. "
                             f"Got {self.min_pos!r} instead.")
        if not np.isfinite(self.shrinkage) or self.shrinkage < 0:
            raise ValueError(f"The 'shrinkage' parameter must be a finite number >= 0 (1: "
                             f"empirical-Bayes pooling, 0: none). Got {self.shrinkage!r} "
                             "instead.")
        if self.window_days is not None and not self.window_days > 0:
            raise ValueError(f"The 'window_days' parameter must be > 0 [days] or None. "
                             f"Got {self.window_days!r} instead.")

    def _prepare(self, po: pd.DataFrame) -> pd.DataFrame:
        """Durations [days], event flags and lateness per PO, with the group columns."""
        if not isinstance(po, pd.DataFrame):
            raise TypeError(f"purchase_orders must be a pandas DataFrame. Got "
                            f"{type(po).__name__} instead.")
        needed = ["order_date", "received_date", *self.by]
        missing = [c for c in dict.fromkeys(needed) if c not in po.columns]
        if missing:
            raise DataError(
                f"purchase_orders has no column {', '.join(map(repr, missing))}, needed to "
                f"fit lead times by {self.by!r}. Found: {', '.join(map(str, po.columns))}. "
                "Fix: rename your columns with column_map= when reading, or change 'by'.")
        order = pd.to_datetime(po["order_date"])
        received = pd.to_datetime(po["received_date"])
        for name, bad in (("order_date", order.isna()),
                          *((c, po[c].isna()) for c in self.by)):
            if bad.any():
                rows = ", ".join(map(str, np.flatnonzero(bad)[:5]))
                raise DataError(f"purchase_orders: {int(bad.sum())} row(s) with no {name} "
                                f"(positions {rows}...). Fix: fill or drop them first.")
        as_of = (pd.Timestamp(self.as_of) if self.as_of is not None
                 else max(order.max(), received.max()))
        keep = (order <= as_of).to_numpy()
        if self.window_days is not None:
            keep = keep & (order > as_of - pd.Timedelta(days=float(self.window_days))
                           ).to_numpy()
        backwards = (received < order).to_numpy() & keep
        if backwards.any():
            raise DataError(f"purchase_orders: {int(backwards.sum())} PO(s) received before "
                            f"they were ordered (positions "
                            f"{', '.join(map(str, np.flatnonzero(backwards)[:5]))}...). "
                            "Fix: correct order_date / received_date.")
        self.as_of_, self.n_ignored_ = as_of, int((~keep).sum())
        order, received = order[keep], received[keep]
        done = (received.notna() & (received <= as_of)).to_numpy()
        end = received.where(done, as_of)
        out = po.loc[keep, list(self.by)].copy()
        out["duration"] = ((end - order) / DAY).to_numpy(float)
        out["observed"] = done
        if "expected_date" in po.columns:
            expected = pd.to_datetime(po.loc[keep, "expected_date"])
            out["lateness"] = ((end - expected) / DAY).to_numpy(float)
        else:
            out["lateness"] = np.nan
        if "supplier_id" in po.columns:
            out["_supplier"] = po.loc[keep, "supplier_id"].to_numpy()
        self.n_pos_, self.n_open_ = len(out), int((~done).sum())
        return out.reset_index(drop=True)

    def _levels(self, frame: pd.DataFrame) -> dict[str, Any]:
        """The supplier level between SKU groups and "all", when there is one."""
        if ("sku" not in self.by or "_supplier" not in frame
                or frame["_supplier"].isna().any()):
            return {"parent": None}
        sku_supplier = (frame.groupby(list(self.by), sort=False)["_supplier"]
                        .agg(lambda s: s.mode().iloc[0]))
        self._sku_supplier = sku_supplier.to_dict()
        return {"parent": lambda label: (self._sku_supplier[label]
                                         if self._sku_supplier[label] in self._parents
                                         else ALL)}

    def _fit_level(self, frame: pd.DataFrame, columns: list[str], parent_of,
                   fit_groups) -> dict:
        """Own fits of one level's groups (``fit_groups``), then pooled among the groups
        of each parent (``parent_of(label)`` is a key of ``self._parents``)."""
        col = ["_supplier"] if columns == ["supplier_id"] and "_supplier" in frame else columns
        out = fit_groups(frame, col, self.distributions, self.min_pos)
        self._pool(out, {label: parent_of(label) for label in out})
        return out

    def _pool(self, fits: dict, parent: dict) -> None:
        """Set each group's ``dist``, ``weight`` and ``weight_scale``: its parent's
        distribution without an own fit; otherwise its own family with the mean and the
        log standard deviation of log lead time shrunk toward those of its siblings
        (:mod:`~backorder_analytics.leadtime.pooling`), unless it has ``shrink_below``
        received POs or more."""
        pooled = []
        for label, fit in fits.items():
            if fit["own"] is None:
                fit.update(weight=0.0, weight_scale=0.0,
                           dist=self._parents[parent[label]]["dist"])
                continue
            fit.update(weight=1.0, weight_scale=1.0, dist=fit["own"])
            log_mean, log_sd = log_moments(fit["distribution"], fit["params"])
            if np.isfinite(log_mean) and 0 < log_sd < np.inf:
                pooled.append((label, log_mean, log_sd))
        if not pooled or self.shrinkage == 0:
            return
        labels = [p[0] for p in pooled]
        m, sd = (np.array([p[i] for p in pooled]) for i in (1, 2))
        n = np.array([fits[g]["n_received"] for g in labels], dtype=float)
        parents = [parent[g] for g in labels]
        fixed = n >= self.shrink_below
        # log SD first (the log of an sd from n values has sampling variance about
        # 1 / (2 (n - 1)): delta method on the chi-square law of a normal sample's
        # variance), then the mean, with variance sd² / n at the pooled sd: a tiny own
        # sd from 3 POs must not make the group's mean look precise.
        log_sd, w_sd, _, _ = shrink(np.log(sd), 1.0 / (2.0 * (n - 1.0)), parents,
                                    self.shrinkage, fixed)
        mean, w_m, _, _ = shrink(m, np.exp(2.0 * log_sd) / n, parents, self.shrinkage,
                                 fixed)
        for i, label in enumerate(labels):
            if w_m[i] == 1.0 and w_sd[i] == 1.0:
                continue
            fit = fits[label]
            params = from_log_moments(fit["distribution"], mean[i], float(np.exp(log_sd[i])))
            fit.update(weight=float(w_m[i]), weight_scale=float(w_sd[i]),
                       dist=getattr(stats, fit["distribution"])(**params))

    # ------------------------------------------------------------------------ results

    def _check_fitted(self) -> None:
        if not hasattr(self, "_fits"):
            raise NotFittedError("This LeadTimeModel is not fitted yet. Call "
                                 "fit(purchase_orders) or use fit_lead_times(...).")

    def distribution(self, group: Hashable = None):
        """The lead-time distribution [days] of ``group``: a frozen scipy.stats
        distribution of the group's chosen family (``cdf``, ``sf``, ``ppf``, ``rvs``,
        ``mean``, ...), with pooled parameters when it has few POs.

        A group that was not in the data (a new supplier or SKU) gets its parent's
        distribution: for ``by=("supplier_id", "sku")`` the supplier's when the
        supplier is known, otherwise that of all POs. ``group=None`` is allowed when
        there is one group.
        """
        self._check_fitted()
        if group is None:
            if len(self.groups_) != 1:
                raise ValueError(f"The 'group' parameter is needed: this model has "
                                 f"{len(self.groups_)} groups, e.g. {self.groups_[:3]!r}.")
            group = self.groups_[0]
        if group in self._fits:
            return self._fits[group]["dist"]
        if (self.by[:1] == ("supplier_id",) and isinstance(group, tuple)
                and group[0] in self._parents):
            return self._parents[group[0]]["dist"]
        return self._parents[ALL]["dist"]

    def group_of(self, sku: Hashable = None, supplier: Hashable = None) -> Hashable:
        """The group whose distribution applies to ``sku`` bought from ``supplier``.

        The model's ``by`` decides: ``()`` the one group, ``("supplier_id",)`` the
        supplier, ``("sku",)`` the SKU, ``("supplier_id", "sku")`` the pair. An
        unknown supplier (None or NaN) gives a group the model does not know, whose
        :meth:`distribution` is that of all POs (for a pair: of the supplier when known).

        >>> from backorder_analytics import example_dataset, fit_lead_times
        >>> lt = fit_lead_times(example_dataset(seed=0).purchase_orders)
        >>> lt.group_of("SKU-0001", "SUP-A"), lt.group_of("SKU-0001", None)
        ('SUP-A', '<unknown>')
        """
        self._check_fitted()
        known = {"sku": sku, "supplier_id": supplier}
        if any(c not in known for c in self.by):
            raise ValueError("The 'lead_times' parameter must be grouped by (), "
                             "('supplier_id',), ('sku',) or ('supplier_id', 'sku') to give "
                             f"each SKU a lead time. Got by={self.by!r} instead.")
        parts = tuple(UNKNOWN if known[c] is None or known[c] != known[c] else known[c]
                      for c in self.by)
        if not parts:
            return self.groups_[0]
        return parts[0] if len(parts) == 1 else parts

    def groups_for(self, skus, suppliers) -> list:
        """:meth:`group_of` for each pair of ``skus`` and ``suppliers``."""
        return [self.group_of(s, p) for s, p in zip(skus, suppliers, strict=True)]

    def _over_groups(self, group, func):
        self._check_fitted()
        if group is not None or len(self.groups_) == 1:
            return func(self.distribution(group))
        return np.stack([np.asarray(func(self.distribution(g))) for g in self.groups_])

    def quantile(self, q, group: Hashable = None):
        """Lead-time quantile(s) [days] at probability ``q`` (scalar or array).

        For one group: a float (scalar ``q``) or an array shaped like ``q``. With
        ``group=None`` and several groups: an array ``(n_groups,)`` or
        ``(n_groups, len(q))`` in the order of ``groups_``.
        """
        qq = np.asarray(q, dtype=float)
        if np.any((qq < 0) | (qq > 1)):
            raise ValueError(f"The 'q' parameter must lie in [0, 1]. Got {q!r} instead.")
        out = self._over_groups(group, lambda d: np.asarray(d.ppf(qq), dtype=float))
        return float(out) if np.ndim(out) == 0 else out

    def cdf(self, t, group: Hashable = None):
        """P(lead time <= ``t``) for ``t`` [days]; shapes as in :meth:`quantile`."""
        out = self._over_groups(group, lambda d: np.asarray(d.cdf(t), dtype=float))
        return float(out) if np.ndim(out) == 0 else out

    def survival(self, t, group: Hashable = None):
        """P(lead time > ``t``) for ``t`` [days]; shapes as in :meth:`quantile`."""
        out = self._over_groups(group, lambda d: np.asarray(d.sf(t), dtype=float))
        return float(out) if np.ndim(out) == 0 else out

    def sample(self, n: int, group: Hashable = None, rng=None) -> np.ndarray:
        """``n`` lead-time draws [days]: shape ``(n,)`` for one group, ``(n_groups, n)``
        for all. ``rng`` is a :class:`numpy.random.Generator` or an int seed."""
        gen = np.random.default_rng(rng)
        return self._over_groups(group, lambda d: np.asarray(d.rvs(size=int(n),
                                                                  random_state=gen)))

    def kaplan_meier(self, group: Hashable = None) -> pd.DataFrame:
        """The group's Kaplan–Meier table: ``time`` [days], ``survival``, ``at_risk``,
        ``events``."""
        self._check_fitted()
        fit = self._fits[self.groups_[0] if group is None else group]
        return pd.DataFrame(dict(zip(("time", "survival", "at_risk", "events"), fit["km"],
                                     strict=True)))

    def curves(self, group: Hashable) -> dict[str, np.ndarray]:
        """Arrays to draw for one group: Kaplan–Meier CDF (``km_time``, ``km_cdf``),
        the completed-only empirical CDF (``completed_time``, ``completed_cdf``) and
        the model's CDF on a grid (``grid``, ``fitted_cdf``), all in days."""
        self._check_fitted()
        fit = self._fits[group]
        times, surv = fit["km"][:2]
        done = np.sort(fit["completed"])
        top = max(times.max() if len(times) else 1.0, float(self.quantile(0.99, group)))
        grid = np.linspace(0.0, top, 400)
        return {"km_time": times, "km_cdf": 1 - surv, "completed_time": done,
                "completed_cdf": np.arange(1, len(done) + 1) / max(len(done), 1),
                "grid": grid, "fitted_cdf": np.asarray(self.cdf(grid, group))}

    def plot(self, ax=None, group: Hashable = None):
        """Kaplan–Meier curve, completed-only curve and fitted CDF; see
        :func:`backorder_analytics.plotting.plot_lead_times`."""
        from ..plotting import plot_lead_times

        return plot_lead_times(self, ax=ax, group=group)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per group (see the class docstring)."""
        self._check_fitted()
        rows = []
        for label in self.groups_:
            fit = self._fits[label]
            dist = fit["dist"]
            p50, p90, p95 = np.asarray(dist.ppf([0.5, 0.9, 0.95]), dtype=float)
            row = {k: fit[k] for k in ("n_pos", "n_received", "n_open", "distribution",
                                       "params")}
            row.update({f"aic_{d}": fit["aic"].get(d, np.nan) for d in self.distributions})
            row.update(weight=fit["weight"], weight_scale=fit["weight_scale"],
                       mean=float(dist.mean()), p50=p50, p90=p90, p95=p95)
            own = fit["own"]
            row.update(fit_p50=float(own.ppf(0.5)) if own is not None else np.nan,
                       fit_p90=float(own.ppf(0.9)) if own is not None else np.nan)
            row.update({k: fit[k] for k in ("km_p50", "km_p90", "completed_p90",
                                            "lateness_n", "lateness_mean", "lateness_p50",
                                            "lateness_p90", "share_late", "note")})
            rows.append(row)
        index = (pd.MultiIndex.from_tuples(self.groups_, names=list(self.by))
                 if len(self.by) > 1 else pd.Index(self.groups_, name=(self.by or ("group",))[0]))
        return pd.DataFrame(rows, index=index)

    def to_frame(self) -> pd.DataFrame:
        """The :attr:`summary` table."""
        return self.summary


    def __repr__(self) -> str:
        if not hasattr(self, "_fits"):
            return f"LeadTimeModel(by={self.by!r}) (not fitted)"
        k = len(self.groups_)
        by = f"by {', '.join(self.by)}" if self.by else "(all POs together)"
        return (f"LeadTimeModel: {k:,} group{'s' if k != 1 else ''} {by}, "
                f"fitted with {self.n_pos_:,} POs, {self.n_open_:,} right-censored (open)")

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(repr(self))}</strong></p>"
        if not hasattr(self, "_fits"):
            return head
        return head + f"<p>as of {html.escape(str(self.as_of_))}</p>" + self.summary.to_html(
            float_format=lambda x: f"{x:,.2f}")


def group_rows(frame: pd.DataFrame, columns: list[str]) -> dict[Hashable, np.ndarray]:
    """The positions in ``frame`` of each group's rows, by ``columns``; the groups in
    the order of their labels (a label a tuple for several columns)."""
    out: dict[Hashable, np.ndarray] = {}
    for label, idx in frame.groupby(columns, sort=True).indices.items():
        out[label[0] if isinstance(label, tuple) and len(label) == 1 else label] = np.asarray(idx)
    return out


def own_fits(frame: pd.DataFrame, columns: list[str], distributions: Sequence[str],
             min_pos: int) -> dict[Hashable, dict]:
    """Each group's own fit (everything estimated from its POs alone, before pooling),
    by ``columns`` of the prepared ``frame``, in the order of :func:`group_rows`."""
    return {label: _fit_group(frame.iloc[idx], distributions, min_pos)
            for label, idx in group_rows(frame, columns).items()}


def _fit_group(frame: pd.DataFrame, distributions: Sequence[str], min_pos: int) -> dict:
    """Everything estimated from one group's POs (arrays in, numbers out)."""
    dur = frame["duration"].to_numpy(float)
    obs = frame["observed"].to_numpy(bool)
    km = kaplan_meier(dur, obs)
    t_event = np.maximum(dur[obs], MIN_LEAD_TIME)
    t_cens = dur[~obs]
    out: dict[str, Any] = {
        "n_pos": len(dur), "n_received": int(obs.sum()), "n_open": int((~obs).sum()),
        "km": km, "completed": dur[obs], "distribution": None, "params": None, "aic": {},
        "own": None, "note": "",
    }
    p50, p90 = km_quantile(km[0], km[1], [0.5, 0.9]) if len(dur) else (np.nan, np.nan)
    out.update(km_p50=float(p50), km_p90=float(p90),
               completed_p90=float(np.percentile(dur[obs], 90)) if obs.any() else np.nan)
    out.update(_lateness(frame["lateness"].to_numpy(float), obs))
    if out["n_received"] == 0:
        out["note"] = "no received POs: uses its parent's distribution"
    elif out["n_received"] < min_pos or len(np.unique(t_event)) < 2:
        out["note"] = (f"{out['n_received']} received PO(s) (< min_pos={min_pos} or one "
                       "distinct lead time): uses its parent's distribution")
    else:
        fits = {d: fit_censored(d, t_event, t_cens) for d in distributions}
        out["aic"] = {d: 4.0 - 2.0 * ll for d, (_, ll) in fits.items()}
        best = min(out["aic"], key=out["aic"].get)
        out.update(distribution=best, params=fits[best][0],
                   own=getattr(stats, best)(**fits[best][0]))
    return out


def _lateness(late: np.ndarray, obs: np.ndarray) -> dict[str, float]:
    """Lateness stats [days]; open POs right-censored at ``as_of − expected_date``."""
    known = ~np.isnan(late)
    out = {"lateness_n": int(known.sum()), "lateness_mean": np.nan, "lateness_p50": np.nan,
           "lateness_p90": np.nan, "share_late": np.nan}
    if not known.any():
        return out
    times, surv, _, _ = kaplan_meier(late[known], obs[known])
    p50, p90 = km_quantile(times, surv, [0.5, 0.9])
    out.update(lateness_p50=float(p50), lateness_p90=float(p90),
               share_late=float(km_survival_at(times, surv, 0.0)))
    if (known & obs).any():
        out["lateness_mean"] = float(late[known & obs].mean())
    return out
