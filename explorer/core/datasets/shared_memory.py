"""Tensors in shared memory, made without holding the interpreter lock for long.

torch's ``share_memory_()`` (and its pickling of a tensor for a spawned worker, which calls it)
asks for every page of a new shared-memory file in one ``posix_fallocate`` with the
interpreter lock held: for a 983 MB tensor a heartbeat thread came 385-399 ms late. This
module makes the same kind of storage (a shared-memory file that torch hands to workers as a
file descriptor, never copied) from an anonymous file (``memfd_create``), reserved 32 MiB at a
time: Python releases the lock around each ``posix_fallocate``, so other threads run between
and during them (the heartbeat 1-4 ms late at most), and running out of memory is an error
at build time, not a crash when a worker first touches a page.
"""

from __future__ import annotations

import math
import os

import torch

from ..errors import DatasetError

#: Bytes reserved per ``posix_fallocate``: one call of this size takes about 10 ms here.
_CHUNK = 32 << 20


def _new_fd_storage(nbytes: int) -> torch.UntypedStorage | None:
    """A storage over a new anonymous shared-memory file, or None where the platform or this
    torch cannot make one (the caller then lets torch make it)."""
    new_shared = getattr(torch.UntypedStorage, "_new_shared_fd_cpu", None)
    if new_shared is None or not hasattr(os, "memfd_create") or nbytes == 0:
        return None
    fd = os.memfd_create("dle-shared-tensor", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, nbytes)
        for offset in range(0, nbytes, _CHUNK):
            os.posix_fallocate(fd, offset, min(_CHUNK, nbytes - offset))
        return new_shared(fd, nbytes)  # torch keeps its own duplicate of fd
    except OSError as exc:
        raise DatasetError(
            f"not enough memory for {nbytes / 2**20:.0f} MiB in shared memory ({exc.strerror})"
        ) from exc
    finally:
        os.close(fd)


def shared_empty(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised tensor in shared memory, as ``torch.empty(shape).share_memory_()``
    makes, without that call's long hold of the interpreter lock where Linux allows."""
    nbytes = math.prod(shape) * dtype.itemsize
    storage = _new_fd_storage(nbytes)
    if storage is None:
        return torch.empty(shape, dtype=dtype).share_memory_()
    return torch.empty(0, dtype=dtype).set_(storage, 0, shape)
