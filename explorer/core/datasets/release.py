"""Giving a finished run's dataset back in pieces, so that no one deallocation holds the
interpreter lock for long.

Dropping the last reference to a big dataset frees it in one C call with the lock held: a
heartbeat thread beside it came 182-222 ms late for a 983 MB tensor in shared memory and
105-132 ms late for a list of 400,000 metadata dicts. (The same tensor in private memory
took 78 ms to free, but other threads ran meanwhile.) Freed here first, a page range or a
slice of the list at a time, the lock is let go between the pieces (and, for page ranges,
during them): the heartbeat came at most 12 ms late.

Only for the explorer's own datasets, once their run has ended and its workers are gone:
what was released reads as zeros or is empty afterwards.
"""

from __future__ import annotations

import ctypes
import mmap
from typing import Any

import numpy as np
import torch

from ..memory.memory_trim import libc_function, trim_heap

#: Bytes given back per ``madvise``; the lock is released around each call.
_PAGE_RANGE = 32 << 20
#: Items freed per slice of a list: a slice of metadata dicts takes about 1 ms here.
_LIST_SLICE = 5_000


def _madvise() -> Any:
    """libc's ``madvise``, or None where there is none (or no ``MADV_REMOVE``)."""
    fn = libc_function("madvise") if hasattr(mmap, "MADV_REMOVE") else None
    if fn is not None:
        fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        fn.restype = ctypes.c_int
    return fn


_MADVISE = _madvise()


def release_pages(buffer: np.ndarray | torch.Tensor) -> None:
    """Give the memory of ``buffer`` (a tensor owning its storage, or a numpy array owning its
    data) back to the OS a range at a time. Its contents are gone afterwards."""
    if _MADVISE is None or isinstance(buffer, np.memmap):
        return
    if isinstance(buffer, torch.Tensor):
        storage = buffer.untyped_storage()
        address, size = storage.data_ptr(), storage.nbytes()
        # a shared-memory file keeps its pages until they are removed from the file itself
        advice = mmap.MADV_REMOVE if buffer.is_shared() else mmap.MADV_DONTNEED
    else:
        if not buffer.flags.owndata:
            return
        address, size, advice = buffer.ctypes.data, buffer.nbytes, mmap.MADV_DONTNEED
    page = mmap.PAGESIZE
    start = -(-address // page) * page  # whole pages inside the buffer only
    end = (address + size) // page * page
    for at in range(start, end, _PAGE_RANGE):
        if _MADVISE(at, min(_PAGE_RANGE, end - at), advice) != 0:
            return  # the free that follows gives back the rest, as it would have


def release_list(items: list[Any], per_slice: int = _LIST_SLICE, trim: bool = False) -> None:
    """Empty ``items`` a slice at a time from its end; with ``trim``, hand what each slice
    freed back to the OS before the next (see ``release_images``)."""
    while items:
        del items[-per_slice:]
        if trim:
            trim_heap()


def release_images(images: list[Any]) -> None:
    """Free decoded images 16 at a time (about 50 MB of 1024x768 RGB), handing their memory
    back to the OS after each slice. glibc keeps freed image buffers in its heap; the run's
    end then trimmed the whole eager dataset in one ``malloc_trim``, 198-247 ms of CPU during
    which the window's thread, which allocates too, waited as long."""
    release_list(images, per_slice=16, trim=True)


def release_dataset(dataset: Any) -> None:
    """Release what one of the explorer's own datasets holds (its pixels, its metadata
    index). Not for a user's dataset: the name could mean anything there."""
    for holder in (dataset, getattr(dataset, "index", None)):
        release = getattr(holder, "release_in_pieces", None)
        if release is not None:
            release()
