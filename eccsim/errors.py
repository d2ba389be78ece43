"""The one family of user errors. Every mistake a user can make — a wrong dtype, an unknown
name, an impossible number, a malformed or hostile file, a results folder in use — raises a
subclass of :class:`EccsimError` whose message is one line naming the parameter (or file) and
what is allowed. The CLI prints exactly those as one line and exits 2; any other exception is
a bug in eccsim and keeps its traceback.

The classes also derive from :class:`ValueError`, so ``except ValueError`` in user code keeps
working.
"""

from __future__ import annotations


class EccsimError(ValueError):
    """A user error: bad input, bad file, or a request eccsim must refuse (one-line message)."""


class InputError(EccsimError):
    """An array argument or scalar parameter has the wrong type, shape, layout or value."""


class CodeError(EccsimError):
    """A code definition (matrix, masks, file) is invalid; the message says what and where."""


class ModuleError(EccsimError):
    """An unknown module preset or an impossible module geometry."""


class FaultError(EccsimError):
    """Unknown fault name, impossible fault parameters, or an enumeration that is too large."""


class CampaignError(EccsimError):
    """An invalid campaign spec, a damaged checkpoint, or a results folder that must not be
    touched (in use by another run, or holding results that were not asked to be replaced)."""


class ResultsError(EccsimError):
    """A results file is missing, malformed, or would be overwritten."""


class FileFormatError(EccsimError):
    """A file is not what it claims to be, is too large, or is nested too deeply."""


class LimitError(EccsimError):
    """A request exceeds a documented size limit (memory, trials, file size); the message
    says the limit."""


__all__ = [
    "CampaignError",
    "CodeError",
    "EccsimError",
    "FaultError",
    "FileFormatError",
    "InputError",
    "LimitError",
    "ModuleError",
    "ResultsError",
]
