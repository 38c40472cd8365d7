"""Save and load truck networks: one pickle file behind a small format header.

File layout: the 16-byte magic ``b"CLUSTERLOC-GRAPH"``, one newline, the format version as
ASCII digits and a newline, then a pickle (protocol 5) of the ``networkx.MultiDiGraph``.
Loading checks the magic and the version first, so a foreign file or one written by an
incompatible version gives a clear error instead of a failed unpickling. Pickle runs code
from the file: load only network files you built or trust.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import networkx as nx

from clusterloc.errors import NetworkError

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "load_graph",
    "save_graph",
]

MAGIC = b"CLUSTERLOC-GRAPH"
#: Bumped when the graph layout written by this module changes.
FORMAT_VERSION = 1


def save_graph(G: nx.MultiDiGraph, path: str | os.PathLike[str]) -> Path:
    """Write a truck network to ``path`` atomically (a temporary file, then a rename).

    Parameters
    ----------
    G
        Graph built by :func:`clusterloc.network.graph_from_file` (or any MultiDiGraph).
    path
        Destination file; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + b"\n" + str(FORMAT_VERSION).encode() + b"\n")
            pickle.dump(G, fh, protocol=5)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give what open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_graph(path: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """Read a truck network written by :func:`save_graph`.

    Parameters
    ----------
    path
        A network file.

    Returns
    -------
    networkx.MultiDiGraph

    Raises
    ------
    NetworkError
        If the file is missing, is not a clusterloc network file, or has another format
        version (rebuild it with ``clusterloc network build``).
    """
    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"{path}: network file not found.")
    with path.open("rb") as fh:
        magic = fh.readline().rstrip(b"\n")
        if magic != MAGIC:
            raise NetworkError(
                f"{path}: not a clusterloc network file "
                "(build one with 'clusterloc network build')."
            )
        version_line = fh.readline().strip()
        if version_line != str(FORMAT_VERSION).encode():
            raise NetworkError(
                f"{path}: network file format {version_line.decode(errors='replace')} is not "
                f"the supported format {FORMAT_VERSION}; "
                "rebuild it with 'clusterloc network build'."
            )
        try:
            G = pickle.load(fh)
        except Exception as exc:  # a truncated or corrupted file
            raise NetworkError(f"{path}: the network file is damaged ({exc}).") from exc
    if not isinstance(G, nx.MultiDiGraph):
        raise NetworkError(f"{path}: the network file does not hold a road graph.")
    return G
