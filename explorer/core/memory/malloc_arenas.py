"""One C heap for every thread of the window's process (glibc's ``M_ARENA_MAX`` = 1).

glibc gives each new thread an arena of its own. The engine's thread decodes an eager
dataset, and Pillow asks for each image's pixels with ``calloc`` while holding the
interpreter lock. In the window, 800 JPEGs of 1024×768 decoded eagerly (3 MB of pixels
each), that allocation took a median of 1.3 ms and up to 93 ms of CPU an image, most of it
(perf) ``memset`` faulting fresh pages in; the window's heartbeat came up to 182 ms late
(p99 48-82 ms). The same decode on a process's main thread (the main arena), headless, left a
heartbeat thread at most 2 ms late. With one arena in the window, the median allocation fell
to 0.2-0.6 ms and the worst beat to 35-71 ms (p99 6-9 ms), in two launches: glibc's
``calloc`` does not clear memory the main arena has just taken from ``sbrk`` (which is zero).
Memory an earlier run gave back is cleared again: see ``decode._allocate_unlocked``.

Only the window's process is changed. A worker does its work on its main thread, which uses
the main arena either way. The headless command line runs the engine on its main thread. A
traced job is the user's own process and is never touched. Must be called before any thread
has allocated: a thread keeps the arena it was given.
"""

from __future__ import annotations

from .memory_trim import libc_function

M_ARENA_MAX = -8  # glibc's malloc.h


def use_one_arena() -> bool:
    """Make every thread started from now on allocate from the main arena; True where the C
    library has ``mallopt`` (glibc) and took the setting."""
    mallopt = libc_function("mallopt")
    return bool(mallopt(M_ARENA_MAX, 1)) if mallopt is not None else False
