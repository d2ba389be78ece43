"""RTL plug-in: a Verilog/SystemVerilog encoder and decoder simulated with cocotb on Icarus
Verilog, behind the :class:`~eccsim.testbench.dut.DUT` interface.

Set-up (Debian/Ubuntu): ``apt-get install -y iverilog`` and ``pip install cocotb`` (or
``pip install -e ".[rtl]"``).

**Ports.** The user names the encoder and decoder modules and which of their ports play each
role (``ports={ROLE: PORT}``; defaults in :data:`DEFAULT_PORTS`):

=====================  =========  ====  ==================================================
role                   module     dir   width / meaning
=====================  =========  ====  ==================================================
``enc_data``           encoder    in    k: data bit i is port bit i
``enc_check``          encoder    out   r: check bit j is port bit j
``dec_data``           decoder    in    k: received data
``dec_check``          decoder    in    r: received check bits
``dec_data_out``       decoder    out   k: the data the decoder delivers (corrected)
``dec_check_out``      decoder    out   r: corrected check bits (optional: used when the
                                        module has the port, ignored when set to None)
``dec_corrected``      decoder    out   1: "single error" — saw an error and fixed it
``dec_uncorrectable``  decoder    out   1: "double error" — saw an error it cannot fix
=====================  =========  ====  ==================================================

Every other input port the design needs (mode pins, enables, a reset held inactive) is held
at a constant: ``constants={"mode": 1}``; ``"enc.PORT"`` / ``"dec.PORT"`` name one module's
port, a bare ``"PORT"`` every named module that has it. Check bits are in the order the design
produces and consumes them (port bit j = check bit j); the checks infer that order.

**Timing.** ``latency=0``: combinational — one vector per simulator time step. ``latency=L``
(L >= 1) with ``clock="clk"``: one vector per cycle (the design must accept a new word every
cycle); the outputs sampled just after rising edge ``e`` belong to the word applied before edge
``e - L + 1``. ``latency`` and ``clock`` take one value for both modules or a mapping
``{"encoder": ..., "decoder": ...}``; a combinational module without the clock port is fine.

**Running.** Each module is compiled once (``iverilog -g2012``) into a private temporary folder
when the DUT is made, and its ports are probed (one short simulation per module) so that a
missing module or port, or a width that does not match k and r, is reported at once. Each
``encode``/``decode`` call writes its words to a file; one simulation (``vvp`` with cocotb's VPI
library, running the cocotb test in :mod:`eccsim.testbench.rtl_cocotb`) applies up to :attr:`RTLDUT.batch_size` of
them and writes the outputs to a file, which is parsed. Simulations run as child processes in
their own session with a wall-clock limit (``timeout_s`` per simulation and per compile) and
are killed with eccsim's process (``PR_SET_PDEATHSIG`` on Linux) however it dies. Every failure
— sources missing or not compiling (the compiler's first error line), a module or port that
does not exist, a width mismatch, X/Z on an output, a time-out, iverilog or cocotb not
installed — is a one-line :class:`~eccsim.testbench.dut.DUTError`.

Only Icarus Verilog is supported: cocotb 2 needs Verilator >= 5.036, newer than the Verilator
Debian ships.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..bits import data_words
from ..validate import is_int, suggest
from .dut import DecodeOut, DUTError

#: role -> (module, direction, width: "k", "r" or a number of bits)
ROLES: dict[str, tuple[str, str, str | int]] = {
    "enc_data": ("encoder", "in", "k"),
    "enc_check": ("encoder", "out", "r"),
    "dec_data": ("decoder", "in", "k"),
    "dec_check": ("decoder", "in", "r"),
    "dec_data_out": ("decoder", "out", "k"),
    "dec_check_out": ("decoder", "out", "r"),
    "dec_corrected": ("decoder", "out", 1),
    "dec_uncorrectable": ("decoder", "out", 1),
}

#: the port names used for roles the user does not name
DEFAULT_PORTS: dict[str, str] = {
    "enc_data": "data",
    "enc_check": "check",
    "dec_data": "data",
    "dec_check": "check",
    "dec_data_out": "data_out",
    "dec_check_out": "check_out",
    "dec_corrected": "corrected",
    "dec_uncorrectable": "uncorrectable",
}

OPTIONAL_ROLES = frozenset({"dec_check_out"})
SIMULATORS = ("icarus",)
_KINDS = ("encoder", "decoder")
_PREFIX = {"enc": "encoder", "dec": "decoder", "encoder": "encoder", "decoder": "decoder"}
_INSTALL_IVERILOG = "apt-get install -y iverilog"
_INSTALL_COCOTB = "pip install cocotb"
_COCOTB_MIN = (2, 1)  # cocotb_tools.config.lib_entry / pygpi_entry_point
_PR_SET_PDEATHSIG = 1
#: the cocotb test, copied under this name into the DUT's folder so that the simulator's Python
#: imports cocotb and the standard library only (not eccsim and numpy: faster starts)
_TEST_MODULE = "eccsim_rtl_cocotb"


# ---------------------------------------------------------------------------------------------
# tools
# ---------------------------------------------------------------------------------------------
def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:2])


def tool_problem() -> str | None:
    """Why RTL simulation cannot run here (what to install), or None when it can."""
    for exe in ("iverilog", "vvp"):
        if shutil.which(exe) is None:
            return f"Icarus Verilog is not installed ({exe} is not on PATH): {_INSTALL_IVERILOG}"
    if importlib.util.find_spec("cocotb") is None or importlib.util.find_spec("cocotb_tools") is None:  # fmt: skip
        return f"cocotb is not installed: {_INSTALL_COCOTB}"
    try:
        version = importlib.metadata.version("cocotb")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source checkout
        return None
    if _version_tuple(version) < _COCOTB_MIN:
        return f"cocotb {version} is too old (eccsim needs >= 2.1): pip install -U cocotb"
    if not os.environ.get("LIBPYTHON_LOC") and not os.environ.get("GPI_USERS"):
        import find_libpython  # a dependency of cocotb

        if find_libpython.find_libpython() is None:
            return (
                "cocotb needs the shared Python library (libpython), which this Python lacks: "
                "use a Python built with --enable-shared (Debian: python3-dev) or set LIBPYTHON_LOC"
            )
    return None


def _sim_env() -> dict[str, str]:
    """The environment cocotb's runner would give the simulator (cocotb 2: PYGPI/GPI_USERS)."""
    import cocotb_tools.config as cfg
    import find_libpython

    env = dict(os.environ)
    if "GPI_USERS" not in env:
        libpython = env.get("LIBPYTHON_LOC") or find_libpython.find_libpython()
        if libpython is None:
            raise DUTError("cocotb cannot find libpython (the shared Python library); set LIBPYTHON_LOC")  # fmt: skip
        env["GPI_USERS"] = f"{libpython};{cfg.pygpi_entry_point()}"
    env["PATH"] = env.get("PATH", "") + os.pathsep + str(cfg.libs_dir)
    env["PYTHONPATH"] = os.pathsep.join(sys.path)  # workdir is put first per DUT
    env["PYGPI_PYTHON_BIN"] = sys.executable
    env["COCOTB_TEST_MODULES"] = _TEST_MODULE
    env["TOPLEVEL_LANG"] = "verilog"
    env["COCOTB_ANSI_OUTPUT"] = "0"
    env.pop("COCOTB_TEST_FILTER", None)
    return env


_prctl = None


def _child_setup(parent: int):
    """preexec_fn: the child is SIGKILLed when eccsim dies (Linux), even before prctl ran."""

    def setup() -> None:
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


def _run(cmd: list[str], *, cwd: Path, env: dict | None, log: Path, timeout: float) -> int | None:
    """Run ``cmd`` with output to ``log``; its exit status, or None when it timed out (killed)."""
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            _prctl = ctypes.CDLL(None, use_errno=True).prctl
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_child_setup(os.getpid()),
        )
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if proc.returncode is None:  # timed out, or Ctrl-C / an exception in eccsim
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _tail(path: Path, pattern: str | None = None) -> str:
    """The first line of ``path`` matching ``pattern`` (case-insensitive), else its last
    non-empty line; '' when empty."""
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    if pattern:
        for ln in lines:
            if re.search(pattern, ln, re.IGNORECASE):
                return ln
    return lines[-1] if lines else ""


# ---------------------------------------------------------------------------------------------
# arguments
# ---------------------------------------------------------------------------------------------
def _per_kind(label: str, value, check) -> dict[str, object]:
    """One value for both modules, or a mapping {"encoder": v, "decoder": v}."""
    if isinstance(value, Mapping):
        out = {}
        for key, v in value.items():
            kind = _PREFIX.get(str(key))
            if kind is None:
                raise DUTError(f"{label} key {key!r} must be 'encoder' or 'decoder'")
            out[kind] = check(v)
        return {kind: out.get(kind, check(None)) for kind in _KINDS}
    v = check(value)
    return dict.fromkeys(_KINDS, v)


def _latency(v):
    if v is None:
        return 0
    if isinstance(v, str) and v.strip().isdigit():
        v = int(v)
    if not is_int(v) or not 0 <= int(v) <= 1000:
        raise DUTError(f"latency={v!r} must be a whole number of clock cycles in [0, 1000]")
    return int(v)


def _port_name(label: str, v) -> str:
    if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", v):
        raise DUTError(f"{label}={v!r} must be a Verilog port name")
    return v


def _const_value(port: str, v) -> int:
    if isinstance(v, str):
        try:
            v = int(v.strip().replace("_", ""), 0)
        except ValueError:
            raise DUTError(
                f"constant {port}={v!r} must be a non-negative integer (decimal, 0x.., 0b..)"
            ) from None
    if not is_int(v) or int(v) < 0:
        raise DUTError(f"constant {port}={v!r} must be a non-negative integer")
    return int(v)


def _items(label: str, items, what: str) -> dict[str, str]:
    """CLI NAME=VALUE items (a list of strings, or one comma-separated string) as a dict."""
    if items is None:
        return {}
    if isinstance(items, str):
        items = [items]
    out = {}
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            key, eq, val = part.partition("=")
            if not eq or not key.strip() or not val.strip():
                raise DUTError(f"{label} {part!r} must be {what}")
            out[key.strip()] = val.strip()
    return out


@dataclass
class _Module:
    """One simulated module: what drives it and what it reads."""

    kind: str  # "encoder" / "decoder"
    module: str
    inputs: list[str]  # roles, in vector-file column order
    outputs: list[str]  # roles, in results column order
    ports: dict[str, str]  # role -> port name
    constants: dict[str, int]
    clock: str | None
    latency: int
    vvp: Path | None = None
    widths: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# the DUT
# ---------------------------------------------------------------------------------------------
class RTLDUT:
    """A Verilog encoder and/or decoder simulated with cocotb on Icarus Verilog (see the module
    docstring for ports, constants, timing and how simulations run).

    ``k`` and ``r`` may be None: they are then read from the data and check port widths.
    ``encode`` (``decode``) raises :class:`DUTError` when no encoder (decoder) was named.
    """

    kind = "rtl"
    #: most words applied by one simulation (a call with more runs several simulations)
    batch_size = 65536

    def __init__(
        self,
        sources,
        *,
        k: int | None,
        r: int | None,
        encoder: str | None = None,
        decoder: str | None = None,
        ports: Mapping[str, str | None] | None = None,
        constants: Mapping[str, object] | None = None,
        latency=0,
        clock=None,
        simulator: str = "icarus",
        timeout_s: float = 120.0,
        name: str | None = None,
    ) -> None:
        self._closed = True
        self._workdir: Path | None = None
        self._explicit: set[str] = set()
        self._bare_constants: set[str] = set()
        self.name = name if isinstance(name, str) and name else f"rtl:{decoder or encoder}"
        self.k = k  # type: ignore[assignment]
        self.r = r  # type: ignore[assignment]
        if encoder is None and decoder is None:
            raise DUTError(f"DUT {self.name!r}: name the encoder and/or decoder module")
        for label, m in (("encoder", encoder), ("decoder", decoder)):
            if m is not None:
                _port_name(f"{label} module", m)
        for label, v in (("k", k), ("r", r)):
            if v is not None and (not is_int(v) or not 1 <= int(v) <= (4096 if label == "k" else 64)):  # fmt: skip
                raise DUTError(f"{label}={v!r} must be a whole number in [1, {4096 if label == 'k' else 64}] or None (read from the ports)")  # fmt: skip
        if not isinstance(simulator, str) or simulator.lower() not in SIMULATORS:
            extra = (
                " (cocotb 2 needs Verilator >= 5.036, newer than Debian's)"
                if str(simulator).lower() == "verilator"
                else suggest(str(simulator), SIMULATORS)
            )
            raise DUTError(f"simulator={simulator!r} is not supported{extra}; use 'icarus'")
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not timeout_s > 0:  # fmt: skip
            raise DUTError(f"timeout_s={timeout_s!r} must be a positive number of seconds")
        self.timeout_s = float(timeout_s)
        self.sources = self._sources(sources)
        lat = _per_kind("latency", latency, _latency)
        clk = _per_kind("clock", clock, lambda v: None if v is None else _port_name("clock", v))
        role_ports = self._ports(ports, encoder, decoder)
        consts = self._constants(constants, encoder, decoder)
        self._modules: dict[str, _Module] = {}
        for kind, module in (("encoder", encoder), ("decoder", decoder)):
            if module is None:
                continue
            if lat[kind] > 0 and clk[kind] is None:
                raise DUTError(f"DUT {self.name!r}: the {kind} has latency {lat[kind]} but no clock port (clock=...)")  # fmt: skip
            roles = [ro for ro, (kd, _, _) in ROLES.items() if kd == kind]
            mine = {ro: role_ports[ro] for ro in roles if role_ports.get(ro)}
            self._modules[kind] = _Module(
                kind,
                module,
                inputs=[ro for ro in roles if ROLES[ro][1] == "in"],
                outputs=[ro for ro in roles if ROLES[ro][1] == "out" and ro in mine],
                ports=mine,
                constants=consts[kind],
                clock=clk[kind],
                latency=lat[kind],
            )
        problem = tool_problem()
        if problem:
            raise DUTError(f"DUT {self.name!r}: {problem}")
        self._env = _sim_env()
        self._workdir = Path(tempfile.mkdtemp(prefix="eccsim-rtl-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._workdir), True)
        shutil.copyfile(Path(__file__).with_name("rtl_cocotb.py"), self._workdir / f"{_TEST_MODULE}.py")  # fmt: skip
        self._env["PYTHONPATH"] = os.pathsep.join([str(self._workdir), self._env["PYTHONPATH"]])
        self._closed = False
        self._lock = threading.Lock()
        self._runs = 0
        try:
            for mod in self._modules.values():
                self._compile(mod)
                self._probe(mod)
            self._check_widths()
        except BaseException:
            self.close()
            raise

    # -- argument checks ------------------------------------------------------------------
    def _sources(self, sources) -> list[Path]:
        if isinstance(sources, str | os.PathLike):
            sources = [sources]
        if not isinstance(sources, Sequence) or not sources:
            raise DUTError(f"DUT {self.name!r}: sources must name at least one Verilog file")
        out = []
        for s in sources:
            if not isinstance(s, str | os.PathLike):
                raise DUTError(f"DUT {self.name!r}: source {s!r} is not a file path")
            p = Path(s)
            if not p.is_file():
                raise DUTError(f"DUT {self.name!r}: source file {str(p)!r} does not exist")
            out.append(p.resolve())
        return out

    def _ports(self, ports, encoder, decoder) -> dict[str, str | None]:
        given = dict(ports or {})
        if not isinstance(ports, Mapping | None):
            raise DUTError(f"DUT {self.name!r}: ports must be a mapping of role -> port name")
        out: dict[str, str | None] = dict(DEFAULT_PORTS)
        self._explicit = set()
        for role, port in given.items():
            if role not in ROLES:
                raise DUTError(f"DUT {self.name!r}: unknown port role {role!r}{suggest(str(role), ROLES)}; roles: {', '.join(ROLES)}")  # fmt: skip
            kind = ROLES[role][0]
            if (encoder if kind == "encoder" else decoder) is None:
                raise DUTError(f"DUT {self.name!r}: port role {role!r} needs a {kind} module")
            if port is None or port == "":
                if role not in OPTIONAL_ROLES:
                    raise DUTError(f"DUT {self.name!r}: port role {role!r} is required")
                out[role] = None
                continue
            out[role] = _port_name(f"port {role}", port)
            self._explicit.add(role)
        return out

    def _constants(self, constants, encoder, decoder) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {"encoder": {}, "decoder": {}}
        if constants is None:
            return out
        if not isinstance(constants, Mapping):
            raise DUTError(f"DUT {self.name!r}: constants must be a mapping of port -> value")
        for key, value in constants.items():
            key = str(key)
            prefix, dot, port = key.rpartition(".")
            if dot:
                kind = _PREFIX.get(prefix)
                if kind is None:
                    raise DUTError(f"DUT {self.name!r}: constant {key!r}: prefix must be 'enc.' or 'dec.'")  # fmt: skip
                kinds = [kind]
            else:
                kinds = [kd for kd, m in (("encoder", encoder), ("decoder", decoder)) if m]
            _port_name(f"constant {key}", port)
            v = _const_value(port, value)
            for kd in kinds:
                out[kd][port] = v
            if not dot:
                self._bare_constants.add(port)
        return out

    # -- compile and probe ----------------------------------------------------------------
    def _where(self, mod: _Module) -> str:
        return f"{mod.kind} module {mod.module!r}"

    def _compile(self, mod: _Module) -> None:
        out = self._workdir / f"{mod.kind}.vvp"
        log = self._workdir / f"{mod.kind}.compile.log"
        incdirs = sorted({str(p.parent) for p in self.sources})
        cmd = ["iverilog", "-g2012", "-o", str(out), "-s", mod.module]
        cmd += [f"-I{d}" for d in incdirs] + [str(p) for p in self.sources]
        rc = _run(cmd, cwd=self._workdir, env=None, log=log, timeout=self.timeout_s)
        if rc is None:
            raise DUTError(f"DUT {self.name!r}: compiling the {mod.kind} timed out after {self.timeout_s:g} s")  # fmt: skip
        if rc != 0:
            text = log.read_text(errors="replace")
            if f'Unable to find the root module "{mod.module}"' in text and not re.search(
                r":\d+: (syntax )?error", text, re.IGNORECASE
            ):
                found = self._module_names()
                hint = suggest(mod.module, found) or (f" (modules: {', '.join(found[:8])})" if found else "")  # fmt: skip
                raise DUTError(f"DUT {self.name!r}: no {mod.kind} module {mod.module!r} in the sources{hint}")  # fmt: skip
            first = _tail(log, r"error|syntax|no such file")
            raise DUTError(f"DUT {self.name!r}: the Verilog does not compile (iverilog): {first}")
        mod.vvp = out

    def _module_names(self) -> list[str]:
        names = []
        for p in self.sources:
            with contextlib.suppress(OSError):
                names += re.findall(r"^\s*(?:macro)?module\s+([A-Za-z_][\w$]*)", p.read_text(errors="replace"), re.MULTILINE)  # fmt: skip
        return names

    def _job(self, mod: _Module, *, probe: bool) -> tuple[Path, Path, Path]:
        with self._lock:
            self._runs += 1
            tag = f"{mod.kind}-{self._runs}"
        vectors = self._workdir / f"{tag}.in"
        results = self._workdir / f"{tag}.out"
        job = {
            "inputs": [mod.ports[ro] for ro in mod.inputs],
            "outputs": [mod.ports[ro] for ro in mod.outputs],
            "constants": mod.constants,
            "clock": mod.clock,
            "latency": mod.latency,
            "probe": probe,
            "vectors": str(vectors),
            "results": str(results),
        }
        if probe:  # every role's port, the optional ones included, to learn what exists
            job["outputs"] = [p for ro, p in mod.ports.items() if ROLES[ro][1] == "out"]
        path = self._workdir / f"{tag}.json"
        path.write_text(json.dumps(job))
        return path, vectors, results

    def _simulate(self, mod: _Module, job: Path, results: Path, n: int) -> list[str]:
        """Run one simulation; the result lines after PORTS (n of them unless probing)."""
        env = dict(self._env)
        env["COCOTB_TOPLEVEL"] = mod.module
        env["ECCSIM_RTL_JOB"] = str(job)
        env["COCOTB_RESULTS_FILE"] = str(job.with_suffix(".xml"))
        import cocotb_tools.config as cfg

        log = job.with_suffix(".log")
        cmd = ["vvp", "-m", cfg.lib_entry("vpi", "icarus"), str(mod.vvp), "-none"]
        rc = _run(cmd, cwd=self._workdir, env=env, log=log, timeout=self.timeout_s)
        what = f"simulation of the {self._where(mod)}"
        if rc is None:
            raise DUTError(f"DUT {self.name!r}: {what} timed out after {self.timeout_s:g} s ({n} words)")  # fmt: skip
        try:
            lines = results.read_text().splitlines()
        except OSError:
            lines = []
        for ln in lines:
            if ln.startswith("ERROR "):
                raise DUTError(f"DUT {self.name!r}: {what} failed: {ln[6:]}")
        if not lines or not lines[0].startswith("PORTS ") or lines[-1] != "DONE":
            last = _tail(log, r"error|exception") or f"exit status {rc}"
            raise DUTError(f"DUT {self.name!r}: {what} ended early: {last}")
        mod.widths = json.loads(lines[0][6:])
        return lines[1:-1]

    def _probe(self, mod: _Module) -> None:
        job, _, results = self._job(mod, probe=True)
        self._simulate(mod, job, results, 0)
        w = mod.widths
        where = self._where(mod)
        for role, port in list(mod.ports.items()):
            if w.get(port) is None:
                if role in OPTIONAL_ROLES and role not in self._explicit:
                    del mod.ports[role]
                    mod.outputs = [ro for ro in mod.outputs if ro != role]
                    continue
                how = "" if role in self._explicit else f" (the default for {role}; name it with ports={{{role!r}: ...}})"  # fmt: skip
                raise DUTError(f"DUT {self.name!r}: the {where} has no port {port!r}{how}")
        if mod.clock and w.get(mod.clock) is None:
            if mod.latency > 0:
                raise DUTError(f"DUT {self.name!r}: the {where} has no clock port {mod.clock!r}")
            mod.clock = None  # a combinational module beside a clocked one
        elif mod.clock and w[mod.clock] != 1:
            raise DUTError(f"DUT {self.name!r}: clock port {mod.clock!r} of the {where} is {w[mod.clock]} bits wide, not 1")  # fmt: skip
        for port, value in list(mod.constants.items()):
            if w.get(port) is None:
                other = next((m for m in self._modules.values() if m is not mod and port in m.constants), None)  # fmt: skip
                if port in self._bare_constants and other is not None:
                    del mod.constants[port]  # a bare name for the other module's pin
                    continue
                raise DUTError(f"DUT {self.name!r}: constant {port!r}: the {where} has no such port")  # fmt: skip
            if value >> w[port]:
                raise DUTError(f"DUT {self.name!r}: constant {port}={value} does not fit the {w[port]}-bit port of the {where}")  # fmt: skip
        for port in mod.constants:
            if port in mod.ports.values() or port == mod.clock:
                raise DUTError(f"DUT {self.name!r}: constant {port!r} is also a data/flag/clock port of the {where}")  # fmt: skip

    def _check_widths(self) -> None:
        mods = list(self._modules.values())
        if self.k is None:
            src = next(m for m in mods if m.inputs)
            self.k = src.widths[src.ports[src.inputs[0]]]
        if self.r is None:
            role = "enc_check" if "encoder" in self._modules else "dec_check"
            m = self._modules[ROLES[role][0]]
            self.r = m.widths[m.ports[role]]
        if self.r > 64:
            raise DUTError(f"DUT {self.name!r}: {self.r} check bits; at most 64 are supported")
        self.k, self.r = int(self.k), int(self.r)
        for m in mods:
            for role, port in m.ports.items():
                want = {"k": self.k, "r": self.r}.get(ROLES[role][2], ROLES[role][2])
                got = m.widths[port]
                if got != want:
                    what = {"k": f"k={self.k}", "r": f"r={self.r}"}.get(ROLES[role][2], "a flag")
                    raise DUTError(f"DUT {self.name!r}: port {port!r} ({role}) of the {self._where(m)} is {got} bits wide; {what} needs {want}")  # fmt: skip

    # -- the DUT interface ----------------------------------------------------------------
    @property
    def has_encoder(self) -> bool:
        """True when an encoder module was named (the checks skip the encoder otherwise)."""
        return "encoder" in self._modules

    @property
    def has_decoder(self) -> bool:
        """True when a decoder module was named."""
        return "decoder" in self._modules

    def _module(self, kind: str) -> _Module:
        if self._closed:
            raise DUTError(f"DUT {self.name!r} is closed")
        mod = self._modules.get(kind)
        if mod is None:
            raise DUTError(f"DUT {self.name!r}: no {kind} module was named ({kind}=...)")
        return mod

    def _data(self, data) -> np.ndarray:
        w = data_words(self.k)
        a = np.asarray(data)
        if a.ndim == 1 and w == 1:
            a = a.reshape(-1, 1)
        if a.ndim != 2 or a.shape[1] != w or a.dtype != np.uint64:
            raise DUTError(f"DUT {self.name!r}: data must be a (N, {w}) uint64 array, got shape {a.shape} and dtype {a.dtype}")  # fmt: skip
        return a

    def _run_batches(self, mod: _Module, columns: list[list[int]]) -> list[list[str]]:
        n = len(columns[0])
        rows: list[list[str]] = []
        for lo in range(0, n, self.batch_size):
            hi = min(n, lo + self.batch_size)
            job, vectors, results = self._job(mod, probe=False)
            text = "\n".join(" ".join(format(c[i], "x") for c in columns) for i in range(lo, hi))
            vectors.write_text(text + "\n")
            lines = self._simulate(mod, job, results, hi - lo)
            for p in (job, vectors, results, job.with_suffix(".log"), job.with_suffix(".xml")):
                p.unlink(missing_ok=True)
            if len(lines) != hi - lo:
                raise DUTError(f"DUT {self.name!r}: simulation of the {self._where(mod)} returned {len(lines)} results for {hi - lo} words")  # fmt: skip
            for i, ln in enumerate(lines):
                toks = ln.split()
                if "x" in toks:
                    role = mod.outputs[toks.index("x")]
                    inputs = ", ".join(f"{mod.ports[ro]}=0x{c[lo + i]:x}" for ro, c in zip(mod.inputs, columns, strict=True))  # fmt: skip
                    hint = " (latency too small?)" if mod.latency else ""
                    raise DUTError(f"DUT {self.name!r}: output {mod.ports[role]!r} of the {self._where(mod)} is X/Z for word {lo + i} ({inputs}){hint}")  # fmt: skip
                rows.append(toks)
        return rows

    def _ints(self, data: np.ndarray) -> list[int]:
        if data.shape[1] == 1:
            return data[:, 0].tolist()
        return [sum(int(x) << (64 * j) for j, x in enumerate(row)) for row in data.tolist()]

    def _words(self, values: list[int]) -> np.ndarray:
        w = data_words(self.k)
        if w == 1:
            return np.array(values, dtype=np.uint64).reshape(-1, 1)
        mask = (1 << 64) - 1
        return np.array([[(v >> (64 * j)) & mask for j in range(w)] for v in values], dtype=np.uint64).reshape(-1, w)  # fmt: skip

    def encode(self, data: np.ndarray) -> np.ndarray:
        """Check bits ``(N,)`` uint64 the encoder module outputs for data words ``(N, W)``."""
        mod = self._module("encoder")
        a = self._data(data)
        if len(a) == 0:
            return np.zeros(0, dtype=np.uint64)
        rows = self._run_batches(mod, [self._ints(a)])
        return np.array([int(t[0], 16) for t in rows], dtype=np.uint64)

    def decode(self, data: np.ndarray, check: np.ndarray) -> DecodeOut:
        """The decoder module's outputs for received words: data ``(N, W)``, check ``(N,)``."""
        mod = self._module("decoder")
        a = self._data(data)
        c = np.asarray(check)
        if c.shape != (len(a),) or c.dtype.kind not in "iu":
            raise DUTError(f"DUT {self.name!r}: check must be a ({len(a)},) unsigned array, got shape {c.shape} and dtype {c.dtype}")  # fmt: skip
        c = c.astype(np.uint64)
        if self.r < 64 and (c >> np.uint64(self.r)).any():
            raise DUTError(f"DUT {self.name!r}: check words wider than r={self.r} bits")
        n = len(a)
        if n == 0:
            w = data_words(self.k)
            z = np.zeros(0, dtype=bool)
            chk = np.zeros(0, dtype=np.uint64) if "dec_check_out" in mod.ports else None
            return DecodeOut(np.zeros((0, w), dtype=np.uint64), chk, z, z.copy())
        rows = self._run_batches(mod, [self._ints(a), c.tolist()])
        col = {ro: i for i, ro in enumerate(mod.outputs)}
        out_data = self._words([int(t[col["dec_data_out"]], 16) for t in rows])
        out_check = None
        if "dec_check_out" in col:
            out_check = np.array([int(t[col["dec_check_out"]], 16) for t in rows], dtype=np.uint64)  # fmt: skip
        flag = lambda role: np.array([t[col[role]] != "0" for t in rows], dtype=bool)  # noqa: E731
        return DecodeOut(out_data, out_check, flag("dec_corrected"), flag("dec_uncorrectable"))

    def close(self) -> None:
        """Delete the compiled designs and temporary files (idempotent)."""
        self._closed = True
        fin = getattr(self, "_finalizer", None)
        if fin is not None:
            fin()

    def __enter__(self) -> RTLDUT:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        mods = ", ".join(f"{m.kind}={m.module!r}" for m in self._modules.values()) if hasattr(self, "_modules") else ""  # fmt: skip
        return f"RTLDUT({self.name!r}, k={self.k}, r={self.r}, {mods})"

    # -- command line ---------------------------------------------------------------------
    @classmethod
    def from_cli(cls, args) -> RTLDUT:
        """An RTLDUT from ``eccsim testbench`` options (argparse fields): ``rtl`` (source files),
        ``rtl_encoder``, ``rtl_decoder``, ``rtl_port`` (ROLE=PORT items), ``rtl_const``
        (PORT=VALUE items), ``rtl_latency`` (N, or encoder=N,decoder=M), ``rtl_clock`` (PORT, or
        encoder=P,decoder=Q); optional ``k``, ``r`` (else read from the ports),
        ``rtl_simulator``, ``rtl_timeout``."""
        g = lambda name, default=None: getattr(args, name, default)  # noqa: E731
        ports = _items("--rtl-port", g("rtl_port"), "ROLE=PORT, e.g. dec_corrected=sec_err")
        consts = _items("--rtl-const", g("rtl_const"), "PORT=VALUE, e.g. mode=1")
        lat = g("rtl_latency", 0)
        if isinstance(lat, str) and "=" in lat:
            lat = _items("--rtl-latency", lat, "N or encoder=N,decoder=M")
        clock = g("rtl_clock")
        if isinstance(clock, str) and "=" in clock:
            clock = _items("--rtl-clock", clock, "PORT or encoder=PORT,decoder=PORT")
        timeout = g("rtl_timeout")
        return cls(
            g("rtl"),
            k=g("k"),
            r=g("r"),
            encoder=g("rtl_encoder"),
            decoder=g("rtl_decoder"),
            ports=ports,
            constants=consts,
            latency=lat if lat is not None else 0,
            clock=clock,
            simulator=g("rtl_simulator") or "icarus",
            timeout_s=120.0 if timeout is None else timeout,
        )


__all__ = ["DEFAULT_PORTS", "ROLES", "RTLDUT", "tool_problem"]
