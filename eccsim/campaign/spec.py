"""What a campaign runs: :class:`CampaignSpec` (codes x fault models x data patterns on one
module, mode, trials, seed, chunk size, confidence) and its optional :class:`StopRule`, read
from a dict or a TOML ``[campaign]`` table and validated in full before anything runs.

Booleans are not numbers here: ``trials = true`` or ``min_events = true`` is refused, not taken
as 1."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from ..codes import get_code
from ..errors import CampaignError, LimitError
from ..faults import get_fault
from ..injection import BLOCK
from ..module import get_module
from ..outcomes import OUTCOME_LABELS
from ..safeio import read_text
from ..validate import require_int, require_number
from .data import DATA_PATTERNS, check_data_name, load_data

MODES = ("auto", "exhaustive", "monte-carlo")
STOP_OUTCOMES = (*OUTCOME_LABELS, "sdc")
#: most trials per job: counts stay far inside int64 and a campaign stays a campaign
MAX_TRIALS = 10**15
#: most trials per chunk: a chunk's per-block bookkeeping is allocated at once
MAX_CHUNK = 1 << 24


@dataclass(frozen=True)
class StopRule:
    """Stop a Monte Carlo job early, at a chunk boundary, once ``outcome`` has at least
    ``min_events`` events and (if given) its relative CI half-width is at most ``rel_ci``.
    The counts watched are the job's codewords, or its lines for a fault model whose
    ``level`` is "line" (``ber-line:P``)."""

    outcome: str = "sdc"
    min_events: int = 0
    rel_ci: float | None = None

    def satisfied(self, counts, confidence: float) -> bool:
        k = counts[self.outcome]
        if k < max(self.min_events, 1):
            return False
        if self.rel_ci is None:
            return True
        from ..stats import relative_half_width

        return relative_half_width(k, counts.total, confidence) <= self.rel_ci

    def __post_init__(self) -> None:
        self.validate()  # a bad rule never exists as an object

    def validate(self) -> None:
        if not isinstance(self.outcome, str) or self.outcome not in STOP_OUTCOMES:
            raise CampaignError(
                f"stop.outcome={self.outcome!r} is unknown; choose one of {', '.join(STOP_OUTCOMES)}"
            )
        require_int("stop.min_events", self.min_events, 0, error=CampaignError)
        if self.rel_ci is not None:
            require_number("stop.rel_ci", self.rel_ci, 0, 1, open_interval=True,
                           error=CampaignError)  # fmt: skip


#: default faults of a campaign of codes on one module (codeword and module faults)
CODE_FAULTS = ("bit", "bits:2", "bits:3", "bits:4", "burst:4", "pin", "chip", "chip-burst")
#: default faults of a campaign of memory systems (device faults, :mod:`eccsim.faults.device`)
SYSTEM_FAULTS = ("cell", "cell:2", "pin", "chip", "chips:2")


@dataclass(frozen=True)
class CampaignSpec:
    """What to run. ``trials`` is per (code, fault, data) job in Monte Carlo mode (the cap,
    when a stop rule is given); ``chunk`` is trials per checkpointed chunk (a multiple of 4096).

    Types and ranges are checked when a spec is built (:meth:`check_values`), so a spec with
    ``trials=True``, ``seed=-1`` or ``confidence=1.0`` never exists; :meth:`validate` also
    resolves the names (codes, module, faults, data files)."""

    codes: tuple[str, ...] = ("parity-byte", "hamming-secded", "hsiao-secded")
    module: str = "x8-ecc-dimm"
    faults: tuple[str, ...] = CODE_FAULTS
    mode: str = "auto"
    trials: int = 1_000_000
    data: tuple[str, ...] = ("random",)
    seed: int = 2026
    chunk: int = 262144
    exhaustive_limit: int = 2_000_000
    confidence: float = 0.95
    stop: StopRule | None = None

    def __post_init__(self) -> None:
        for name in ("codes", "faults", "data"):
            if isinstance(getattr(self, name), list):  # a frozen spec holds tuples
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.faults == CODE_FAULTS and isinstance(self.codes, tuple) and self.systems:
            object.__setattr__(self, "faults", SYSTEM_FAULTS)  # the defaults of a system campaign
        self.check_values()

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("codes", "faults", "data"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str = "spec") -> CampaignSpec:
        if not isinstance(d, dict):
            raise CampaignError(f"{where}: expected a table of campaign settings")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(str(k) for k in set(d) - known)
        if unknown:
            raise CampaignError(
                f"{where}: unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
            )
        kw = dict(d)
        for k in ("codes", "faults", "data"):
            if k in kw:
                v = kw[k]
                if isinstance(v, str):
                    v = [v]
                if (
                    not isinstance(v, list | tuple)
                    or not all(isinstance(x, str) for x in v)
                    or not v
                ):
                    raise CampaignError(f"{where}: {k} must be a non-empty list of names")
                kw[k] = tuple(v)
        if kw.get("stop") is not None:
            s = kw["stop"]
            if isinstance(s, StopRule):
                pass
            elif isinstance(s, dict):
                bad = sorted(str(k) for k in set(s) - {"outcome", "min_events", "rel_ci"})
                if bad:
                    raise CampaignError(f"{where}: unknown stop setting(s) {', '.join(bad)}; "
                                        "allowed: outcome, min_events, rel_ci")  # fmt: skip
                kw["stop"] = StopRule(**s)
            else:
                raise CampaignError(f"{where}: stop must be a table (outcome, min_events, rel_ci)")
        spec = cls(**kw)
        spec.validate()
        return spec

    @classmethod
    def from_toml(cls, path: str | Path) -> CampaignSpec:
        """Read ``[campaign]`` (and optional ``[campaign.stop]``) from a TOML file."""
        p = Path(path)
        text = read_text(p, what="spec file", error=CampaignError)
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CampaignError(f"{p}: malformed TOML ({exc})") from None
        except RecursionError:
            raise CampaignError(f"{p}: malformed TOML (nested too deeply)") from None
        if "campaign" not in doc:
            raise CampaignError(f"{p}: no [campaign] table")
        return cls.from_dict(doc["campaign"], where=str(p))

    def check_values(self) -> None:
        """Check every setting's type and range (no name lookups); raise
        :class:`CampaignError` (or :class:`LimitError` for sizes over a limit) naming the
        first problem. Run when the spec is built."""
        for name in ("codes", "faults", "data"):
            v = getattr(self, name)
            if not isinstance(v, tuple | list) or not v or not all(isinstance(x, str) for x in v):
                raise CampaignError(f"{name} must be a non-empty list of names, got {v!r}")
        if not isinstance(self.module, str):
            raise CampaignError(f"module={self.module!r} must be a module name")
        if not isinstance(self.mode, str) or self.mode not in MODES:
            raise CampaignError(f"mode={self.mode!r} is unknown; choose one of {', '.join(MODES)}")
        trials = require_int("trials", self.trials, 1, error=CampaignError)
        if trials > MAX_TRIALS:
            raise LimitError(f"trials={trials:,} is over the limit of {MAX_TRIALS:,} per job")
        chunk = require_int("chunk", self.chunk, BLOCK, error=CampaignError)
        if chunk % BLOCK:
            raise CampaignError(f"chunk={chunk} must be a multiple of {BLOCK}")
        if chunk > MAX_CHUNK:
            raise LimitError(f"chunk={chunk:,} is over the limit of {MAX_CHUNK:,} trials")
        require_int("seed", self.seed, 0, error=CampaignError)
        require_int("exhaustive_limit", self.exhaustive_limit, 0, error=CampaignError)
        require_number("confidence", self.confidence, 0, 1, open_interval=True,
                       error=CampaignError)  # fmt: skip
        if self.stop is not None:
            if not isinstance(self.stop, StopRule):
                raise CampaignError(f"stop={self.stop!r} must be a StopRule or None")
            self.stop.validate()

    @property
    def systems(self) -> bool:
        """True when the campaign compares memory systems (``codes`` entries read
        ``RANK@MODULE[+ondie=CODE]``, see :mod:`eccsim.system`) under device faults, each on its
        own module, instead of codes on ``module``."""
        return any(isinstance(c, str) and "@" in c for c in self.codes)

    def _validate_systems(self) -> None:
        from ..faults.device import get_device_fault
        from ..system import get_system

        plain = [c for c in self.codes if "@" not in c]
        if plain:
            raise CampaignError(
                f"codes: {plain[0]!r} is a code but other entries are memory systems; a campaign "
                f"compares codes on one module or systems (RANK@MODULE) - write "
                f"{plain[0]}@{self.module} to run it as a system"
            )
        if tuple(self.data) != ("random",):
            raise CampaignError(
                "data: a memory-system campaign decodes error patterns (flips), which do not "
                "depend on the stored data; leave data at ['random']"
            )
        for c in self.codes:
            s = get_system(c)
            for f in self.faults:
                get_device_fault(f).count(s.module, s.stored_bits)

    def validate(self, *, data_files: bool = True) -> None:
        """Check every number (again: see :meth:`check_values`) and resolve every name;
        raise :class:`CampaignError` (or :class:`LimitError` for sizes over a limit) naming
        the first problem. ``data_files``: also read and check every ``.npy`` data file."""
        self.check_values()
        if self.systems:
            self._validate_systems()
            return
        geom = get_module(self.module)
        for c in self.codes:
            geom.check_code(get_code(c))
        for f in self.faults:
            get_fault(f).count(geom)
        for d in self.data:
            check_data_name(d)
            if data_files and d not in DATA_PATTERNS:
                load_data(d, geom)
