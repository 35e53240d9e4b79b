"""Running per-partition stages on Dask, or one after another in this process
(``"synchronous"``): the client, progress, and errors that name the step and the SKUs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from ..exceptions import BackorderAnalyticsError
from .partition import check_n_partitions

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DaskEngine", "PartitionError"]

SHOWN_SKUS = 5


class PartitionError(BackorderAnalyticsError):
    """A stage failed on a partition of the SKUs: the message names the step, the
    partition and its first SKUs, and the worker's error."""


def _import_distributed():
    try:
        import distributed
    except ImportError:  # an optional dependency
        raise ImportError("Running on Dask needs the 'dask' extra: pip install "
                          "'backorder_analytics[dask]'.") from None
    return distributed


def _in_partition(fn: Callable, step: str, label: str) -> Callable:
    """``fn`` raising :class:`PartitionError` that names the step and SKUs."""
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PartitionError as err:  # it names the step already: add the partition
            raise PartitionError(f"{err} On {label}.") from err
        except Exception as err:
            raise PartitionError(f"Step {step!r} failed on {label}: "
                                 f"{type(err).__name__}: {err}") from err
    return run


class DaskEngine:
    """The Dask client the stages run on, and the partitions of the SKUs.

    Parameters
    ----------
    client : distributed.Client, str, "local" or "synchronous"
        A client; a scheduler address (``"tcp://host:8786"``); ``"local"`` for a
        :class:`~distributed.LocalCluster` on this machine, closed by :meth:`close`
        (or the ``with`` block); or ``"synchronous"`` (as Dask names its scheduler in
        the calling thread): the partitions one after another in this process,
        without Dask, with the same numbers. On a folder partitioned by SKU (the
        out-of-core report) the process holds one partition's plan at a time, so its
        memory is set by the partition size: the report of a big business on one
        machine. On a Dataset in memory the partitions are copies of it: no time or
        memory is saved (a distributed run checked without a cluster).
    n_partitions : int, optional
        Partitions of the SKUs; default 4 per worker thread (4 when synchronous), so
        that a slow partition does not hold the others up.
    progress : bool, default True
        A progress bar per stage over the partitions (and the dashboard link, once).
    """

    def __init__(self, client: Any = "local", n_partitions: int | None = None,
                 progress: bool = True) -> None:
        if n_partitions is not None:  # before a cluster is started
            n_partitions = check_n_partitions(n_partitions)
        self._own = None
        self.progress = progress
        self.client: Any = None  # synchronous: none
        if isinstance(client, str) and client == "synchronous":  # no Dask needed
            self.n_partitions = 4 if n_partitions is None else n_partitions
            return
        distributed = _import_distributed()
        if isinstance(client, distributed.Client):
            self.client = client
        elif client == "local":
            self._own = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                                 processes=True, dashboard_address=":0")
            self.client = distributed.Client(self._own)
        elif isinstance(client, str):
            self.client = distributed.Client(client)
            self._own = self.client
        else:
            raise TypeError("The 'client' parameter must be a distributed.Client, a "
                            "scheduler address such as 'tcp://host:8786', 'local' or "
                            f"'synchronous'. Got {type(client).__name__} instead.")
        threads = sum(self.client.nthreads().values()) or 1
        self.n_partitions = 4 * threads if n_partitions is None else n_partitions
        if progress:
            print(f"Dask dashboard: {self.client.dashboard_link}", file=sys.stderr)

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the cluster or client this engine started (not one it was given)."""
        if self._own is not None:
            self.client.close()
            self._own.close()
            self._own = None

    def __repr__(self) -> str:
        where = "synchronous" if self.client is None else self.client.scheduler.address
        return f"DaskEngine({where}, {self.n_partitions} partitions)"

    # ------------------------------------------------------------------ running

    def scatter(self, items: Sequence[Any]) -> list[Any]:
        """Send ``items`` (one per partition) to the workers; futures back."""
        if self.client is None:
            return list(items)
        return self.client.scatter(list(items))

    def each(self, fn: Callable, parts: Sequence[Any], *args: Any, step: str,
             labels: Sequence[str]) -> list[Any]:
        """``fn(part, *args)`` on every partition, kept on the workers (futures);
        synchronous: computed now, one partition after another."""
        if self.client is None:
            bar = tqdm(zip(parts, labels, strict=True), total=len(parts), desc=step,
                       unit="partition", disable=not self.progress)
            return [_in_partition(fn, step, label)(part, *args) for part, label in bar]
        shared = [a if _small(a) else self.client.scatter(a, broadcast=True) for a in args]
        return [self.client.submit(_in_partition(fn, step, label), part, *shared,
                                   pure=False)
                for part, label in zip(parts, labels, strict=True)]

    def gather(self, futures: Sequence[Any], step: str) -> list[Any]:
        """The results of ``futures``, in their order, with a progress bar."""
        if self.client is None:  # computed by each()
            return list(futures)
        distributed = _import_distributed()
        bar = tqdm(total=len(futures), desc=step, unit="partition",
                   disable=not self.progress)
        for _ in distributed.as_completed(futures):
            bar.update()
        bar.close()
        return self.client.gather(list(futures))

    def map(self, fn: Callable, parts: Sequence[Any], *args: Any, step: str,
            labels: Sequence[str]) -> list[Any]:
        """``fn(part, *args)`` on every partition, results gathered in order."""
        return self.gather(self.each(fn, parts, *args, step=step, labels=labels), step)


def _small(value: Any) -> bool:
    """Whether an argument goes with each task; anything else (a lead-time model, the
    settings, the forecast's global inputs) is sent to every worker once."""
    return value is None or isinstance(value, int | float | str | bool)


def partition_labels(skus: Sequence[Any] | pd.Index, rows: Sequence[np.ndarray]) -> list[str]:
    """A label per partition naming its first SKUs, for messages."""
    labels = []
    for k, r in enumerate(rows):
        first = ", ".join(str(skus[i]) for i in r[:SHOWN_SKUS])
        more = f", … {len(r) - SHOWN_SKUS:,} more" if len(r) > SHOWN_SKUS else ""
        labels.append(f"partition {k} ({len(r):,} SKUs: {first}{more})")
    return labels
