"""Check raw tables against the canonical schemas; explain every problem found.

:func:`validate_table` turns a raw table (columns already renamed to canonical names,
values as read) into a typed canonical table and a *problems* table, one row per
problem; :func:`dataset_problems` adds the checks that need several tables or
``as_of``. :func:`backorder_analytics.data.problems.raise_or_split` then raises or sets the
offending rows aside. Only rows that are entirely empty (blank lines) are skipped,
since they hold no data.

Every check is vectorised over rows: a million order lines validate in about two
seconds from Parquet (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype
from pandas.tseries.api import guess_datetime_format  # type: ignore[attr-defined]  # not in stubs

from ..exceptions import PROBLEM_COLUMNS, DataError
from .codes import integer_codes, text_codes
from .problems import Source, finish_problems, problem_rows
from .schemas import SCHEMAS, TEXT, Column, TableSchema

__all__ = ["validate_table", "check_columns", "dataset_problems", "key_codes"]

MAX_EXACT = 2**53  # whole numbers a float64 holds exactly
TIME_ONLY = r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?"
"""A time of day with no date (``10:30``, ``10:30:15``, ``9:05 pm``)."""
MAX_COUNT = 10**12
"""Largest quantity or stock count accepted: sums over millions of lines stay exact
in int64."""
FALLBACK_FORMATS = (  # tried when pandas cannot guess a column's date format
    "%m/%d/%y", "%d/%m/%y", "%m/%d/%Y", "%d/%m/%Y", "%d-%b-%y", "%d-%b-%Y", "%d %b %Y",
    "%b %d, %Y", "%m-%d-%y", "%d-%m-%y", "%d.%m.%y",
)


# --------------------------------------------------------------------------- parsing


def _text_array(raw: pd.Series) -> pa.Array:
    """The cells as an Arrow string array, null where missing; cells that are not text
    (numbers in a spreadsheet column of ids) as their ``str()``."""
    if isinstance(raw.dtype, pd.StringDtype):
        return pa.array(raw.array)
    missing = raw.isna().to_numpy()
    values = raw.to_numpy(dtype=object)
    try:
        return pa.array(values, type=pa.string(), mask=missing)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(raw.astype(str).to_numpy(dtype=object), type=pa.string(), mask=missing)


def _plain(text: pa.Array | pa.ChunkedArray) -> bool:
    """True when every byte of the strings' character data is printable ASCII other
    than a space (``!`` to ``~``): then no cell has padding, a control character or
    spaces only, and the checks for them can be skipped. A cheap pass over the bytes;
    False (check cell by cell) when in doubt."""
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    for chunk in chunks:
        if not pa.types.is_string(chunk.type) and not pa.types.is_large_string(chunk.type):
            return False
        data = chunk.buffers()[2]
        if data is not None:
            byte = np.frombuffer(data, dtype=np.uint8)
            if len(byte) and not (byte.min() > 0x20 and byte.max() < 0x7F):
                return False
    return True


def _blank_padded(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """For Arrow strings: (missing or blank once stripped, has spaces before or after)."""
    if _plain(text):  # only an empty string or a missing cell is blank
        blank = pc.fill_null(pc.equal(pc.binary_length(text), 0), True)
        return blank.to_numpy(zero_copy_only=False), np.zeros(len(text), dtype=bool)
    trimmed = pc.utf8_trim_whitespace(text)
    blank = pc.fill_null(pc.equal(trimmed, ""), True).to_numpy(zero_copy_only=False)
    padded = pc.fill_null(pc.not_equal(trimmed, text), False).to_numpy(zero_copy_only=False)
    return blank, padded & ~blank


def _as_text(arr: pa.Array, index: pd.Index) -> pd.Series:
    """An Arrow string array as a column of the canonical text dtype."""
    return pd.Series(pd.array(arr, dtype=TEXT), index=index)


def _strip(text: pd.Series) -> pd.Series:
    """``text.str.strip()`` for a Series of str, with pyarrow's kernel."""
    stripped = pc.utf8_trim_whitespace(_text_array(text)).to_numpy(zero_copy_only=False)
    return pd.Series(stripped, index=text.index, dtype=object)


def _blank(raw: pd.Series) -> np.ndarray:
    """True where a cell holds nothing (NaN, None, NaT or an all-space string)."""
    if is_numeric_dtype(raw.dtype) or is_datetime64_any_dtype(raw.dtype):
        return raw.isna().to_numpy()
    return _blank_padded(_text_array(raw))[0]


def _parse_id(raw: pd.Series, col: Column, found: list) -> pd.Series:
    if is_numeric_dtype(raw.dtype) and raw.dtype != bool:
        # Spreadsheets and Parquet may hold ids as numbers; 123.0 is the id "123".
        numbers = raw.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(numbers) & (numbers == np.round(numbers))
        inexact = whole & (np.abs(numbers) > MAX_EXACT)
        if inexact.any() and raw.dtype.kind == "f":
            pos = np.flatnonzero(inexact)
            found.append(problem_rows(
                pos, col.name, raw.iloc[pos], "an id stored as a number too large to be "
                f"exact (beyond {MAX_EXACT:,}): different ids may have become one",
                f"store {col.name} as text in the source"))
        small = whole & ~inexact
        as_int = np.where(small, numbers, 0).astype(np.int64)
        exact = raw.astype(str).to_numpy(dtype=object) if raw.dtype.kind in "iu" else None
        raw_text = pd.Series(np.where(small, as_int.astype(str), raw.astype(str))
                             if exact is None else exact, index=raw.index, dtype=object)
        raw_text[raw.isna().to_numpy()] = None
    else:
        raw_text = raw
        if raw.dtype == object and pd.api.types.infer_dtype(raw, skipna=True) != "string":
            nested = raw.map(lambda v: isinstance(v, list | tuple | set | dict | np.ndarray)
                             ).to_numpy(dtype=bool)
            if nested.any():
                pos = np.flatnonzero(nested)
                found.append(problem_rows(pos, col.name, raw.iloc[pos].map(repr),
                                          "a list of values, not one id",
                                          f"give each row one {col.name} (e.g. "
                                          f"df.explode('{col.name}') before loading)"))
                raw_text = raw.where(~nested, "[list]")
    text = _text_array(raw_text)
    control = np.zeros(len(text), dtype=bool) if _plain(text) else pc.fill_null(
        pc.match_substring_regex(  # inside the id: padding is below
            pc.utf8_trim_whitespace(text), r"[\x00-\x1f\x7f]"), False).to_numpy(
        zero_copy_only=False)
    if control.any():
        pos = np.flatnonzero(control)
        found.append(problem_rows(
            pos, col.name, [repr(v) for v in text.take(pa.array(pos)).to_pylist()],
            "contains a control character (a tab, line break or NUL byte)",
            f"remove it from {col.name} in the source"))
    blank, padded = _blank_padded(text)
    if col.required and blank.any():
        pos = np.flatnonzero(blank)
        found.append(problem_rows(pos, col.name, raw.iloc[pos], f"missing {col.name}",
                                  f"fill in {col.name} on these rows or remove them"))
    if padded.any():
        pos = np.flatnonzero(padded)
        found.append(problem_rows(
            pos, col.name, [repr(v) for v in text.take(pa.array(pos)).to_pylist()],
            "has spaces before or after it",
            f"remove the surrounding spaces from {col.name} in the source "
            f"(e.g. df['{col.name}'] = df['{col.name}'].str.strip() before loading)",
        ))
    if blank.any():
        text = pc.if_else(pa.array(blank), pa.scalar(None, text.type), text)
    return _as_text(text, raw.index)


def _to_numbers(raw: pd.Series, thousands: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Numbers (float64) and a mask of cells that held something but not a number."""
    blank = _blank(raw)
    if is_numeric_dtype(raw.dtype) and raw.dtype != bool:
        return (raw.to_numpy(dtype=float, na_value=np.nan, copy=True),
                np.zeros(len(raw), dtype=bool))
    text = pd.Series(None, index=raw.index, dtype=object)
    text[~blank] = _strip(raw[~blank].astype(str))
    if thousands:
        text = text.where(blank, text.str.replace(thousands, "", regex=False))
    numbers = pd.to_numeric(text.where(~blank, None),  # type: ignore[call-overload]
                            errors="coerce")  # pandas-stubs: where() with other=None
    numbers = numbers.to_numpy(dtype=float, na_value=np.nan, copy=True)
    not_number = ~blank & np.isnan(numbers)
    # pandas' fast parser may be off in the last digit (0.30000000000000004 -> 0.3):
    # re-read the numbers it accepted with numpy's correctly rounded one
    ok = ~np.isnan(numbers)
    numbers[ok] = text.to_numpy()[ok].astype(np.float64)
    return numbers, not_number


def _parse_number(raw: pd.Series, col: Column, found: list, thousands: str | None) -> pd.Series:
    numbers, not_number = _to_numbers(raw, thousands)
    if not_number.any():
        pos = np.flatnonzero(not_number)
        hint = ("" if thousands else
                "; if ',' separates thousands here, pass thousands=','")
        found.append(problem_rows(pos, col.name, raw.iloc[pos], "not a number",
                               f"write {col.name} as {col.expected}{hint}"))
    missing = np.isnan(numbers) & ~not_number
    if col.required and missing.any():
        pos = np.flatnonzero(missing)
        found.append(problem_rows(pos, col.name, raw.iloc[pos], f"missing {col.name}",
                               f"fill in {col.name} on these rows or remove them"))
    present = ~np.isnan(numbers)
    with np.errstate(invalid="ignore"):
        checks = [(np.isinf(numbers), "not a finite number")]
        if col.kind in ("count", "stock", "integer"):
            finite = np.isfinite(numbers)
            checks.append((finite & (np.abs(numbers) > MAX_COUNT),
                           f"too large (more than {MAX_COUNT:,}; overflow)"))
            checks.append((finite & (numbers != np.round(numbers)), "not a whole number"))
        if col.kind == "count":
            checks.append((present & (numbers <= 0), "not > 0"))
        if col.kind == "stock":
            checks.append((present & (numbers < 0), "negative"))
        if col.kind == "amount":
            checks.append((present & (numbers < 0), "negative"))
    bad_any = np.zeros(len(raw), dtype=bool)
    for bad, problem in checks:
        bad &= ~bad_any  # one problem per cell is enough
        if bad.any():
            pos = np.flatnonzero(bad)
            found.append(problem_rows(pos, col.name, raw.iloc[pos], problem,
                                   f"write {col.name} as {col.expected}"))
        bad_any |= bad
    if col.kind == "integer" and not col.required:
        # priority: a blank cell means the default, 0
        numbers = np.where(np.isnan(numbers), 0.0, numbers)
    usable = np.isfinite(numbers) & ~bad_any
    if col.dtype == "int64":  # bad cells get 0: their rows are rejected or raised
        return pd.Series(np.where(usable, numbers, 0).astype(np.int64), index=raw.index)
    if col.dtype == "Int64":
        whole = pd.array(np.where(usable, numbers, 0).astype(np.int64), dtype="Int64")
        whole[~usable] = pd.NA
        return pd.Series(whole, index=raw.index)
    return pd.Series(np.where(bad_any, np.nan, numbers), index=raw.index)


def _in_nanosecond_range(dates: pd.Series) -> pd.Series:
    """``dates`` as ``datetime64[ns]``, NaT where they do not fit (years before 1677 or
    after 2262; pandas 3 parses them at a coarser resolution, pandas 2 gives NaT), so
    that they are reported as beyond the range in either."""
    if dates.dt.unit == "ns":
        return dates
    fits = (dates >= pd.Timestamp.min) & (dates <= pd.Timestamp.max)
    return dates.where(fits).astype("datetime64[ns]")


def _parse_date(raw: pd.Series, col: Column, found: list, date_format,
                dayfirst: bool) -> pd.Series:
    blank = _blank(raw)
    if is_datetime64_any_dtype(raw.dtype):
        dates = raw
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
        bad = np.zeros(len(raw), dtype=bool)
        try:
            if dates.dtype != "datetime64[ns]":
                dates = dates.astype("datetime64[ns]")
        except pd.errors.OutOfBoundsDatetime:  # e.g. Parquet microseconds in year 3000
            beyond = ((dates < pd.Timestamp.min) | (dates > pd.Timestamp.max)).to_numpy()
            found.append(_beyond_range(np.flatnonzero(beyond), col,
                                       raw[beyond].astype(str)))
            dates = dates.where(~beyond).astype("datetime64[ns]")
            bad = beyond
    else:
        kind = pd.api.types.infer_dtype(raw[~blank], skipna=True)
        is_text = raw.map(lambda v: isinstance(v, str)).to_numpy() if kind != "string" else ~blank
        if kind == "string" or kind == "mixed":
            text = _strip(raw[is_text & ~blank].astype(str))
        else:
            text = pd.Series([], dtype=object)
        dates = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        others = ~is_text & ~blank
        reported = np.zeros(len(raw), dtype=bool)  # a problem of their own already
        if others.any():
            dates[others], reported[others] = _non_text_dates(raw[others], col, found,
                                                              np.flatnonzero(others))
        fmt = date_format.get(col.name) if isinstance(date_format, dict) else date_format
        explicit = fmt is not None
        if fmt is None and len(text):
            fmt = _guess_format(text, dayfirst)
        if len(text):
            if fmt is not None:
                try:
                    parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
                except ValueError as err:
                    raise DataError(f"date_format {fmt!r} for column {col.name!r} is not a "
                                    f"strftime format ({err}). Fix: use directives such "
                                    "as '%Y-%m-%d' or '%d/%m/%Y %H:%M' (see Python's "
                                    "strftime documentation).") from None
            else:
                parsed = pd.to_datetime(text, format="mixed", dayfirst=dayfirst,
                                        errors="coerce", utc=True)
            # a time zone is converted to UTC and dropped (as for as_of); none: as written
            parsed = parsed.dt.tz_localize(None)
            time_only = text.str.fullmatch(TIME_ONLY).to_numpy(dtype=bool)
            if time_only.any():  # pandas would put today's date on them
                parsed = parsed.where(~time_only)
                where = raw.index.get_indexer(text.index[time_only])
                found.append(problem_rows(where, col.name, text[time_only],
                                          "a time of day without a date",
                                          f"write {col.name} as a date, with the time if "
                                          "you have it (2024-01-05 10:30)"))
                reported[where] = True
            dates[text.index] = _in_nanosecond_range(parsed)
        bad = ~blank & dates.isna().to_numpy() & ~reported
        if bad.any():
            values = raw.iloc[np.flatnonzero(bad)].astype(str).str.strip()
            beyond = _beyond_pandas(values, fmt)
            if beyond.any():
                found.append(_beyond_range(np.flatnonzero(bad)[beyond], col, values[beyond]))
                bad[np.flatnonzero(bad)[beyond]] = False
        if bad.any():
            pos = np.flatnonzero(bad)
            values = raw.iloc[pos].astype(str).str.strip()
            if fmt is not None and not explicit:
                # (a date has digits: a month name alone, "March", is not one)
                other_format = (pd.to_datetime(values, format="mixed", dayfirst=dayfirst,
                                               errors="coerce").notna()
                                & values.str.contains(r"\d")).to_numpy()
            else:
                other_format = np.zeros(len(pos), dtype=bool)
            shown = fmt or "ISO 8601"
            for mask, problem, fix in (
                (other_format, f"a date in another format than the {shown} of the other rows",
                 "write every date in one format, or pass date_format='...' "
                 f"(date_format={{'{col.name}': '...'}} for this column alone; and "
                 "dayfirst=True for day/month/year)"),
                (~other_format, "not a date",
                 f"write {col.name} as a date ({shown}), or leave it blank if unknown"
                 if not col.required else
                 f"write {col.name} as a date ({shown}); pass date_format='...' if the "
                 f"dates are in another format (date_format={{'{col.name}': '...'}} for "
                 "this column alone)"),
            ):
                if mask.any():
                    found.append(problem_rows(pos[mask], col.name, values[mask], problem, fix))
    if col.required:
        missing = blank & ~bad
        if missing.any():
            pos = np.flatnonzero(missing)
            found.append(problem_rows(pos, col.name, raw.iloc[pos], f"missing {col.name}",
                                   f"fill in {col.name} on these rows or remove them"))
    return dates


def _beyond_range(positions: np.ndarray, col: Column, values) -> pd.DataFrame:
    return problem_rows(positions, col.name, values,
                        f"a date outside the range pandas can hold ({pd.Timestamp.min.date()} "
                        f"to {pd.Timestamp.max.date()})",
                        f"check {col.name} on these rows (a placeholder such as 3000-01-01 "
                        "for 'never'? leave it blank instead)")


def _beyond_pandas(values: pd.Series, fmt: str | None) -> np.ndarray:
    """Which text dates pandas could not read only because they lie outside its range
    (Python's ``datetime`` reads them: years 1 to 9999)."""
    def readable(v: str) -> bool:
        for parse in ((lambda x: datetime.datetime.strptime(x, fmt)) if fmt else None,
                      datetime.datetime.fromisoformat):
            try:
                when = parse(v) if parse else None
            except ValueError:
                continue
            if when is not None:
                when = when.replace(tzinfo=None)
                return not (pd.Timestamp.min <= when <= pd.Timestamp.max)
        return False

    return np.array([readable(v) for v in values], dtype=bool)


def _non_text_dates(raw: pd.Series, col: Column, found: list, positions: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Dates from cells that are not text (at ``positions`` of the column): date
    objects as they are; whole numbers written ``yyyymmdd`` (20240105) as those dates;
    any other number is reported, never read as nanoseconds since 1970. Returns the
    dates and which cells were reported."""
    is_number = raw.map(lambda v: isinstance(v, int | float | np.number)
                        and not isinstance(v, bool)).to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    reported = np.zeros(len(raw), dtype=bool)
    if (~is_number).any():
        out[~is_number] = pd.to_datetime(raw[~is_number], errors="coerce")
        beyond = ~is_number & out.isna().to_numpy() & raw.map(
            lambda v: isinstance(v, datetime.date)).to_numpy(dtype=bool)
        if beyond.any():
            pos = np.flatnonzero(beyond)
            reported[pos] = True
            found.append(_beyond_range(positions[pos], col, raw.iloc[pos]))
    if is_number.any():
        numbers = raw[is_number].astype(float)
        ymd = pd.to_datetime(numbers.where(numbers == np.round(numbers)).map(
            lambda v: f"{v:.0f}" if v == v else None), format="%Y%m%d", errors="coerce")
        out[is_number] = ymd.to_numpy()
        bad = ymd.isna().to_numpy()
        reported[np.flatnonzero(is_number)[bad]] = True
        if bad.any():
            pos = np.flatnonzero(is_number)[bad]
            found.append(problem_rows(
                positions[pos], col.name, raw.iloc[pos], "a number, not a date",
                f"write {col.name} as a date; Excel day numbers convert with "
                "pd.to_datetime(x, unit='D', origin='1899-12-30'), Unix seconds with "
                "pd.to_datetime(x, unit='s')"))
    return out.to_numpy(), reported


def _guess_format(text: pd.Series, dayfirst: bool) -> str | None:
    """The ``strftime`` format most of the first distinct values follow, if any.

    ``dayfirst`` decides only day/month/year against month/day/year: a value that starts
    with the year is read year-month-day. Values pandas cannot guess a format for (two-digit
    years, days without a leading zero: ``1/5/07``, ``2-Jun-06``) are tried against
    ``FALLBACK_FORMATS`` and get the one that reads most of them.
    """
    sample = text.drop_duplicates().head(50)
    guesses = pd.Series([_guess_one(v, dayfirst) for v in sample], dtype=object).dropna()
    if len(guesses):
        return guesses.mode().iloc[0]
    formats = sorted(FALLBACK_FORMATS, key=lambda f: f.startswith("%d") != dayfirst)
    read = [pd.to_datetime(sample, format=f, errors="coerce").notna().sum() for f in formats]
    best = int(np.argmax(read))
    return formats[best] if read[best] else None


def _guess_one(value: str, dayfirst: bool) -> str | None:
    guess = guess_datetime_format(value, dayfirst=dayfirst)
    if dayfirst and guess is not None and guess.startswith("%Y"):
        guess = guess_datetime_format(value, dayfirst=False)
    return guess


def _parse_text(raw: pd.Series) -> pd.Series:
    return _as_text(_text_array(raw), raw.index)


# ------------------------------------------------------------------------- the checks


def check_columns(raw: pd.DataFrame, schema: TableSchema, source: Source) -> pd.DataFrame:
    """Check that required columns are there; drop empty unnamed columns.

    Raises :class:`DataError` for a missing required column (nothing can be loaded
    then) or an unnamed column that holds data.
    """
    missing = [c for c in schema.required if c not in raw.columns]
    if missing:
        lower = {str(c).strip().lower(): c for c in raw.columns}
        hints = {lower[m]: m for m in missing if m in lower}
        hint = f" Pass column_map={hints!r}." if hints else (
            " Pass column_map={'<your column>': '<canonical name>'} to map your columns.")
        problems = pd.DataFrame({
            "table": schema.name, "source": source.name, "row": pd.NA, "column": missing,
            "value": None, "problem": "missing column", "fix": hint.strip(),
        }, columns=PROBLEM_COLUMNS)
        raise DataError(
            f"{source.name}: the {schema.name} table has no column "
            f"{', '.join(repr(m) for m in missing)}. Expected columns: "
            f"{', '.join(schema.required)} (required), "
            f"{', '.join(c for c in schema.names if c not in schema.required)} (optional). "
            f"Found: {', '.join(repr(str(c)) for c in raw.columns)}.{hint}",
            problems,
        )
    unnamed = [c for c in raw.columns if str(c).startswith("Unnamed:") or str(c).strip() == ""]
    for c in unnamed:
        filled = ~_blank(raw[c])
        if filled.any():
            first = int(np.flatnonzero(filled)[0])
            problems = pd.DataFrame({
                "table": schema.name, "source": source.name, "row": [source.row(first)],
                "column": [str(c)], "value": [raw[c].iloc[first]],
                "problem": ["column without a header holds data"],
                "fix": ["give the column a header, or delete it"],
            })
            position = list(raw.columns).index(c) + 1
            raise DataError(
                f"{source.name}: column {position} has no header (read as {str(c)!r}) but "
                f"holds data, e.g. {raw[c].iloc[first]!r} on {source.row_word} "
                f"{source.row(first)}. Expected every column to have a name. Fix: give the "
                "column a header, or delete it.",
                problems,
            )
    return raw.drop(columns=unnamed) if unnamed else raw


def date_order_problems(clean: pd.DataFrame) -> list[pd.DataFrame]:
    """Received, expected or cancelled before the order was placed."""
    positions, found = clean.index.to_numpy(), []
    for late, early, problem in (
        ("received_date", "order_date", "received before it was ordered"),
        ("expected_date", "order_date", "expected before it was ordered"),
        ("cancel_date", "order_date", "cancelled before it was ordered"),
    ):
        if late in clean and early in clean:
            bad = (clean[late] < clean[early]).to_numpy()
            if bad.any():
                pos = np.flatnonzero(bad)
                values = (clean[late].iloc[pos].dt.strftime("%Y-%m-%d").to_numpy() + " < "
                          + clean[early].iloc[pos].dt.strftime("%Y-%m-%d").to_numpy())
                found.append(problem_rows(positions[pos], late, values, problem,
                                          f"check {late} and {early} on these rows"))
    return found


OVER_RECEIPT = 2.0
"""A purchase order received at more than this many times its quantity is set aside."""


def receipt_problems(clean: pd.DataFrame) -> list[pd.DataFrame]:
    """A ``received_quantity`` without a ``received_date``, or more than
    :data:`OVER_RECEIPT` times the quantity ordered."""
    if "received_quantity" not in clean:
        return []
    positions, found = clean.index.to_numpy(), []
    got = clean["received_quantity"].to_numpy(dtype=float, na_value=np.nan)
    has = ~np.isnan(got)
    if "received_date" in clean:
        undated = has & clean["received_date"].isna().to_numpy()
        if undated.any():
            pos = np.flatnonzero(undated)
            found.append(problem_rows(positions[pos], "received_quantity", got[pos],
                                      "a received quantity without a received_date",
                                      "fill in received_date, or clear received_quantity if "
                                      "nothing arrived yet"))
    ordered = clean["quantity"].to_numpy(dtype=float) if "quantity" in clean else got
    over = has & (got > OVER_RECEIPT * ordered)
    if over.any():
        pos = np.flatnonzero(over)
        found.append(problem_rows(positions[pos], "received_quantity", got[pos],
                                  f"received more than {OVER_RECEIPT:g} times the quantity "
                                  "ordered", "check received_quantity and quantity on these "
                                  "rows (a unit of measure, or a typo?)"))
    return found


def after_as_of_problems(clean: pd.DataFrame, schema: TableSchema, as_of) -> list[pd.DataFrame]:
    """Dates that must be past (``schema.past_dates``) but lie after the day of ``as_of``."""
    as_of = pd.Timestamp(as_of)
    limit = as_of.normalize() + pd.Timedelta(days=1)
    positions, found = clean.index.to_numpy(), []
    for name in schema.past_dates:
        if name in clean:
            bad = (clean[name] >= limit).to_numpy()
            if bad.any():
                pos = np.flatnonzero(bad)
                found.append(problem_rows(
                    positions[pos], name, clean[name].iloc[pos].dt.strftime("%Y-%m-%d"),
                    f"after as_of ({as_of.date()})", f"check {name}, or pass a later as_of"))
    return found


def _maybe_repeated(frame: pd.DataFrame, columns: list[str]) -> bool:
    """False when no combination of ``columns`` repeats in ``frame``; True when one
    may (keys with a missing part count as equal here), which the exact check then
    settles. From each column's codes, combined into one integer per row and sorted
    (a few bytes per row)."""
    combined, _ = _combined_codes([[frame[c]] for c in columns])
    combined.sort()
    return bool((combined[1:] == combined[:-1]).any())


def _combined_codes(columns: list[list[pd.Series]]) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row for a key of several columns (each column given as its parts,
    one per table, stacked), equal for equal keys; and where a part is missing. Renumbered
    when the next product could overflow int64."""
    combined, n = _part_codes(columns[0])  # a new array: updated in place
    missing = combined < 0
    combined += 1
    bound = n + 1  # combined < bound
    for parts in columns[1:]:
        codes, n = _part_codes(parts)
        if bound > np.iinfo(np.int64).max // (n + 1):
            combined, bound = integer_codes(combined)
        missing |= codes < 0
        combined *= n + 1  # in place: one array of the rows at a time
        combined += codes
        combined += 1
        bound *= n + 1
        del codes
    return combined, missing


def _part_codes(parts: list[pd.Series]) -> tuple[np.ndarray, int]:
    """Codes of one key column of one or more tables, taken together: equal values get
    equal codes, missing -1; and the number of distinct values. Text is read in place
    from Arrow's buffers (:func:`~backorder_analytics.data.codes.text_codes`)."""
    if all(isinstance(p.dtype, pd.StringDtype) for p in parts):
        return text_codes([_text_array(p) for p in parts])
    codes, uniques = pd.factorize(pd.concat(parts, ignore_index=True))
    return codes.astype(np.int64, copy=False), len(uniques)


def duplicate_key_problems(clean: pd.DataFrame, schema: TableSchema) -> list[pd.DataFrame]:
    """Rows whose key repeats an earlier row's; each names the first row (``_first``)."""
    key = list(schema.key_for(list(clean.columns)))
    if not key or not _maybe_repeated(clean, key):  # the usual case, cheaply
        return []
    codes, _, n_keys = key_codes(clean, clean.iloc[:0], key)
    valid = codes >= 0
    first = np.full(n_keys, len(codes), np.int64)
    np.minimum.at(first, codes[valid], np.flatnonzero(valid))
    dup = valid & (first[np.where(valid, codes, 0)] != np.arange(len(codes)))
    if not dup.any():
        return []
    pos = np.flatnonzero(dup)
    values = clean[key].iloc[pos].astype(str).agg(" / ".join, axis=1)
    whole = {"orders": "order", "purchase_orders": "PO"}.get(schema.name)
    fix = ("remove the repeated rows" if whole is None or "line_id" in key
           else "remove the repeated rows, or add a line_id column to tell the "
                f"lines of one {whole} apart (e.g. separate shipments of a PO)")
    index = clean.index.to_numpy()
    piece = problem_rows(index[pos], key[-1], values, f"duplicate {' / '.join(key)}", fix)
    piece["_first"] = index[first[codes[pos]]]
    return [piece]


def unknown_sku_problems(tables: dict[str, pd.DataFrame]) -> dict[str, list[pd.DataFrame]]:
    """SKUs not in the item master (or, without one, not in the inventory table). An
    empty table is no reference: it lists no SKU because it holds no row (a header
    only, as :func:`~backorder_analytics.write_dataset` writes the stock counts of
    sales-only data), not because no SKU exists."""
    reference = next((n for n in ("items", "inventory") if n in tables and len(tables[n])),
                     None)
    if reference is None:
        return {}
    known = tables[reference]["sku"].unique()
    found = {}
    for name, table in tables.items():
        unknown = ~table["sku"].isin(known).to_numpy()
        if name != reference and unknown.any():
            found[name] = [problem_rows(
                table.index[unknown], "sku", table.loc[unknown, "sku"],
                f"unknown SKU (not in the {reference} table)",
                f"add the SKU to the {reference} table, or correct it here")]
    return found


def key_codes(left: pd.DataFrame, right: pd.DataFrame, columns: list[str]
              ) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes of the key ``columns`` of two tables, shared: equal keys get equal
    codes; a key with a missing part gets -1. Returns (left codes, right codes, number
    of distinct keys)."""
    n = len(left)
    combined, missing = _combined_codes([[left[c], right[c]] for c in columns])
    codes, n_keys = integer_codes(combined)
    codes[missing] = -1
    return codes[:n], codes[n:], n_keys


def overshipped_problems(orders: pd.DataFrame, shipments: pd.DataFrame) -> list[pd.DataFrame]:
    """Shipments of order lines that are not in ``orders``, or of more than was ordered."""
    line = (["order_id", "line_id"] if "line_id" in shipments and "line_id" in orders
            else ["order_id", "sku"])
    o_code, s_code, n = key_codes(orders, shipments, line)
    known = o_code >= 0
    ordered = np.bincount(o_code[known], orders["quantity"].to_numpy(np.int64)[known], n)
    in_orders = np.bincount(o_code[known], minlength=n) > 0
    ok = s_code >= 0
    shipped = np.bincount(s_code[ok], shipments["quantity"].to_numpy(np.int64)[ok], n)
    code = np.where(ok, s_code, 0)
    over = ~ok | ~in_orders[code] | (shipped[code] > ordered[code])
    found = []
    if over.any():
        found.append(problem_rows(
            shipments.index[over], "quantity", shipments.loc[over, "quantity"],
            "shipped more than the order line's quantity, or an order line that is not "
            "in the orders table (or was rejected)", "check the shipments against the orders"))
    if "ship_date" in shipments and "order_date" in orders:
        first_order = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        order_dates = orders["order_date"].to_numpy("datetime64[ns]")
        order = np.argsort(order_dates[known], kind="stable")[::-1]  # earliest written last
        first_order[o_code[known][order]] = order_dates[known][order]
        ship = shipments["ship_date"].to_numpy("datetime64[ns]")
        early = ~over & ok & (ship < first_order[code])
        if early.any():
            found.append(problem_rows(
                shipments.index[early], "ship_date", shipments.loc[early, "ship_date"],
                "shipped before its order line was ordered",
                "check ship_date against the order's order_date"))
    return found


def dataset_problems(tables: dict[str, pd.DataFrame], sources: dict[str, Source],
                     as_of=None) -> pd.DataFrame:
    """Problems that need more than one table, or ``as_of``: unknown SKUs, over-shipped
    order lines, dates after ``as_of``. ``tables`` hold the rows that passed the
    per-table checks, indexed by position in their source."""
    found: dict[str, list[pd.DataFrame]] = {name: [] for name in tables}
    for name, pieces in unknown_sku_problems(tables).items():
        found[name] += pieces
    if as_of is not None:
        for name, table in tables.items():
            found[name] += after_as_of_problems(table, SCHEMAS[name], as_of)
    if "shipments" in tables and "orders" in tables:  # against the orders still kept
        orders = tables["orders"]
        if found["orders"]:
            gone = np.unique(np.concatenate([f["_pos"].to_numpy() for f in found["orders"]]))
            orders = orders.drop(gone, errors="ignore")
        found["shipments"] += overshipped_problems(orders, tables["shipments"])
    finished = [finish_problems(pd.concat(pieces, ignore_index=True), name, sources[name])
                for name, pieces in found.items() if pieces]
    return pd.concat(finished, ignore_index=True) if finished else pd.DataFrame()


def validate_table(
    raw: pd.DataFrame,
    schema: TableSchema,
    source: Source,
    *,
    as_of=None,
    date_format: str | dict[str, str] | None = None,
    dayfirst: bool = False,
    thousands: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse and check a raw table against ``schema``.

    Parameters
    ----------
    raw : pandas.DataFrame
        Columns renamed to canonical names; values as read (text or typed).
    schema : TableSchema
        The canonical table to check against.
    source : Source
        Where the table came from, for messages and row numbers.
    as_of : date-like, optional
        Dates in ``schema.past_dates`` after this day are problems.
    date_format : str or dict, optional
        ``strftime`` format of every date column, or a format per column
        (``{"order_date": "%m/%d/%y"}``); inferred from each column's first values when
        omitted (rows in other formats are then reported).
    dayfirst : bool
        Read ambiguous dates such as 03/04/2024 as day/month/year.
    thousands : str, optional
        Thousands separator in numbers, e.g. ``","``.

    Returns
    -------
    clean : pandas.DataFrame
        All rows, typed; canonical columns first in schema order, other columns after.
        Its index is the 0-based position in ``raw``.
    problems : pandas.DataFrame
        One row per problem: ``table, source, row, column, value, problem, fix`` and
        ``_pos`` (0-based position), empty when there is none.
    """
    raw = check_columns(raw, schema, source)
    if not raw.index.equals(pd.RangeIndex(len(raw))):
        raw = raw.reset_index(drop=True)
    blank_rows = np.ones(len(raw), dtype=bool)
    for c in raw.columns:
        blank_rows &= _blank(raw[c])
    found: list[pd.DataFrame] = []
    clean = {}
    for col in schema.columns:
        if col.name not in raw:
            continue
        values = raw[col.name]
        if col.kind == "id":
            clean[col.name] = _parse_id(values, col, found)
        elif col.kind == "date":
            clean[col.name] = _parse_date(values, col, found, date_format, dayfirst)
        elif col.kind == "text":
            clean[col.name] = _parse_text(values)
        else:
            clean[col.name] = _parse_number(values, col, found, thousands)
    extra = [c for c in raw.columns if c not in clean]
    table = pd.DataFrame(clean, index=raw.index, copy=False)  # the parsed arrays, no copy
    for c in extra:
        table[c] = raw[c]
    if blank_rows.any():
        keep = ~blank_rows
        table = table[keep]
        found = [f[keep[f["_pos"].to_numpy()]] for f in found]
    found += (date_order_problems(table) + receipt_problems(table)
              + duplicate_key_problems(table, schema))
    if as_of is not None:
        found += after_as_of_problems(table, schema, as_of)
    if found:
        problems = pd.concat(found, ignore_index=True)
    else:
        problems = pd.DataFrame(columns=["_pos", "column", "value", "problem", "fix"])
    return table, finish_problems(problems, schema.name, source)
