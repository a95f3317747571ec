"""Calendar of the simulation: days since ``start``, seasonality, growth, time of day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from retention.generate.segments import ACQUISITION_GROWTH_PER_YEAR, MONTH_SEASONALITY

SECONDS_PER_DAY = 86_400

# Share of orders per local hour of day (night trough, evening peak).
_HOURLY = np.array(
    [
        1,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1,
        2,
        3,
        4,
        4.5,
        5,
        5.5,
        5,
        4.8,
        4.8,
        5,
        5.5,
        6,
        6.5,
        6.5,
        5.5,
        4,
        2.5,
    ],
    dtype=np.float64,
)
_HOURLY_CDF = np.cumsum(_HOURLY) / _HOURLY.sum()


class Timeline:
    """Days are floats counted from ``start`` 00:00 UTC; the horizon ends after ``end``."""

    def __init__(self, start: date, end: date) -> None:
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        self.start = start
        self.end = end
        self.n_days = (end - start).days + 1
        self.horizon = float(self.n_days)
        self.start_epoch = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
        self.end_epoch = self.start_epoch + self.n_days * SECONDS_PER_DAY - 1  # last second
        days = np.arange(self.n_days)
        day_dates = np.datetime64(start, "D") + days
        months = day_dates.astype("datetime64[M]")
        self.first_month = months[0]
        self.month_of_day = (months - months[0]).astype(np.int64)
        self.n_months = int(self.month_of_day[-1]) + 1
        calendar_month = months.astype(np.int64) % 12  # 0 = January
        season = np.asarray(MONTH_SEASONALITY, dtype=np.float64)[calendar_month]
        self.season = season / season.mean()  # mean 1 over the window
        self.season_max = float(self.season.max())
        growth = ACQUISITION_GROWTH_PER_YEAR ** (days / 365.25)
        weekday = np.where((days + start.weekday()) % 7 >= 5, 0.9, 1.0)
        acquisition = growth * season * weekday
        self._acq_cdf = np.cumsum(acquisition) / acquisition.sum()
        self.month_starts = np.flatnonzero(np.diff(self.month_of_day, prepend=-1)).astype(float)

    def months(self) -> np.ndarray:
        """First day of every month of the window, as datetime64[D]."""
        return (self.first_month + np.arange(self.n_months)).astype("datetime64[D]")

    def sample_acquisition(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Days (float) of new-customer arrivals: growing, seasonal, fewer at weekends."""
        day = np.searchsorted(self._acq_cdf, rng.random(n), side="right")
        day = np.minimum(day, self.n_days - 1)
        return day + rng.random(n)

    def seasonal(self, t: np.ndarray) -> np.ndarray:
        """Demand multiplier on (float) day ``t``."""
        idx = np.minimum(t.astype(np.int64), self.n_days - 1)
        return self.season[idx]

    def month_index(self, t: np.ndarray) -> np.ndarray:
        idx = np.minimum(t.astype(np.int64), self.n_days - 1)
        return self.month_of_day[np.maximum(idx, 0)]

    def to_epoch_seconds(
        self, rng: np.random.Generator, t: np.ndarray, utc_offset_hours: int
    ) -> np.ndarray:
        """UTC epoch seconds of events on day ``t`` at a plausible local time of day."""
        hour = np.searchsorted(_HOURLY_CDF, rng.random(t.size), side="right")
        local = hour * 3600 + rng.integers(0, 3600, size=t.size)
        secs = np.floor(t).astype(np.int64) * SECONDS_PER_DAY + local - utc_offset_hours * 3600
        secs += self.start_epoch
        # Local evening of the last day can fall after the window in UTC (and early morning
        # of the first day before it): move those events one day instead of piling them up.
        secs = np.where(secs > self.end_epoch, secs - SECONDS_PER_DAY, secs)
        secs = np.where(secs < self.start_epoch, secs + SECONDS_PER_DAY, secs)
        return np.clip(secs, self.start_epoch, self.end_epoch)

    def day_of_epoch(self, secs: np.ndarray) -> np.ndarray:
        """Float day index of epoch seconds."""
        return (secs - self.start_epoch) / SECONDS_PER_DAY
