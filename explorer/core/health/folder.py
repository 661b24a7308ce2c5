"""Listing an image folder: which files to load, their class labels, and what is skipped."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image


@dataclass(frozen=True)
class FolderItem:
    path: str
    label: int


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class FolderListing:
    root: str
    files: tuple[FolderItem, ...]
    classes: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]

    def class_name(self, label: int) -> str | None:
        return self.classes[label] if 0 <= label < len(self.classes) else None


def image_extensions() -> frozenset[str]:
    """Every extension Pillow has a registered opener for (lower case, with the dot)."""
    Image.init()
    return frozenset(ext.lower() for ext in Image.registered_extensions())


def list_folder(root: str | os.PathLike[str]) -> FolderListing:
    """Walk ``root`` recursively in a stable (sorted) order.

    Files with an image extension become items; every other file is listed as skipped with its
    reason. When ``root`` has subfolders holding images, the top-level subfolder names are the
    classes (the ImageFolder convention); files directly in ``root`` then form a class named
    ``.``. Without subfolders every label is -1 (no class).
    """
    root_path = Path(root).expanduser().resolve()
    exts = image_extensions()
    candidates: list[tuple[str, str]] = []  # (path, top-level folder or "")
    skipped: list[SkippedFile] = []
    for dirpath, dirnames, filenames in os.walk(root_path, onerror=None, followlinks=False):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root_path)
        top = "" if rel_dir == "." else rel_dir.split(os.sep, 1)[0]
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            ext = os.path.splitext(name)[1].lower()
            if ext in exts:
                candidates.append((path, top))
            else:
                why = f"not an image file (extension {ext!r})" if ext else "not an image file"
                skipped.append(SkippedFile(path, why))
    tops = sorted({top for _, top in candidates if top})
    if tops:
        classes = tuple(tops + (["."] if any(not t for _, t in candidates) else []))
        index = {name: i for i, name in enumerate(classes)}
        files = tuple(FolderItem(p, index[t or "."]) for p, t in candidates)
    else:
        classes = ()
        files = tuple(FolderItem(p, -1) for p, _ in candidates)
    return FolderListing(str(root_path), files, classes, tuple(skipped))
