"""BLAKE2b, the digest of the stamps and the scan, without loading OpenSSL.

``import hashlib`` loads OpenSSL's libcrypto (about 2 ms), and the up-to-date check
of a cron run, which needs nothing of it, would pay that on every run. hashlib's own
``blake2b`` is CPython's built-in ``_blake2.blake2b`` (hashlib never takes BLAKE2 from
OpenSSL), so the same function, and the same digests, come straight from there.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # a Python built without its own BLAKE2 (hashlib then has OpenSSL's)
    from hashlib import blake2b

__all__ = ["blake2b"]
