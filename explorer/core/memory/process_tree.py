"""A process's descendants, found cheaply enough to look for them every second.

psutil's ``children(recursive=True)`` reads ``/proc/<pid>/stat`` of every process on the
machine to learn who is whose parent: 0.9 ms with 65 processes here, several milliseconds on a
workstation with hundreds, once a second while a run is sampled. Linux lists each thread's
children in ``/proc/<pid>/task/<tid>/children`` (since 3.5, where ``CONFIG_PROC_CHILDREN`` is
on, as in the common distributions' kernels): reading those for the processes of the tree
only took 17 µs for a one-thread process. Where those files are missing, psutil's way is used.

The kernel says the list may miss a child that starts or is reparented while it is read;
the sampler looks again a second later, and names the DataLoader's workers it was told of
whether or not they were listed.
"""

from __future__ import annotations

import os

import psutil


def children_pids(pid: int) -> list[int] | None:
    """The pids of ``pid``'s direct children, or None where ``/proc`` does not list them."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    found: list[int] = []
    listed = False
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                text = f.read()
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended meanwhile
            return None  # no children files on this kernel
        except OSError:
            continue
        listed = True
        found.extend(int(c) for c in text.split())
    return found if listed or not tids else None


def descendant_pids(pid: int) -> list[int] | None:
    """The pids of every descendant of ``pid``, parents before their children, or None
    where ``/proc`` does not list children (see ``descendants``)."""
    out: list[int] = []
    todo = [pid]
    seen = {pid}
    while todo:
        kids = children_pids(todo.pop(0))
        if kids is None:
            if not out and len(seen) == 1:
                return None  # the root's own list: not available here
            continue  # a descendant that ended meanwhile
        for kid in kids:
            if kid not in seen:
                seen.add(kid)
                out.append(kid)
                todo.append(kid)
    return out


def descendants(
    proc: psutil.Process, known: dict[int, psutil.Process] | None = None
) -> list[psutil.Process]:
    """``proc``'s descendants as psutil handles, parents first; ``known`` handles are reused
    (a new handle reads the process's start time, which tells a reused pid apart)."""
    pids = descendant_pids(proc.pid)
    if pids is None:
        try:
            return proc.children(recursive=True)
        except psutil.Error:
            return []
    known = known or {}
    out: list[psutil.Process] = []
    for pid in pids:
        handle = known.get(pid)
        if handle is None:
            try:
                handle = psutil.Process(pid)
            except psutil.Error:
                continue  # it ended meanwhile
        out.append(handle)
    return out
