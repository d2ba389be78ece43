"""eccsim — an ECC memory simulator and test bench.

Codes are data (:mod:`eccsim.codes`); fast tables are derived from them (:mod:`eccsim.compile`)
and run by numba kernels through :mod:`eccsim.codec`. Bit order: :mod:`eccsim.bits`.

The names below are loaded on first use (PEP 562), so ``import eccsim`` and the ``eccsim``
command start without importing numba until a command needs it — and a Ctrl-C during that
import is an ordinary, one-line interruption of the command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .version import __version__

#: public name -> the module that defines it
_EXPORTS = {
    "Decoded": "codec", "ScrubCounts": "codec", "classify": "codec", "decode": "codec",
    "encode": "codec", "scrub": "codec", "syndromes": "codec",
    "LinearCode": "codes", "code_names": "codes", "get_code": "codes", "load_code": "codes",
    "CampaignError": "errors", "CodeError": "errors", "EccsimError": "errors",
    "FaultError": "errors", "InputError": "errors", "ModuleError": "errors",
    "ResultsError": "errors",
    "InjectionResult": "injection", "inject": "injection",
    "Memory": "memory",
    "Outcome": "outcomes", "OutcomeCounts": "outcomes",
    "STATUS_CLEAN": "status", "STATUS_DUE": "status", "STATUS_UNCORRECTABLE": "status",
    "Status": "status",
}  # fmt: skip

#: subpackages and modules reachable as attributes (``eccsim.faults.PinFault``)
_SUBMODULES = (
    "analysis", "ber", "bits", "campaign", "cli", "codec", "codes", "compile", "design",
    "dispatch", "errors", "faults", "gf2", "gf2m", "injection", "lifetime", "lifetime_runner",
    "memory", "module", "outcomes", "plots", "report", "results", "safeio", "stats", "status",
    "system", "testbench", "validate", "version", "benchmark",
)  # fmt: skip

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


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'eccsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from .codec import Decoded, ScrubCounts, classify, decode, encode, scrub, syndromes
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
