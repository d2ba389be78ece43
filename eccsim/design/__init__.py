"""Code design: search for the H matrix of a SEC-DED code that fits a module's faults best.

:func:`design_code` runs the search (:mod:`.search`: simulated annealing with restarts over
odd-weight columns, seeded and time-budgeted) on a problem validated by :mod:`.problem`, with
the objective counted exactly in syndrome space by the kernels of :mod:`._objective`; every
found code is re-counted by :mod:`eccsim.analysis` (:mod:`.verify`); :mod:`.report` compares it
with the catalogue codes on every fault model of the module and writes it as a code file.
"""

from .problem import OBJECTIVES, PREFERENCES, ChipLayout, secded_bound
from .search import DesignResult, code_from_columns, design_code, silent_counts

__all__ = [
    "OBJECTIVES",
    "PREFERENCES",
    "ChipLayout",
    "DesignResult",
    "code_from_columns",
    "design_code",
    "secded_bound",
    "silent_counts",
]
