"""Headers already read, kept for files that have not changed since: a folder scanned again
(each run over it, each point of Find settings) reads only the files that are new or changed.
Used for folders read in this process (under ``scan.PARALLEL_FROM`` files); bigger ones are
read by a pool of processes, as before.

A file counts as unchanged while its inode, size, modification and status-change times
(``st_ctime_ns``, which no tool can set back) are as they were; anything else reads its header
again. Reading the sample folder's 240 headers took 20 ms of Python on the engine's thread at
every run's start, taken in slices from the window's thread while it drew the run's start.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from .decode import DecodeError, ImageInfo, read_header

#: The most files remembered (about 300 bytes each); the least recently read go first.
MAX_FILES = 20_000

_Key = tuple[int, int, int, int]


class HeaderCache:
    """``read(path)`` is ``decode.read_header(path)``, remembered per unchanged file. Safe to
    use from several threads (a folder scan and a run's start may overlap)."""

    def __init__(self, max_files: int = MAX_FILES) -> None:
        self.max_files = max_files
        self.hits = self.misses = 0
        self._entries: OrderedDict[str, tuple[_Key, ImageInfo | str]] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, path: str) -> ImageInfo:
        """The header (raises DecodeError, remembered as well, for a file that will not load)."""
        try:
            st = os.stat(path)
        except OSError:
            return read_header(path)  # gone or unreadable: read_header says why
        key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        with self._lock:
            entry = self._entries.get(path)
            if entry is not None and entry[0] == key:
                self._entries.move_to_end(path)
                self.hits += 1
                return _result(entry[1])
            self.misses += 1
        value: ImageInfo | str
        try:
            value = read_header(path)
        except DecodeError as exc:
            value = str(exc)
        with self._lock:
            self._entries[path] = (key, value)
            self._entries.move_to_end(path)
            while len(self._entries) > self.max_files:
                self._entries.popitem(last=False)
        return _result(value)

    def __len__(self) -> int:
        return len(self._entries)


def _result(value: ImageInfo | str) -> ImageInfo:
    if isinstance(value, str):
        raise DecodeError(value)
    return value


#: The process's cache, used by ``scan.scan_folder``.
HEADERS = HeaderCache()
