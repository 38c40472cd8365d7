"""Content digests of files (cache keys, ``summary.json`` input hashes)."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_sha256"]


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes.

    Parameters
    ----------
    path
        The file.
    chunk
        Bytes read at a time (1 MiB).

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
