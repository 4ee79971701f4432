"""The communicator chosen by ``compat.torchmpi.start`` (None before it and after ``stop``).

Kept apart so that ``compat.torchmpi`` (the handle) and ``compat.torchmpi.nn`` both read it without
importing each other.
"""
comm = None
