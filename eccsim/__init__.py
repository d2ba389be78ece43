"""eccsim — an ECC memory simulator and test bench.

Codes are data (:mod:`eccsim.codes`); fast tables are derived from them (:mod:`eccsim.compile`)
and run by numba kernels through :mod:`eccsim.codec`. Bit order: :mod:`eccsim.bits`.
"""

from .codec import (
    Decoded,
    ScrubCounts,
    classify,
    decode,
    encode,
    scrub,
    syndromes,
)
from .codes import LinearCode, code_names, get_code, load_code
from .errors import (
    CampaignError,
    CodeError,
    EccsimError,
    FaultError,
    InputError,
    ModuleError,
    ResultsError,
)
from .injection import InjectionResult, inject
from .memory import Memory
from .outcomes import Outcome, OutcomeCounts
from .status import STATUS_CLEAN, STATUS_DUE, STATUS_UNCORRECTABLE, Status
from .version import __version__

__all__ = [
    "STATUS_CLEAN",
    "STATUS_DUE",
    "STATUS_UNCORRECTABLE",
    "CampaignError",
    "CodeError",
    "Decoded",
    "EccsimError",
    "FaultError",
    "InjectionResult",
    "InputError",
    "LinearCode",
    "Memory",
    "ModuleError",
    "Outcome",
    "OutcomeCounts",
    "ResultsError",
    "ScrubCounts",
    "Status",
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
