"""The cocotb test that :class:`~eccsim.testbench.rtl_dut.RTLDUT` runs inside the simulator.

It is not imported by eccsim itself: RTLDUT copies this file into its temporary folder as
``eccsim_rtl_cocotb.py`` and the simulator (``vvp`` with cocotb's VPI library) loads it as
``COCOTB_TEST_MODULES=eccsim_rtl_cocotb``, so that the simulator's Python imports only cocotb and
the standard library. One simulation applies a whole batch:

* ``ECCSIM_RTL_JOB`` names a JSON job: ``inputs`` (port names driven from the vector file, in
  column order), ``outputs`` (port names read, in column order), ``constants`` (port -> int),
  ``clock`` (port or null), ``latency`` (cycles), ``probe`` (only report the port widths),
  ``vectors`` and ``results`` (file paths).
* The vector file has one line per vector: one hexadecimal value per input port.
* The results file starts with ``PORTS {json}`` (each named port's width, null when the module
  has none of that name), then one line per vector: one hexadecimal value per output port,
  ``x`` where the value has X or Z bits; ``DONE`` ends a complete run, ``ERROR message`` a
  failed one.

Timing: combinational (latency 0) — set the inputs, advance one time step, read the outputs.
Registered (latency L >= 1) — one vector per clock cycle: the inputs change while the clock is
low, the rising edge follows one step later, and the outputs read one step after edge ``e``
belong to the vector applied before edge ``e - L + 1`` (the last vector is held for the extra
L - 1 cycles).
"""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.triggers import Timer


def _handle(dut, name: str):
    try:
        return getattr(dut, name)
    except AttributeError:
        return None


def _read(h) -> str:
    v = h.value
    try:
        return format(int(v), "x")
    except ValueError:
        return "x"


@cocotb.test()
async def eccsim_rtl_batch(dut):
    with open(os.environ["ECCSIM_RTL_JOB"]) as f:
        job = json.load(f)
    with open(job["results"], "w") as out:
        try:
            await _run(dut, job, out)
        except Exception as exc:  # reported to the parent as one line
            out.write(f"ERROR {type(exc).__name__}: {exc}".replace("\n", " ") + "\n")
            return
        out.write("DONE\n")


async def _run(dut, job, out) -> None:
    names = list(job["inputs"]) + list(job["outputs"]) + list(job["constants"])
    if job["clock"]:
        names.append(job["clock"])
    handles = {n: _handle(dut, n) for n in names}
    widths = {n: (None if h is None else len(h)) for n, h in handles.items()}
    out.write("PORTS " + json.dumps(widths) + "\n")
    if job["probe"] or any(h is None for h in handles.values()):
        return
    for name, value in job["constants"].items():
        handles[name].value = value
    clk = handles[job["clock"]] if job["clock"] else None
    if clk is not None:
        clk.value = 0
    step = Timer(1, "step")
    ins = [handles[n] for n in job["inputs"]]
    outs = [handles[n] for n in job["outputs"]]
    with open(job["vectors"]) as f:
        vectors = [[int(t, 16) for t in line.split()] for line in f if line.strip()]
    latency = int(job["latency"])
    lines = []
    if clk is None:
        for vec in vectors:
            for h, v in zip(ins, vec, strict=True):
                h.value = v
            await step
            lines.append(" ".join(_read(h) for h in outs))
    else:
        cycles = len(vectors) + max(latency - 1, 0)
        for e in range(cycles):
            if e < len(vectors):
                for h, v in zip(ins, vectors[e], strict=True):
                    h.value = v
            clk.value = 0
            await step
            if latency == 0 and e < len(vectors):
                lines.append(" ".join(_read(h) for h in outs))
            clk.value = 1
            await step
            if latency >= 1 and e - latency + 1 >= 0:
                lines.append(" ".join(_read(h) for h in outs))
    out.write("\n".join(lines))
    if lines:
        out.write("\n")
