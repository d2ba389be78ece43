"""Physical faults: a DQ pin or whole chips, over the beats of a line (burst).

A pin or chip carries bits of several codewords of the line (one per beat on the presets).
``touched`` marks the codewords a pattern changed or could change (see
:mod:`eccsim.faults.patterns`): a flipping pin touches the codewords of the beats it flipped,
not those it left alone; a stuck pin or chip touches every codeword it carries bits of.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import FaultError
from ..validate import require_choice, require_int
from .base import _MODE_SUFFIX, FaultModel, _check_mode, _optional_index
from .patterns import FLIP, FaultPatterns
from .ranking import bit_rows, unrank_combinations
from .sampling import _chip_masks, _random_under


class PinFault(FaultModel):
    """One DQ pin fails across the burst.

    ``mode="flip"``: the pin's bit flips in a random non-empty subset of the beats;
    ``"stuck-at-0"``/``"stuck-at-1"``: the pin reads that value in every beat. ``pin`` fixes the
    DQ (0..bus_width-1); by default every pin is equally likely."""

    site_kind = "dq"

    def __init__(self, mode: str = FLIP, pin: int | None = None) -> None:
        self.mode = _check_mode(mode)
        self.pin = _optional_index("pin", pin, " (a DQ pin of the module; None: any pin)")
        self.name = "pin" + _MODE_SUFFIX[mode] + ("" if self.pin is None else f"[{self.pin}]")

    @property
    def data_dependent(self):
        return self.mode != FLIP

    def _pins(self, geom):
        if self.pin is None:
            return np.arange(geom.bus_width)
        if not 0 <= self.pin < geom.bus_width:
            raise FaultError(f"pin={self.pin} must lie in 0..{geom.bus_width - 1} on {geom.name}")
        return np.array([self.pin])

    def _per_pin(self, geom) -> int:
        return (1 << geom.burst_length) - 1 if self.mode == FLIP else 1

    def count(self, geom):
        return len(self._pins(geom)) * self._per_pin(geom)

    def _patterns_at(self, geom, idx):
        # pattern i: pin i // P; flip: the beats are the bits of i % P + 1 (a non-empty set)
        pins = self._pins(geom)
        P = self._per_pin(geom)
        which, v = np.divmod(idx, P)
        if self.mode == FLIP:
            beats_mask = bit_rows(v + 1, geom.burst_length)
        else:
            beats_mask = np.ones((idx.size, geom.burst_length), dtype=bool)
        chosen = pins[which]
        p = FaultPatterns.empty(idx.size, geom, stuck=self.mode != FLIP)
        rows, beats = np.nonzero(beats_mask)
        where = geom.bits_of_dq[chosen[rows], beats]  # (·, 2) slot, bit
        p.set_bits(self.mode, rows, where[:, 0], where[:, 1], geom.k)
        p.site[:] = chosen
        return p

    def sample(self, geom, rng, m):
        pins = self._pins(geom)
        chosen = pins[rng.integers(0, len(pins), size=m)] if len(pins) > 1 else np.repeat(pins, m)
        dq_d, dq_c = geom.dq_beat_masks
        md = np.bitwise_or.reduce(dq_d, axis=1)[chosen]  # the pin's bit in every beat
        mc = np.bitwise_or.reduce(dq_c, axis=1)[chosen]
        p = FaultPatterns.empty(m, geom, stuck=self.mode != FLIP)
        if self.mode == FLIP:
            md, mc = _random_under(rng, md, mc)  # a random non-empty set of beats
        p.or_masks(self.mode, md, mc)
        p.site[:] = chosen
        return p


class ChipFault(FaultModel):
    """Whole-chip failure of ``chips`` distinct chips.

    ``mode="flip"`` with ``scope="beat"``: a random non-zero pattern over the chip's bits in one
    beat — when sampled, a beat drawn uniformly from the whole burst (or the fixed ``beat``);
    enumerated, the beats of the line's first codeword only: a flip's outcome does not depend
    on the stored data and every codeword of the line holds the same code, so the beats of the
    other codewords repeat the same cases (counts stay exact, rates unchanged).
    ``chips > 1`` fail in the same beat. With ``scope="burst"``: a random non-zero pattern over
    all the chip's bits in every beat. ``"stuck-at-0"``/``"stuck-at-1"``: every bit of the
    chip reads that value in every beat. ``chip`` fixes which chip (for ``chips=1``)."""

    site_kind = "chip"

    def __init__(
        self,
        mode: str = FLIP,
        scope: str = "beat",
        chips: int = 1,
        chip: int | None = None,
        beat: int | None = None,
    ):
        self.mode = _check_mode(mode)
        scope = require_choice("scope", scope, ("beat", "burst"), error=FaultError)
        n_chips = require_int(
            "chips", chips, 1, error=FaultError, hint=" (the number of failing chips)"
        )
        self.chip = _optional_index("chip", chip, " (a chip of the module; None: any chip)")
        if self.chip is not None and n_chips != 1:
            raise FaultError("chip= fixes a single failing chip; use it with chips=1")
        self.beat = _optional_index("beat", beat, " (a beat of the burst; None: random)")
        if self.beat is not None and (self.mode != FLIP or scope != "beat"):
            raise FaultError(
                "beat= fixes the beat of a single-beat flip (mode='flip', scope='beat'); "
                "whole-burst and stuck-at chip faults cover every beat"
            )
        self.scope, self.n_chips = scope, n_chips
        if self.n_chips > 1:
            self.site_kind = ""  # several chips fail at once: no single site to attribute
        if n_chips > 1:
            base = f"chips:{n_chips}" if mode == FLIP and scope == "beat" else f"chips{n_chips}"
        else:
            base = "chip"
        suffix = _MODE_SUFFIX[mode] if mode != FLIP else ("-burst" if scope == "burst" else "")
        self.name = base + suffix + ("" if self.chip is None else f"[{self.chip}]")
        if self.beat is not None:
            self.name += f"@beat{self.beat}"

    @property
    def data_dependent(self):
        return self.mode != FLIP

    @property
    def _one_beat(self) -> bool:
        return self.mode == FLIP and self.scope == "beat"

    def _chip_list(self, geom):
        if self.chip is not None:
            if not 0 <= self.chip < geom.chips:
                raise FaultError(f"chip={self.chip} must lie in 0..{geom.chips - 1} on {geom.name}")
            return np.array([self.chip])
        if self.n_chips > geom.chips:
            raise FaultError(f"chips={self.n_chips} exceeds the {geom.chips} chips of {geom.name}")
        return np.arange(geom.chips)

    def _check_beat(self, geom):
        if self.beat is not None and not 0 <= self.beat < geom.burst_length:
            raise FaultError(
                f"beat={self.beat} must lie in 0..{geom.burst_length - 1} on {geom.name}"
            )

    def _bits_per_chip(self, geom):
        if self.mode != FLIP:
            return 0
        return geom.chip_width * (geom.burst_length if self.scope == "burst" else 1)

    def _enum_beats(self, geom) -> np.ndarray:
        """Beats a single-beat flip pattern is enumerated in: the fixed beat, or those of the
        line's first codeword (see the class docstring)."""
        if not self._one_beat:
            return np.zeros(1, dtype=np.int64)
        self._check_beat(geom)
        if self.beat is not None:
            return np.array([self.beat], dtype=np.int64)
        return np.arange(geom.beats_per_codeword, dtype=np.int64)

    def count(self, geom):
        chips = self._chip_list(geom)
        combos = math.comb(len(chips), self.n_chips)
        if self.mode != FLIP:
            return combos
        P = (1 << self._bits_per_chip(geom)) - 1
        return combos * P**self.n_chips * len(self._enum_beats(geom))

    def _patterns_at(self, geom, idx):
        # pattern i, mixed radix (least significant first): beat, then one non-zero pattern
        # per chip, then the combination of chips (colex order)
        chips = self._chip_list(geom)
        beats = self._enum_beats(geom)
        m = idx.size
        if self.mode == FLIP:
            P = (1 << self._bits_per_chip(geom)) - 1
            rest, bi = np.divmod(idx, len(beats))
            combo_rank, pat = np.divmod(rest, P**self.n_chips)
        else:
            P, combo_rank, bi = 1, idx, np.zeros(m, dtype=np.int64)
            pat = np.zeros(m, dtype=np.int64)
        combos = chips[unrank_combinations(len(chips), self.n_chips, combo_rank)]
        beat = beats[bi]
        p = FaultPatterns.empty(m, geom, stuck=self.mode != FLIP)
        w, BL = geom.chip_width, geom.burst_length
        allbits = np.stack([geom.bits_of_chip(c) for c in range(geom.chips)])  # (chips, w*BL, 2)
        rows = np.arange(m)
        for j in range(self.n_chips):
            if self.mode != FLIP:
                sel = np.ones((m, w * BL), dtype=bool)
            else:
                bits = bit_rows((pat // P**j) % P + 1, self._bits_per_chip(geom))
                if self.scope == "burst":
                    sel = bits
                else:  # the chip's w bits of one beat (bits_of_chip is beat-major)
                    sel = np.zeros((m, w * BL), dtype=bool)
                    np.put_along_axis(sel, beat[:, None] * w + np.arange(w), bits, axis=1)
            rr, cc = np.nonzero(sel)
            where = allbits[combos[rr, j], cc]
            p.set_bits(self.mode, rows[rr], where[:, 0], where[:, 1], geom.k)
        if self.n_chips == 1:
            p.site[:] = combos[:, 0]
        return p

    def sample(self, geom, rng, m):
        chips = self._chip_list(geom)
        self._check_beat(geom)
        if self.n_chips == 1:
            chosen = chips[rng.integers(0, len(chips), size=m)][:, None]
        else:
            keys = rng.random((m, len(chips)))
            chosen = chips[np.argsort(keys, axis=1)[:, : self.n_chips]]
        p = FaultPatterns.empty(m, geom, stuck=self.mode != FLIP)
        one_beat = self._one_beat
        if one_beat:  # a beat of the whole burst: every codeword of the line is equally likely
            if self.beat is not None:
                beat = np.full(m, self.beat, dtype=np.int64)
            else:
                beat = rng.integers(0, geom.burst_length, size=m, dtype=np.int64)
            # (BL, chips, S, W) / (BL, chips, S): each chip's bits in each beat
            per_beat = [_chip_masks(geom, b) for b in range(geom.burst_length)]
            all_d = np.stack([d for d, _ in per_beat])
            all_c = np.stack([c for _, c in per_beat])
        else:
            all_d, all_c = _chip_masks(geom, None)
        for j in range(self.n_chips):
            cid = chosen[:, j]
            md, mc = (all_d[beat, cid], all_c[beat, cid]) if one_beat else (all_d[cid], all_c[cid])
            if self.mode == FLIP:
                md, mc = _random_under(rng, md, mc)
            p.or_masks(self.mode, md, mc)
        if self.n_chips == 1:
            p.site[:] = chosen[:, 0]
        return p
