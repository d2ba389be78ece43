"""Fault models: what breaks, as error masks over the codewords of one line (burst).

A fault model knows the module geometry (which chip and DQ pin holds each codeword bit) but
nothing about the code. Every model can ``sample`` patterns from a seeded
``numpy.random.Generator``; finite models can also enumerate their patterns, by number
(:meth:`FaultModel.enumerate_range`), so an exhaustive run builds one block at a time.

Layers (each imports only those above it):

* :mod:`.patterns` — :class:`FaultPatterns`, the split-mask layout and what ``touched`` means;
* :mod:`.ranking` — pattern number i without listing the others (combinations, bit sets);
* :mod:`.sampling` — random helpers (distinct positions, random sub-patterns);
* :mod:`.base` — :class:`FaultModel`, modes, the enumeration limit;
* :mod:`.codeword` — :class:`BitFlips`, :class:`RandomBits`, :class:`Burst` (one codeword);
* :mod:`.physical` — :class:`PinFault`, :class:`ChipFault` (over the burst);
* :mod:`.combined` — :class:`Combined`;
* :mod:`.independent` — :class:`IndependentFlips` (``ber:P``, ``ber-line:P``: raw bit errors);
* :mod:`.names` — :func:`get_fault`, :func:`fault_names`.
"""

from __future__ import annotations

from ..bits import data_words
from ..errors import FaultError
from ..module import ModuleGeometry
from ..validate import suggest
from .base import _MODE_SUFFIX, MAX_ENUMERATION, FaultModel, _check_mode
from .codeword import BitFlips, Burst, RandomBits
from .combined import Combined
from .independent import IndependentFlips
from .names import _NAMED, _TAKES_PARAMETER, fault_names, get_fault
from .patterns import FLIP, MODES, STUCK0, STUCK1, FaultPatterns, _or_into, _with_stuck
from .physical import ChipFault, PinFault
from .ranking import _nonzero_patterns, unrank_combinations
from .sampling import _FULL, _chip_masks, _distinct_random, _random_under

__all__ = [
    "FLIP",
    "MAX_ENUMERATION",
    "MODES",
    "STUCK0",
    "STUCK1",
    "BitFlips",
    "Burst",
    "ChipFault",
    "Combined",
    "FaultError",
    "FaultModel",
    "FaultPatterns",
    "IndependentFlips",
    "ModuleGeometry",
    "PinFault",
    "RandomBits",
    "data_words",
    "fault_names",
    "get_fault",
    "suggest",
    "unrank_combinations",
]

# helpers that other modules (eccsim.ber) import by their old private names
_PRIVATE = (_FULL, _MODE_SUFFIX, _NAMED, _TAKES_PARAMETER, _check_mode, _chip_masks,
            _distinct_random, _nonzero_patterns, _or_into, _random_under, _with_stuck)  # fmt: skip
