"""What a code search is asked: the codeword's size, which chip stores each codeword bit, the
fault models whose silent outcomes to minimise and the secondary preferences — validated, with
the bounds that make a request impossible named in the message.

The search keeps eccsim's codeword layout (data bits 0..k-1, check bit j = codeword bit k + j,
H systematic ``[A | I_r]``: check bit j's column is the unit vector e_j) and chooses the data
columns among the odd-weight r-bit vectors of weight >= 3 (Hsiao's family). Every code of that
family is SEC-DED by construction — distinct non-zero columns correct every 1-bit error, and a
2-bit error's syndrome has even weight, so it is neither 0 nor a column — and every code of the
module's layout has a systematic form, so fixing the check columns loses nothing. Odd columns
exist for SEC-DED exactly up to the general bound: ``k <= 2**(r-1) - r``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import comb

import numpy as np

from ..codes import code_names
from ..codes.catalogue import DESIGN_COMMANDS
from ..codes.linear import MAX_NAME_CHARS
from ..errors import InputError, LimitError, ModuleError
from ..module import ModuleGeometry, get_module
from ..validate import is_int, require_int, suggest

#: the fault models a search can minimise (``chips:2`` is the pair model; K and L are numbers)
OBJECTIVES = ("chip", "chips:2", "burst:L", "bits:K")
#: secondary preferences, applied in the order given, always below one silent pattern
PREFERENCES = ("triples", "rows", "ones")
#: syndrome tables of 2**r entries: the search needs r <= this
MAX_DESIGN_R = 16
#: ``bits:K`` counts every K-subset of codeword bits; K at most this
MAX_BITS_K = 8
#: a chip stores at most this many bits of a codeword (its 2**b - 1 patterns are walked)
MAX_CHIP_BITS = 16


@dataclass(frozen=True)
class ChipLayout:
    """Codeword bits grouped by the chip that stores them (one codeword: a module's
    ``chip_of_bit``), with the code's size. ``chips[c]`` lists chip c's codeword bits."""

    name: str
    n: int
    k: int
    chips: tuple[tuple[int, ...], ...]
    geometry: ModuleGeometry | None = None  #: the module it was read from, if any

    @property
    def r(self) -> int:
        return self.n - self.k

    @classmethod
    def of_module(cls, module: ModuleGeometry | str) -> ChipLayout:
        geom = get_module(module)
        chip_of = geom.chip_of_bit
        chips = tuple(tuple(int(b) for b in np.nonzero(chip_of == c)[0]) for c in range(geom.chips))
        return cls(geom.name, geom.n, geom.k, chips, geom)

    def validate(self) -> ChipLayout:
        n = require_int("n", self.n, 2, error=InputError)
        require_int("k", self.k, 1, n - 1, error=InputError, hint=" (fewer data bits than n)")
        seen = sorted(b for c in self.chips for b in c)
        if seen != list(range(n)):
            raise InputError(f"layout {self.name!r}: its chips must hold codeword bits 0..{n - 1} "
                             "once each")  # fmt: skip
        big = max(len(c) for c in self.chips)
        if big > MAX_CHIP_BITS:
            raise LimitError(f"layout {self.name!r}: a chip stores {big} bits of a codeword; the "
                             f"search walks every chip pattern, at most {MAX_CHIP_BITS} bits")  # fmt: skip
        return self


_NAME_BAD = re.compile(r"[\s=#]")


def check_design_name(name, layout_name: str = "") -> str:
    """The found code's name, checked before the search: it is written into a code file's
    ``# eccsim: name=...`` directive, so one token of 1..MAX_NAME_CHARS printable characters
    without whitespace, ``=`` or ``#``; and not a catalogue code's name (that code would be
    shadowed), except the shipped found codes, whose documented commands name them. ``None``:
    ``design-LAYOUT`` (any such character of the layout's name made ``-``)."""
    if name is None:
        return _NAME_BAD.sub("-", f"design-{layout_name}")[:MAX_NAME_CHARS]
    if not isinstance(name, str):
        raise InputError(f"name={name!r} (--name) must be a string")
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable() or _NAME_BAD.search(name):
        raise InputError(
            f"name={name[: MAX_NAME_CHARS + 20]!r} (--name): a code name is one token of "
            f"1..{MAX_NAME_CHARS} printable characters without spaces, '=' or '#' (it is "
            "written as name=... in the code file's '# eccsim:' line)"
        )
    if name in code_names() and name not in DESIGN_COMMANDS:
        raise InputError(
            f"name={name!r} (--name) is a catalogue code's name; choose another (the found code "
            "would be shadowed by the catalogue's in the comparison and in --codes)"
        )
    return name


def secded_bound(r: int) -> int:
    """Most data bits of a SEC-DED code with r check bits: ``2**(r-1) - r`` (odd-weight
    columns of weight >= 3; the same as the general bound n <= 2**(r-1))."""
    return (1 << (r - 1)) - r


def check_size(n: int, k: int) -> None:
    """Refuse an (n, k) no odd-column SEC-DED search can serve, naming the bound."""
    r = n - k
    if r < 3:
        raise InputError(f"(n, k) = ({n}, {k}): SEC-DED needs at least 3 check bits, not r={r}")
    if r > MAX_DESIGN_R:
        raise LimitError(f"(n, k) = ({n}, {k}): r={r} check bits; the search keeps 2**r-entry "
                         f"syndrome tables, so r <= {MAX_DESIGN_R}")  # fmt: skip
    if k > secded_bound(r):
        need = next(q for q in range(r, MAX_DESIGN_R + 40) if secded_bound(q) >= k)
        raise InputError(
            f"(n, k) = ({n}, {k}): too few check bits for SEC-DED — r={r} allows at most "
            f"k <= 2**(r-1) - r = {secded_bound(r)} data bits; k={k} needs r >= {need}"
        )


def parse_objective(text) -> tuple[int, int, str]:
    """``'chip'``, ``'chips:2'``, ``'burst:L'`` or ``'bits:K'`` -> (kind, parameter, name)."""
    from ._objective import OBJ_BITS, OBJ_BURST, OBJ_CHIP, OBJ_PAIRS

    if not isinstance(text, str):
        raise InputError(f"objective={text!r} must be a fault model name: {', '.join(OBJECTIVES)}")
    name, _, arg = text.strip().partition(":")
    if name == "chip" and not arg:
        return OBJ_CHIP, 0, "chip"
    if name == "chips" and arg in ("", "2"):
        return OBJ_PAIRS, 2, "chips:2"
    if name in ("burst", "bits"):
        try:
            v = int(arg) if arg else (4 if name == "burst" else 3)
        except ValueError:
            v = None
        if name == "bits" and v is not None and 1 <= v <= MAX_BITS_K:
            return OBJ_BITS, v, f"bits:{v}"
        if name == "burst" and v is not None and v >= 1:
            return OBJ_BURST, v, f"burst:{v}"
        what = f"1..{MAX_BITS_K}" if name == "bits" else "a positive length"
        raise InputError(f"objective {text!r}: {name}:N needs N = {what}")
    raise InputError(
        f"objective {text!r} is not one the search minimises{suggest(name, ('chip', 'chips', 'burst', 'bits'))}; "
        f"choose from {', '.join(OBJECTIVES)} (chips:2 = every pair of chips)"
    )


@dataclass(frozen=True)
class Problem:
    """A validated search request (see :func:`make_problem`)."""

    layout: ChipLayout
    objectives: tuple[str, ...]
    kinds: np.ndarray  # int64 per objective
    params: np.ndarray  # int64 per objective
    prefer: tuple[str, ...]
    weights: np.ndarray  # float64: triples, rows, ones (0 when not preferred)

    @property
    def n(self) -> int:
        return self.layout.n

    @property
    def k(self) -> int:
        return self.layout.k

    @property
    def r(self) -> int:
        return self.layout.r


def make_problem(layout: ChipLayout | ModuleGeometry | str, objectives, prefer,
                 n=None, k=None) -> Problem:  # fmt: skip
    """Validate a request: the layout (a module preset, a :class:`ModuleGeometry` or a
    :class:`ChipLayout`), ``n``/``k`` when given (they must match it), the objectives and the
    preferences. The secondary weights are lexicographic and stay below one silent pattern:
    the first preferred term is scaled to less than 1/2 over its whole range, each later one
    to less than one step of the term before it."""
    if isinstance(layout, ChipLayout):
        lay = layout.validate()
    else:
        lay = ChipLayout.of_module(layout)
    for key, v, have in (("n", n, lay.n), ("k", k, lay.k)):
        if v is None:
            continue
        if not is_int(v):
            raise InputError(f"{key}={v!r} must be a whole number")
        if int(v) != have:
            raise ModuleError(
                f"{key}={v} does not match module {lay.name!r}, which stores ({lay.n},{lay.k}) "
                f"codewords; give n={lay.n}, k={lay.k} or another module"
            )
    check_size(lay.n, lay.k)
    if isinstance(objectives, str):
        objectives = [x for x in objectives.split(",") if x.strip()]
    if not objectives:
        raise InputError(f"objectives: name at least one of {', '.join(OBJECTIVES)}")
    parsed = [parse_objective(o) for o in objectives]
    names = tuple(p[2] for p in parsed)
    if len(set(names)) != len(names):
        raise InputError(f"objectives {list(names)} name a fault model twice")
    for _kind, v, nm in parsed:
        if nm.startswith("burst") and v > lay.n:
            raise InputError(f"objective {nm}: the burst is longer than the codeword (n={lay.n})")
    if isinstance(prefer, str):
        prefer = [x.strip() for x in prefer.split(",") if x.strip() and x.strip() != "none"]
    prefer = tuple(prefer or ())
    for p in prefer:
        if p not in PREFERENCES:
            raise InputError(f"prefer={p!r} is unknown{suggest(str(p), PREFERENCES)}; choose from "
                             f"{', '.join(PREFERENCES)} (or none)")  # fmt: skip
    if len(set(prefer)) != len(prefer):
        raise InputError(f"prefer={list(prefer)} names a preference twice")
    bounds = {"triples": comb(lay.n, 3) + 1, "rows": lay.n + 1, "ones": lay.n * lay.r + 1}
    w = {p: 0.0 for p in PREFERENCES}
    scale = 0.5
    for p in prefer:  # lexicographic: one step of a term outweighs every later term's range
        scale /= bounds[p]
        w[p] = scale
    return Problem(
        lay,
        names,
        np.array([p[0] for p in parsed], dtype=np.int64),
        np.array([p[1] for p in parsed], dtype=np.int64),
        prefer,
        np.array([w["triples"], w["rows"], w["ones"]], dtype=np.float64),
    )
