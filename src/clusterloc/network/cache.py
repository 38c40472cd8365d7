"""Network cache: build once per (source content, settings), reload fast.

The cache key is the SHA-256 of the source file's bytes, the full settings key
(:meth:`TruckSettings.key`), the graph-building rules version and the file format version.
A changed file (even with the same name and size) or any changed setting gives another key,
so a stale network is never reused. Entries are files ``<stem>-<key>.graph`` written with
:func:`clusterloc.network.io.save_graph`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from clusterloc.network.io import FORMAT_VERSION
from clusterloc.network.settings import TruckSettings
from clusterloc.network.truck import BUILD_VERSION

__all__ = [
    "cache_key",
    "cache_path",
    "default_cache_dir",
]

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$CLUSTERLOC_CACHE`` if set, else ``$XDG_CACHE_HOME/clusterloc/networks``.

    Returns
    -------
    pathlib.Path
    """
    env = os.environ.get("CLUSTERLOC_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clusterloc" / "networks"


def cache_key(sha256: str, settings: TruckSettings) -> str:
    """Key covering the source content, every setting and the builder / format versions.

    Parameters
    ----------
    sha256
        SHA-256 of the source file.
    settings
        The truck settings.

    Returns
    -------
    str
        24 hex digits.
    """
    text = f"{sha256}|{settings.key()}|build{BUILD_VERSION}|format{FORMAT_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cache_path(cache_dir: Path, source: Path, key: str) -> Path:
    """File of the cache entry for ``source`` under ``key``.

    Parameters
    ----------
    cache_dir
        The cache folder.
    source
        The road source file (its name starts the entry's name).
    key
        From :func:`cache_key`.

    Returns
    -------
    pathlib.Path
    """
    stem = source.name.split(".")[0] or "network"
    return Path(cache_dir) / f"{stem}-{key}.graph"
