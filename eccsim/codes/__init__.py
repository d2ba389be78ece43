"""Error-correcting codes as data: each family builds a :class:`LinearCode` from its H matrix."""

from ..errors import CodeError
from .catalogue import code_names, get_code
from .files import load_code
from .hamming import hamming_sec, hamming_secded
from .hsiao import hsiao_secded
from .linear import MAX_CHECK_BITS, MAX_CODE_BITS, Distance, LinearCode
from .parity import parity_byte
from .symbol import SymbolCode, interleaved_symbols, reed_solomon

__all__ = [
    "MAX_CHECK_BITS",
    "MAX_CODE_BITS",
    "CodeError",
    "Distance",
    "LinearCode",
    "SymbolCode",
    "code_names",
    "get_code",
    "hamming_sec",
    "hamming_secded",
    "hsiao_secded",
    "interleaved_symbols",
    "load_code",
    "parity_byte",
    "reed_solomon",
]
