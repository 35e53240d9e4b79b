"""The Monte Carlo behind :func:`backorder_analytics.planning.eta.backorder_eta` (private).

Inputs per SKU (queue, open-PO arrivals, reorder rule, future demand), the rank-by-rank
ship-time kernel vectorised across SKUs and replications, and the per-line frame. The
modelling choices are documented in :mod:`backorder_analytics.planning.eta`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..leadtime.draws import P99, draw_given, quantile_table
from ..leadtime.draws import draw as draw_lead_time
from ..leadtime.lateness import supplier_lateness
from ..leadtime.survival import km_survival_at
from ..streams import row_uniforms, sku_rng
from .state import reorder_rule, state_from_replay

DAY = pd.Timedelta(days=1)
ON_HAND, NEW_ORDER, BEYOND = "on hand", "new order", "beyond horizon"
"""``expected_po`` of a line completed by stock on hand, by an order placed after
``as_of``, or by nothing within the horizon."""
MIN_LATENESS_POS = 10
"""Fewest received POs of a supplier later than an open PO already is, for its arrival
to be resampled from the supplier's lateness (else the lead-time model)."""
DEMAND_WINDOW_DAYS = 91
"""History [days] whose line rate and sizes drive the simulated future demand."""
HORIZON_DAYS = 365
"""Longest future [days] of simulated demand and reordering. It starts at the open POs'
arrival plus a lead time (both p99) and doubles while more than 0.2% of the ship times
lie beyond it; a line never reached gets an infinite ship time (NaT quantiles,
``expected_po`` "beyond horizon")."""
_CELLS = 4e6
"""Array cells per chunk of SKUs."""



# --------------------------------------------------------------------------- kernel


def _ship_times(ev_t, ev_q, line_sku, line_q, line_limit, *, complete=False, ahead=None,
                line_cls=None):
    """Ship time [days from ``as_of``] of each queued line in each replication.

    ``ev_t``, ``ev_q`` (S, R, J): supply arrivals sorted along the last axis (``inf``
    pads) and their units. Lines sorted by SKU, then queue rank: ``line_sku``,
    ``line_q`` (open units), ``line_limit`` (cancel time, ``inf`` = never; shape (n,)
    or (n, R)). ``ahead`` (C, S, R, J): future demand ahead of class ``c`` arrived by
    each arrival, ``line_cls`` the class of each line. The line at rank ``k``
    completes at the first arrival ``j`` with ``max_{i<=j}(S_i − A_i) >= taken + q``
    (``S`` cumulative supply, ``A`` demand ahead, ``taken`` what the lines before it
    took: all of it, or what they had at their limit); under complete shipping not
    before a cancelled line ahead let go. Returns ``T`` (n, R), ``inf`` for never, and
    the arrival index ``j`` (``J`` for never).
    """
    S, R, J = ev_t.shape
    cum = np.cumsum(ev_q, axis=-1, dtype=float)
    levels = np.stack([cum] + ([] if ahead is None else
                               [np.maximum.accumulate(cum - a, axis=-1) for a in ahead]))
    n = len(line_sku)
    cls = np.zeros(n, np.int64) if line_cls is None else np.asarray(line_cls) + 1
    rank = np.arange(n) - np.searchsorted(line_sku, line_sku)
    taken, block = np.zeros((S, R)), np.zeros((S, R))
    T, jj = np.full((n, R), np.inf), np.full((n, R), J, np.int64)
    for k in range(int(rank.max()) + 1 if n else 0):
        sel = np.flatnonzero(rank == k)
        s, q = line_sku[sel], line_q[sel, None]
        lev = levels[cls[sel], s]  # (n_k, R, J)
        hit = lev >= (taken[s] + q)[..., None]
        found = hit.any(-1)
        j = np.where(found, hit.argmax(-1), J)
        t = np.take_along_axis(ev_t[s], np.minimum(j, J - 1)[..., None], -1)[..., 0]
        t = np.maximum(np.where(found, t, np.inf), block[s])
        lim = line_limit[sel].reshape(len(sel), -1)
        late = (t > lim) & np.isfinite(lim)
        got = np.where(late, 0.0, q)
        if complete:  # waiting whole, it blocked the lines behind until it cancelled
            block[s] = np.where(late, np.maximum(block[s], lim), block[s])
        elif late.any():  # partial: it keeps what it had received by its limit
            n_by = (ev_t[s] <= lim[..., None]).sum(-1)
            at = np.take_along_axis(lev, np.maximum(n_by - 1, 0)[..., None], -1)[..., 0]
            part = np.clip(np.where(n_by > 0, at, 0.0) - taken[s], 0, q)
            got = np.where(late, part, got)
        taken[s] += got
        T[sel], jj[sel] = t, j
    return T, jj


# --------------------------------------------------------------------------- inputs


def _names(qs) -> list[str]:
    return [f"eta_p{round(q * 100)}" for q in qs]


def _queue(rep, priority: bool, now: pd.Timestamp, max_wait_days) -> pd.DataFrame:
    """Open lines in (SKU, queue rank) order, ``units_ahead``, limits."""
    L = rep.lines[rep.lines["open"] > 0].assign(_pos=lambda x: np.arange(len(x)))
    keys = ["sku", "priority", "order_date", "_pos"] if priority else \
        ["sku", "order_date", "_pos"]
    L = L.sort_values(keys, kind="stable")
    L["units_ahead"] = L.groupby("sku")["open"].cumsum() - L["open"]
    L["limit_date"] = (L["order_date"] + pd.Timedelta(days=float(max_wait_days))
                       if max_wait_days is not None else pd.NaT)
    lim = ((L["limit_date"] - now) / DAY).to_numpy(float)
    L["_limit"] = np.where(np.isnan(lim) | (lim <= 0), np.inf, lim)  # past it: stays
    return L


def _inputs(ds, rep, lines, lt, fut: bool, seed: int, R: int) -> dict[str, Any]:
    """Per-SKU supply and demand inputs, and the open-PO arrival draws."""
    now = rep.as_of
    skus = pd.Index(lines["sku"].unique())
    state = state_from_replay(ds, rep).reindex(skus)
    on_hand = state["on_hand"].to_numpy(float)
    supplier = state["supplier_id"]
    po = ds.purchase_orders_at(now)
    has_sup = "supplier_id" in po
    open_po = ds.purchase_orders_open_at(now)
    open_po = open_po[open_po["sku"].isin(skus).to_numpy()]
    r_hat, q_hat = reorder_rule(rep, po, skus)
    notes = []
    if np.isnan(r_hat).any():
        notes.append(f"{int(np.isnan(r_hat).sum())} SKU(s) without PO history: only "
                     "uncovered units are reordered, in lots of 1")
    labels: dict = {}
    sku_g = [labels.setdefault(lt.group_of(s, supplier[s]), len(labels)) for s in skus]
    po_sup = open_po["supplier_id"] if has_sup else [None] * len(open_po)
    po_g = [labels.setdefault(lt.group_of(s, p), len(labels))
            for s, p in zip(open_po["sku"], po_sup, strict=True)]
    tab = quantile_table(lt, list(labels))
    by_sku = open_po.groupby("sku")["quantity"].sum().reindex(skus).fillna(0).to_numpy()
    out = {"priority": rep.params["allocation"] == "priority", "skus": skus,
           "on_hand": on_hand, "r": np.fmax(r_hat, -1.0), "Q": q_hat, "tab": tab,
           "ip0": on_hand + by_sku - lines.groupby("sku")["open"].sum().reindex(skus).to_numpy(),
           "sku_g": np.array(sku_g, np.int64), "po_sku": skus.get_indexer(open_po["sku"]),
           "po_q": open_po["quantity"].to_numpy(float), "po_id": open_po["po_id"].to_numpy(),
           "arrivals": _po_arrivals(supplier_lateness(ds, now), open_po,
                                    np.array(po_g, np.int64), tab, now,
                                    row_uniforms(seed, open_po["sku"], "eta_po", (2, R)), R),
           "notes": notes, "classes": np.zeros(0, np.int64)}
    if fut:
        out.update(_demand_inputs(rep.lines, skus, now))
    return out


def _po_arrivals(lateness, open_po, g, tab, now, u, R) -> np.ndarray:
    """Arrival [days from ``now``] of each open PO in each replication (n_po, R), from
    its supplier's lateness as known at ``now`` (``lateness``, a
    :class:`~backorder_analytics.leadtime.lateness.SupplierLateness` of every PO of
    the business) and the uniforms ``u`` (n_po, 2, R) of its SKU's stream: the
    arrival, and a fresh draw for a lateness beyond what the history shows."""
    n = len(open_po)
    out = np.empty((n, R))
    age = ((now - open_po["order_date"]) / DAY).to_numpy(float)
    use_lt = np.ones(n, bool)
    if lateness.curves and n:
        osup = (open_po["supplier_id"].to_numpy() if "supplier_id" in open_po
                else np.zeros(n, np.int64))
        due = ((open_po["expected_date"] - now) / DAY).to_numpy(float)  # < 0: late
        for s in pd.unique(osup):
            curve = lateness.curves.get(s)
            if curve is None:  # no PO of the supplier with an expected date (or none named)
                continue
            seen, times, surv = curve.seen, curve.times, curve.survival
            m = np.flatnonzero((osup == s) & ~np.isnan(due))
            m = m[len(seen) - np.searchsorted(seen, -due[m], "right") >= MIN_LATENESS_POS]
            if not len(m):
                continue
            sc = km_survival_at(times, surv, -due[m])  # P(lateness > lateness so far)
            idx = np.searchsorted(-surv, -u[m, 0] * sc[:, None], "left")
            arr = due[m, None] + times[np.minimum(idx, len(times) - 1)]
            tail = idx >= len(times)  # beyond the latest seen (a censored tail)
            if tail.any():
                rows = np.broadcast_to(m[:, None], tail.shape)[tail]
                arr[tail] = draw_given(tab, g[rows], np.maximum(
                    age[rows], age[rows] + due[rows] + times[-1]), u[m, 1][tail]) - age[rows]
            out[m], use_lt[m] = arr, False
    m = np.flatnonzero(use_lt)
    if len(m):
        rows = np.repeat(m, R)
        out[m] = (draw_given(tab, g[rows], age[rows], u[m, 0].ravel()) - age[rows]).reshape(
            len(m), R)
    return np.maximum(out, 0.0)


def _demand_inputs(L, skus, now) -> dict[str, Any]:
    """Line rates [lines/day] and size pools per (priority class, SKU) in the window."""
    w = L[(L["order_date"] > now - DEMAND_WINDOW_DAYS * DAY).to_numpy()
          & L["sku"].isin(skus).to_numpy()]
    classes = np.unique(w["priority"].to_numpy(np.int64))
    key = np.searchsorted(classes, w["priority"].to_numpy(np.int64)) * len(skus) \
        + skus.get_indexer(w["sku"])
    counts = np.bincount(key, minlength=len(classes) * len(skus))
    shape = (len(classes), len(skus))
    return {"classes": classes, "lam": counts.reshape(shape) / DEMAND_WINDOW_DAYS,
            "pool": w["quantity"].to_numpy(float)[np.argsort(key, kind="stable")],
            "pool_off": (np.cumsum(counts) - counts).reshape(shape),
            "pool_n": counts.reshape(shape)}


# --------------------------------------------------------------------------- simulation


def _run(lines, inp, qs, R, complete, seed) -> dict[str, np.ndarray]:
    """Simulate chunks of SKUs; per line the quantiles [days], the share of
    replications within the limit and the supply that most often completes it.

    Each SKU has its own horizon, from its own open POs and lead time, doubled while
    more than 0.2% of its lines' ship times lie beyond it; with its own random
    streams, a SKU's numbers do not depend on the SKUs simulated with it."""
    skus = inp["skus"]
    line_sku = skus.get_indexer(lines["sku"])
    n_cls = len(inp["classes"])
    H = HORIZON_DAYS if n_cls else 0
    horizon = np.array([min(H, _horizon(inp, k)) if H else 0 for k in range(len(skus))],
                       np.int64)
    n = len(lines)
    out = {"q": np.full((n, len(qs)), np.inf), "p": np.full(n, np.nan),
           "src": np.full(n, BEYOND, dtype=object), "p_src": np.zeros(n)}
    limit, open_q = lines["_limit"].to_numpy(float), lines["open"].to_numpy(float)
    n_po = np.bincount(inp["po_sku"], minlength=len(skus))
    todo = np.arange(len(skus))
    while len(todo):
        chunk = np.cumsum(R * (2 + n_po[todo] + horizon[todo] * (n_cls + 3))) // _CELLS
        again: list[np.ndarray] = []
        for c in np.unique(chunk):
            ks = todo[chunk == c]
            sel = np.flatnonzero(np.isin(line_sku, ks))
            local = np.searchsorted(ks, line_sku[sel])
            h = horizon[ks]
            ev_t, ev_q, ev_id, ahead, cls, names = _events(inp, ks, lines.iloc[sel], R, h,
                                                           seed)
            T, jj = _ship_times(ev_t, ev_q, local, open_q[sel], limit[sel],
                                complete=complete, ahead=ahead, line_cls=cls)
            late = np.bincount(local, (h[local, None] < T).mean(1), len(ks))
            share = late / np.maximum(np.bincount(local, minlength=len(ks)), 1)
            short = (h < H) & (share > 0.002)
            again.append(ks[short])
            done = ~short[local]
            sel, local, T, jj = sel[done], local[done], T[done], jj[done]
            out["q"][sel] = np.quantile(T, qs, axis=1, method="inverted_cdf").T
            out["p"][sel] = np.where(np.isfinite(limit[sel]),
                                     (limit[sel, None] >= T).mean(1), np.nan)
            J, B = ev_t.shape[-1], names.shape[1]
            ident = np.where(jj < J, ev_id[local[:, None], np.arange(R),
                                           np.minimum(jj, J - 1)], B - 1)
            counts = np.bincount((np.arange(len(sel))[:, None] * B + ident).ravel(),
                                 minlength=len(sel) * B).reshape(len(sel), B)
            best = counts.argmax(1)
            out["src"][sel] = names[local, best]
            out["p_src"][sel] = counts[np.arange(len(sel)), best] / R
        todo = np.sort(np.concatenate(again)).astype(np.int64)
        horizon[todo] = np.minimum(H, 2 * horizon[todo])
    return out


def _horizon(inp, k) -> int:
    """Days to simulate first for SKU ``k``: its open POs' arrival (p99) and a lead
    time (p99) on."""
    arr = inp["arrivals"][inp["po_sku"] == k]
    first = np.quantile(arr, 0.99, axis=1).max() if arr.size else 0.0
    return int(np.ceil(first + inp["tab"][inp["sku_g"][k], P99]) + 1)


def _events(inp, ks, lines, R, H, seed):
    """Supply arrivals of SKUs ``ks`` sorted per replication (S, R, J) with their units
    and source codes, the future demand ahead of each queue class at those arrivals,
    and the source names per SKU (on hand, its open POs, new order, beyond horizon);
    ``H``: each SKU's horizon [days]."""
    S = len(ks)
    pos = np.flatnonzero(np.isin(inp["po_sku"], ks))
    pos = pos[np.argsort(inp["po_sku"][pos], kind="stable")]
    psku = np.searchsorted(ks, inp["po_sku"][pos])
    rank = np.arange(len(pos)) - np.searchsorted(psku, psku)
    P = int(rank.max()) + 1 if len(pos) else 0
    t, q = np.full((S, R, 1 + P), np.inf), np.zeros((S, R, 1 + P))
    oh = inp["on_hand"][ks]
    t[:, :, 0] = np.where(oh > 0, 0.0, np.inf)[:, None]
    q[:, :, 0] = np.maximum(oh, 0)[:, None]
    t[psku, :, 1 + rank] = inp["arrivals"][pos]
    q[psku, :, 1 + rank] = inp["po_q"][pos, None]
    names = np.full((S, P + 3), "", dtype=object)
    names[:, 0], names[:, P + 1], names[:, P + 2] = ON_HAND, NEW_ORDER, BEYOND
    names[psku, 1 + rank] = inp["po_id"][pos]
    nt, nq, ahead_of = _new_orders(inp, ks, R, H, seed)
    ev_t, ev_q = np.concatenate([t, nt], -1), np.concatenate([q, nq], -1)
    ev_id = np.broadcast_to(np.r_[np.arange(1 + P), np.full(nt.shape[-1], P + 1)],
                            ev_t.shape)
    o = np.argsort(ev_t, axis=-1, kind="stable")
    ev_t, ev_q, ev_id = (np.take_along_axis(a, o, -1) for a in (ev_t, ev_q, ev_id))
    if ahead_of is None or not inp["priority"]:
        return ev_t, ev_q, ev_id, None, None, names
    qcls, cls = np.unique(lines["priority"].to_numpy(np.int64), return_inverse=True)
    ahead = np.stack([_at(ahead_of(p), ev_t) for p in qcls])
    return ev_t, ev_q, ev_id, ahead, cls, names


def _at(cum: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Daily cumulative curves (S, R, H+1) at times ``t`` (S, R, J) [days]: linear
    within a day, flat after the horizon."""
    H = cum.shape[-1] - 1
    tt = np.clip(np.nan_to_num(t, posinf=H), 0, H)
    d = np.minimum(np.floor(tt).astype(np.int64), max(H - 1, 0))
    lo = np.take_along_axis(cum, d, -1)
    return lo + (tt - d) * (np.take_along_axis(cum, np.minimum(d + 1, H), -1) - lo)


def _new_orders(inp, ks, R, horizon, seed):
    """Orders placed by each SKU's reorder rule over days 0..H: arrival times and units
    (S, R, K), and a function of ``p`` giving the cumulative future demand (S, R, H+1)
    of the classes better than ``p`` (None without future demand). A class's lines:
    a Poisson count per replication over the SKU's horizon, each on a uniform day
    within it, sizes resampled; everything from the SKU's own streams (the n-th new
    order of a replication takes the n-th lead-time draw)."""
    S = len(ks)
    H = int(horizon.max()) if S else 0
    r, lot = inp["r"][ks, None], inp["Q"][ks, None]
    ip = np.repeat(inp["ip0"][ks, None], R, 1)
    classes = inp["classes"]
    daily = np.zeros((len(classes), S, R, H), np.float32)
    for j, k in enumerate(ks):
        h = int(horizon[j])
        if not h:
            continue
        rng = sku_rng(seed, inp["skus"][k], "eta_demand")
        for c in range(len(classes)):  # the classes the SKU has, in order
            lam = inp["lam"][c, k]
            if lam <= 0:
                continue
            rep = np.repeat(np.arange(R), rng.poisson(lam * h, R))
            day = rng.integers(0, h, len(rep))
            pick = inp["pool_off"][c, k] + (rng.random(len(rep))
                                            * inp["pool_n"][c, k]).astype(np.int64)
            np.add.at(daily[c, j].reshape(-1), rep * H + day, inp["pool"][pick])
    daily = np.cumsum(daily, 0)  # classes up to c
    orders = np.zeros((S, R, H + 1))
    for d in range(H + 1):
        if d:
            ip -= daily[-1, :, :, d - 1]
        k = np.where(ip <= r, np.floor((r - ip) / lot) + 1, 0.0)
        orders[:, :, d] = k * lot
        ip += k * lot
    placed = orders > 0
    K = max(int(placed.sum(-1).max()), 1)
    day = np.argsort(~placed, axis=-1, kind="stable")[..., :K]
    qty = np.take_along_axis(orders, day, -1)
    when = np.full(qty.shape, np.inf)
    for j, k in enumerate(ks):
        on = qty[j] > 0  # (R, K): the first orders of each replication
        n_k = int(on.sum(-1).max()) if on.any() else 0
        if n_k:
            u = sku_rng(seed, inp["skus"][k], "eta_lead").random((n_k, R)).T  # (R, n_k)
            g = np.full(int(on.sum()), inp["sku_g"][k])
            when[j][on] = day[j][on] + draw_lead_time(inp["tab"], g, u[on[:, :n_k]])
    if not len(classes):
        return when, qty, None

    def ahead_of(p):
        c = np.searchsorted(classes, p) - 1  # the last class better than p
        out = np.zeros((S, R, H + 1), np.float32)
        if c >= 0:
            np.cumsum(daily[c], -1, out=out[..., 1:])
        return out

    return when, qty, ahead_of


def _frame(lines, orders, out, qs, now) -> pd.DataFrame:
    cols: dict[str, Any] = {"order_id": lines["order_id"]}
    if "line_id" in lines:
        cols["line_id"] = lines["line_id"]
    cols["sku"] = lines["sku"]
    if "customer_id" in orders:
        cols["customer_id"] = orders["customer_id"].reindex(lines.index)
    cols.update(priority=lines["priority"], order_date=lines["order_date"],
                quantity=lines["quantity"], open_quantity=lines["open"],
                age_days=(now - lines["order_date"]) / DAY, units_ahead=lines["units_ahead"])
    frame = pd.DataFrame(cols, index=lines.index)
    for name, days in zip(_names(qs), out["q"].T, strict=True):
        finite = np.where(np.isfinite(days), days, np.nan)
        frame[name] = (now + pd.to_timedelta(finite, unit="D")).round("s")
    frame["p_ship_within_limit"] = out["p"]
    frame["limit_date"] = lines["limit_date"]
    frame["expected_po"] = pd.Series(out["src"], index=frame.index).astype(str)  # (also empty)
    frame["p_expected_po"] = out["p_src"]
    return frame
