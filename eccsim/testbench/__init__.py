"""The test bench: drive a user's ECC encoder/decoder (Python, C, Verilog RTL, or recorded
vectors) with eccsim's error patterns and report where it disagrees with eccsim's model."""

from .dut import DUT, DecodeOut, DUTError

__all__ = ["DUT", "DUTError", "DecodeOut"]
