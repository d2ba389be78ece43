"""Memory-module geometry: chips, DQ pins, beats, and where each codeword bit lives.

A module moves ``chips * chip_width`` bits per beat over its DQ pins; chip ``c`` drives DQ
``c*w .. c*w + w - 1``. An access (one line) is ``burst_length`` beats. Each codeword spans
``beats_per_codeword`` consecutive beats, so a line holds ``burst_length / beats_per_codeword``
codewords ("slots"). Within a codeword, data bit ``i`` travels in beat ``i // D`` on the i-th
data DQ (data chips in order), check bit ``j`` in beat ``j // C`` on the j-th check DQ, where D
and C are the data and check DQ counts. For the classic 9-chip x8 DIMM this means codeword bit
b is DQ b of its beat: chips 0-7 carry data bytes 0-7, chip 8 the 8 check bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import ModuleError
from .validate import is_int, require_int, require_str, suggest


@dataclass(frozen=True)
class ModuleGeometry:
    """Geometry of one memory module (one rank); see the module docstring for the bit mapping."""

    name: str
    chips: int
    chip_width: int
    burst_length: int
    check_chips: tuple[int, ...]
    beats_per_codeword: int = 1
    summary: str = ""

    def __post_init__(self) -> None:
        require_str("name", self.name, error=ModuleError)
        for field in ("chips", "chip_width", "burst_length", "beats_per_codeword"):
            require_int(field, getattr(self, field), error=ModuleError)
        if isinstance(self.check_chips, str | bytes) or not all(
            is_int(c) for c in _as_tuple(self.check_chips)
        ):
            raise ModuleError(
                f"check_chips={self.check_chips!r} must be a tuple of chip indices (whole numbers)"
            )
        object.__setattr__(self, "check_chips", tuple(int(c) for c in self.check_chips))
        if self.chip_width not in (4, 8, 16):
            raise ModuleError(f"chip_width={self.chip_width}: DRAM chips are x4, x8 or x16")
        if self.chips < 2:
            raise ModuleError(f"chips={self.chips}: a module needs at least 2 chips")
        if self.burst_length < 1:
            raise ModuleError(f"burst_length={self.burst_length} must be at least 1")
        if self.beats_per_codeword < 1 or self.burst_length % self.beats_per_codeword:
            raise ModuleError(
                f"beats_per_codeword={self.beats_per_codeword} must divide "
                f"burst_length={self.burst_length}"
            )
        bad = [c for c in self.check_chips if not 0 <= c < self.chips]
        if bad or len(set(self.check_chips)) != len(self.check_chips) or not self.check_chips:
            raise ModuleError(
                f"check_chips={self.check_chips}: need distinct chip indices in 0..{self.chips - 1}"
            )
        if len(self.check_chips) >= self.chips:
            raise ModuleError("at least one chip must carry data")

    # ----- sizes -------------------------------------------------------------------------------
    @property
    def bus_width(self) -> int:
        """DQ pins per beat (bits)."""
        return self.chips * self.chip_width

    @property
    def data_chips(self) -> tuple[int, ...]:
        return tuple(c for c in range(self.chips) if c not in self.check_chips)

    @property
    def k(self) -> int:
        """Data bits per codeword."""
        return len(self.data_chips) * self.chip_width * self.beats_per_codeword

    @property
    def r(self) -> int:
        """Check bits per codeword."""
        return len(self.check_chips) * self.chip_width * self.beats_per_codeword

    @property
    def n(self) -> int:
        """Codeword length in bits."""
        return self.k + self.r

    @property
    def slots(self) -> int:
        """Codewords per line (burst)."""
        return self.burst_length // self.beats_per_codeword

    @property
    def line_bytes(self) -> int:
        """Data bytes per line (one burst)."""
        return self.k * self.slots // 8

    # ----- the bit map -------------------------------------------------------------------------
    @cached_property
    def dq_of_bit(self) -> np.ndarray:
        """``(n,)``: DQ pin (0..bus_width-1) that carries codeword bit b."""
        w = self.chip_width
        data_dq = np.array([c * w + p for c in self.data_chips for p in range(w)])
        check_dq = np.array([c * w + p for c in self.check_chips for p in range(w)])
        k_beat, r_beat = data_dq.size, check_dq.size
        b = np.arange(self.n)
        return np.where(b < self.k, data_dq[b % k_beat], check_dq[(b - self.k) % r_beat])

    @cached_property
    def beat_offset_of_bit(self) -> np.ndarray:
        """``(n,)``: beat within the codeword's own beats that carries codeword bit b."""
        k_beat = len(self.data_chips) * self.chip_width
        r_beat = len(self.check_chips) * self.chip_width
        b = np.arange(self.n)
        return np.where(b < self.k, b // k_beat, (b - self.k) // r_beat)

    @property
    def chip_of_bit(self) -> np.ndarray:
        """``(n,)``: chip that stores codeword bit b."""
        return self.dq_of_bit // self.chip_width

    def beat_of(self, slot: int, bit: int) -> int:
        """Beat of the burst that carries codeword ``bit`` of codeword ``slot``."""
        slot = require_int("slot", slot, 0, self.slots - 1, error=ModuleError)
        bit = require_int("bit", bit, 0, self.n - 1, error=ModuleError)
        return slot * self.beats_per_codeword + int(self.beat_offset_of_bit[bit])

    def locate(self, bit: int, slot: int = 0) -> tuple[int, int, int]:
        """``(chip, pin within chip, beat)`` of codeword bit ``bit`` in codeword ``slot``."""
        bit = require_int("bit", bit, 0, self.n - 1, error=ModuleError)
        slot = require_int("slot", slot, 0, self.slots - 1, error=ModuleError)
        dq = int(self.dq_of_bit[bit])
        return dq // self.chip_width, dq % self.chip_width, self.beat_of(slot, bit)

    def bit_at(self, dq: int, beat: int) -> tuple[int, int]:
        """``(slot, codeword bit)`` carried by DQ ``dq`` in beat ``beat`` of the burst."""
        if not (is_int(dq) and is_int(beat)) or not (
            0 <= dq < self.bus_width and 0 <= beat < self.burst_length
        ):
            raise ModuleError(
                f"dq={dq}, beat={beat} outside 0..{self.bus_width - 1} x 0..{self.burst_length - 1}"
            )
        slot, off = divmod(beat, self.beats_per_codeword)
        hit = np.nonzero((self.dq_of_bit == dq) & (self.beat_offset_of_bit == off))[0]
        return slot, int(hit[0])

    @cached_property
    def bits_of_dq(self) -> np.ndarray:
        """``(bus_width, burst_length, 2)``: (slot, codeword bit) for every DQ and beat."""
        out = np.zeros((self.bus_width, self.burst_length, 2), dtype=np.int64)
        for beat in range(self.burst_length):
            slot, off = divmod(beat, self.beats_per_codeword)
            sel = np.nonzero(self.beat_offset_of_bit == off)[0]
            out[self.dq_of_bit[sel], beat, 0] = slot
            out[self.dq_of_bit[sel], beat, 1] = sel
        return out

    def bits_of_chip(self, chip: int) -> np.ndarray:
        """``(chip_width * burst_length, 2)``: every (slot, codeword bit) stored by ``chip``,
        ordered beat-major then pin (the order a chip drives them)."""
        chip = require_int("chip", chip, 0, self.chips - 1, error=ModuleError)
        w = self.chip_width
        sub = self.bits_of_dq[chip * w : chip * w + w]  # (w, BL, 2)
        return sub.transpose(1, 0, 2).reshape(-1, 2)

    @cached_property
    def dq_beat_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """Error-mask form of the bit map: for DQ pin ``q`` and beat ``t``, the line's
        ``(S, W)`` data-word mask and ``(S,)`` check mask of the one codeword bit it carries.
        Shapes ``(bus_width, burst_length, S, W)`` uint64 and ``(bus_width, burst_length, S)``
        uint64 (layout of :mod:`eccsim.bits`); OR them to mask chips, pins or beats."""
        from .bits import data_words

        W = data_words(self.k)
        md = np.zeros((self.bus_width, self.burst_length, self.slots, W), dtype=np.uint64)
        mc = np.zeros((self.bus_width, self.burst_length, self.slots), dtype=np.uint64)
        for q in range(self.bus_width):
            for t in range(self.burst_length):
                slot, bit = (int(x) for x in self.bits_of_dq[q, t])
                if bit < self.k:
                    md[q, t, slot, bit // 64] = np.uint64(1) << np.uint64(bit % 64)
                else:
                    mc[q, t, slot] = np.uint64(1) << np.uint64(bit - self.k)
        md.setflags(write=False)
        mc.setflags(write=False)
        return md, mc

    def chip_masks(self, beat: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(chips, S, W)`` and ``(chips, S)`` masks of every bit each chip stores in the line
        (or only in ``beat``)."""
        md, mc = self.dq_beat_masks
        if beat is not None:
            beat = require_int("beat", beat, 0, self.burst_length - 1, error=ModuleError)
            md, mc = md[:, beat : beat + 1], mc[:, beat : beat + 1]
        w = self.chip_width
        d = np.bitwise_or.reduce(md, axis=1).reshape(self.chips, w, *md.shape[2:])
        c = np.bitwise_or.reduce(mc, axis=1).reshape(self.chips, w, -1)
        return np.bitwise_or.reduce(d, axis=1), np.bitwise_or.reduce(c, axis=1)

    def check_code(self, code) -> None:
        """Raise :class:`ModuleError` unless ``code`` has this module's (n, k) and, for a code
        over symbols (any code with a ``symbols`` layout, e.g. Chipkill), unless every symbol
        lies on one chip: a chip failure must stay inside one symbol for symbol correction to
        mean chip correction."""
        if code.n != self.n or code.k != self.k:
            raise ModuleError(
                f"code {code.name!r} is ({code.n},{code.k}) but module {self.name!r} stores "
                f"({self.n},{self.k}) codewords"
            )
        symbols = getattr(code, "symbols", None)
        if symbols is None:
            return
        chip = self.chip_of_bit
        for s, bits in enumerate(symbols):
            chips = sorted({int(chip[b]) for b in bits})
            if len(chips) > 1:
                m = len(bits)
                raise ModuleError(
                    f"code {code.name!r} does not fit module {self.name!r}: its {m}-bit symbol "
                    f"{s} spans chips {chips}; the module's chips carry {self.chip_width} bits "
                    f"x {self.beats_per_codeword} beat(s) = {self.chip_width * self.beats_per_codeword}"
                    f" bits of each codeword, sent {self.chip_width} per beat"
                )

    def describe(self) -> str:
        chips = f"{self.chips} x{self.chip_width} chips"
        return (
            f"{self.name}: {chips} ({len(self.data_chips)} data + {len(self.check_chips)} check), "
            f"{self.bus_width}-bit bus, burst of {self.burst_length} beats = "
            f"{self.line_bytes}-byte line in {self.slots} ({self.n},{self.k}) codewords"
            + (f" — {self.summary}" if self.summary else "")
        )


def _as_tuple(x) -> tuple:
    try:
        return tuple(x)
    except TypeError:
        return (x,)


_PRESETS: dict[str, ModuleGeometry] = {
    g.name: g
    for g in (
        ModuleGeometry(
            "x8-ecc-dimm",
            chips=9,
            chip_width=8,
            burst_length=8,
            check_chips=(8,),
            summary="classic ECC DIMM: 8 data chips + 1 check chip, one (72,64) word per beat",
        ),
        ModuleGeometry(
            "x4-ecc-dimm",
            chips=18,
            chip_width=4,
            burst_length=8,
            check_chips=(16, 17),
            summary="18 x4 chips: 16 data + 2 check, one (72,64) word per beat",
        ),
        ModuleGeometry(
            "x4-chipkill-dimm",
            chips=18,
            chip_width=4,
            burst_length=8,
            check_chips=(16, 17),
            beats_per_codeword=2,
            summary="18 x4 chips, one (144,128) codeword per 2 beats: each chip sends 4 DQ x 2 "
            "beats = one 8-bit symbol (x4 Chipkill)",
        ),
        ModuleGeometry(
            "x8-lockstep-2dimm",
            chips=18,
            chip_width=8,
            burst_length=8,
            check_chips=(8, 17),
            summary="two 9-chip x8 ECC DIMMs in lock-step (144-bit bus), one (144,128) codeword "
            "per beat: each chip sends one 8-bit symbol (x8 SDDC)",
        ),
        ModuleGeometry(
            "x4-lockstep-2dimm",
            chips=36,
            chip_width=4,
            burst_length=8,
            check_chips=(16, 17, 34, 35),
            beats_per_codeword=2,
            summary="two 18-chip x4 ECC DIMMs in lock-step (144-bit bus), one (288,256) codeword "
            "per 2 beats: 32 data + 4 check symbols of 4 DQ x 2 beats (x4 SSC-DSD)",
        ),
        ModuleGeometry(
            "ddr5-x4-subchannel",
            chips=10,
            chip_width=4,
            burst_length=16,
            check_chips=(8, 9),
            beats_per_codeword=2,
            summary="DDR5 sub-channel: 10 x4 chips (8 data + 2 ECC), 40-bit bus, burst of 16: "
            "64-byte line in 8 (80,64) codewords, each chip one 8-bit symbol per 2 beats",
        ),
    )
}


def module_names() -> list[str]:
    return list(_PRESETS)


def get_module(name: str | ModuleGeometry) -> ModuleGeometry:
    """A module preset by name (or pass a :class:`ModuleGeometry` through)."""
    if isinstance(name, ModuleGeometry):
        return name
    if not isinstance(name, str):
        raise ModuleError(
            f"module={name!r} must be a preset name ({', '.join(module_names())}) or a "
            f"ModuleGeometry, not {type(name).__name__}"
        )
    try:
        return _PRESETS[name]
    except KeyError:
        raise ModuleError(
            f"unknown module {name!r}{suggest(str(name), module_names())}; known modules: "
            f"{', '.join(module_names())}"
        ) from None
