"""The test bench: drive a user's ECC encoder/decoder (Python, C, Verilog RTL, or recorded
vectors) with eccsim's error patterns and report where it disagrees with eccsim's model.

``run_testbench(dut, model=..., module=...)`` returns a :class:`TestbenchReport`; DUTs are
:class:`PythonDUT` (here), ``CLibraryDUT`` (:mod:`eccsim.testbench.c_dut`), ``RTLDUT``
(:mod:`eccsim.testbench.rtl_dut`) or :class:`RecordedVectors` (checked, not driven)."""

from .c_dut import CLibraryDUT
from .checks import run_testbench
from .dut import DUT, DecodeOut, DUTError
from .python_dut import PythonDUT, load_python_dut
from .report import KINDS, CheckResult, Failure, GroupResult, TestbenchReport
from .rtl_dut import RTLDUT
from .vectors import RecordedVectors, check_vectors, record_vectors

__all__ = [
    "DUT",
    "KINDS",
    "RTLDUT",
    "CLibraryDUT",
    "CheckResult",
    "DUTError",
    "DecodeOut",
    "Failure",
    "GroupResult",
    "PythonDUT",
    "RecordedVectors",
    "TestbenchReport",
    "check_vectors",
    "load_python_dut",
    "record_vectors",
    "run_testbench",
]
