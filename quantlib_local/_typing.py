"""Type aliases shared across the package."""

from __future__ import annotations

from typing import TypeAlias, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

Float64Array: TypeAlias = npt.NDArray[np.float64]
"""A float64 NumPy array of any shape."""

ArrayLike: TypeAlias = npt.ArrayLike

SeriesOrFrame: TypeAlias = Union[pd.Series, pd.DataFrame]
"""A single series (one asset) or a frame (one column per asset)."""

OHLCVFrame: TypeAlias = pd.DataFrame
"""A frame that satisfies the OHLCV contract of :mod:`quantlib_local.data.contract`."""

SeedLike: TypeAlias = Union[int, np.random.Generator, None]
"""An integer seed, a NumPy Generator, or None for fresh OS entropy."""
