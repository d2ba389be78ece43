"""eccsim — an ECC memory simulator and test bench.

Codes are data (:mod:`eccsim.codes`); fast tables are derived from them (:mod:`eccsim.compile`)
and run by numba kernels through :mod:`eccsim.codec`. Bit order: :mod:`eccsim.bits`.
"""

from .codec import (
    STATUS_CLEAN,
    STATUS_DUE,
    Decoded,
    InputError,
    ScrubCounts,
    classify,
    decode,
    encode,
    scrub,
    syndromes,
)
from .codes import CodeError, LinearCode, code_names, get_code, load_code
from .injection import InjectionResult, inject
from .memory import Memory
from .outcomes import Outcome, OutcomeCounts

__version__ = "0.1.0"

__all__ = [
    "STATUS_CLEAN",
    "STATUS_DUE",
    "CodeError",
    "Decoded",
    "InjectionResult",
    "InputError",
    "LinearCode",
    "Memory",
    "Outcome",
    "OutcomeCounts",
    "ScrubCounts",
    "__version__",
    "classify",
    "code_names",
    "decode",
    "encode",
    "get_code",
    "inject",
    "load_code",
    "scrub",
    "syndromes",
]
