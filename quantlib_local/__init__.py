"""quantlib_local: the research package of the quant workbench.

Layers (a module imports only from its own layer or below):

1. foundation: ``_typing``, ``exceptions``, ``config``, ``core``
2. I/O: ``data``, ``storage``
3. pure math: ``indicators``, ``risk`` (later ``volatility``, ``portfolio``)
4-5. decisions and simulation (later issues)
6. presentation: ``reporting``, ``cli``
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from quantlib_local.exceptions import QuantLabError

try:
    __version__ = version("quantlib-local")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["QuantLabError", "__version__"]
