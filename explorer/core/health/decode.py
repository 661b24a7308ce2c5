"""Decoding one image file into correct RGB pixels, and resizing it for the model.

Every Pillow mode becomes RGB the way a person expects to see it: high-bit-depth greyscale is
stretched to the 8-bit range (not clipped to white), transparency is composited on a neutral
grey, EXIF orientation is applied and animated files give their first frame.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps

#: Composited behind transparent pixels: a neutral mid grey that shows light and dark content.
BACKGROUND = (128, 128, 128)


@dataclass(frozen=True)
class ImageInfo:
    """What the file said about itself before conversion."""

    format: str | None
    mode: str
    size: tuple[int, int]


class DecodeError(Exception):
    """The file cannot be decoded; the message is the reason shown to the user."""


#: No single file may take longer than this to decode (seconds); see ``time_limit``.
DEFAULT_DECODE_TIMEOUT = 10.0


class _DecodeTimeout(BaseException):  # not an Exception: a decoder's own except can't eat it
    pass


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise DecodeError if the body runs longer than ``seconds``.

    On a process's main thread (DataLoader workers, the headless command line) SIGALRM
    interrupts it; on any other thread (the window's engine thread) a watchdog thread raises
    in it. Both act between Python bytecodes: Pillow decodes in chunks from Python, so a
    decoder that spins is caught between chunks.
    """
    if not seconds:
        yield
        return
    on_main = threading.current_thread() is threading.main_thread()
    if not on_main or not hasattr(signal, "setitimer"):
        try:  # around the whole watch: the exception may land as it ends
            with _watchdog().watch(seconds):
                yield
        except _DecodeTimeout:
            raise DecodeError(f"decoding took longer than {seconds:g} s; skipped") from None
        return

    def on_alarm(_signum: int, _frame: object) -> None:
        raise _DecodeTimeout

    pending, _ = signal.getitimer(signal.ITIMER_REAL)
    if pending and pending <= seconds:  # someone else's alarm comes first: leave it be
        yield
        return
    previous = signal.signal(signal.SIGALRM, on_alarm)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _DecodeTimeout:
        raise DecodeError(f"decoding took longer than {seconds:g} s; skipped") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if pending:  # give the earlier alarm (a test runner's, say) what it had left
            signal.setitimer(signal.ITIMER_REAL, max(1e-3, pending - (time.monotonic() - start)))


class _Watchdog:
    """A daemon thread that raises _DecodeTimeout in threads past their deadline
    (``PyThreadState_SetAsyncExc``). It runs while decodes are watched and ends after
    ``IDLE_S`` without any, so a finished run leaves no thread behind."""

    IDLE_S = 1.0

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.deadlines: dict[int, float] = {}
        self.lock = threading.Lock()
        self.running = False

    @contextmanager
    def watch(self, seconds: float) -> Iterator[None]:
        tid = threading.get_ident()
        with self.lock:
            self.deadlines[tid] = time.monotonic() + seconds
            if not self.running:
                self.running = True
                threading.Thread(target=self._loop, name="decode-watchdog", daemon=True).start()
        try:
            yield
        finally:
            with self.lock:
                self.deadlines.pop(tid, None)

    def _loop(self) -> None:
        idle_since = time.monotonic()
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            with self.lock:
                if self.deadlines:
                    idle_since = now
                elif now - idle_since > self.IDLE_S:
                    self.running = False
                    return
                late = [tid for tid, deadline in self.deadlines.items() if now > deadline]
                for tid in late:
                    del self.deadlines[tid]
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(
                        ctypes.c_ulong(tid), ctypes.py_object(_DecodeTimeout)
                    )


_WATCHDOG: _Watchdog | None = None


def _watchdog() -> _Watchdog:
    global _WATCHDOG
    if _WATCHDOG is None or _WATCHDOG.pid != os.getpid():  # threads do not survive a fork
        _WATCHDOG = _Watchdog()
    return _WATCHDOG


def open_rgb(
    path: str,
    target: int | None = None,
    max_pixels: int | None = None,
    timeout: float | None = None,
    kept: bool = False,
) -> tuple[Image.Image, ImageInfo]:
    """Open ``path`` and return it as an RGB image, with what the header said.

    With ``target`` set, JPEG decoding uses Pillow's ``draft`` so that the decoder skips detail a
    resize to ``target`` pixels would throw away (the result is still at least that large).
    ``timeout`` bounds the decode (default DEFAULT_DECODE_TIMEOUT; 0 for none).

    ``kept``: the image will be kept (an eager dataset), so its memory is new to this
    process rather than reused. A JPEG's pixels are then allocated by Pillow's ``fill``, which
    clears them with the interpreter lock let go, not by ``calloc`` with it held (see
    ``_allocate_unlocked``).
    """
    limit = DEFAULT_DECODE_TIMEOUT if timeout is None else timeout
    try:
        with time_limit(limit), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                info = ImageInfo(im.format, im.mode, im.size)
                check_pixels(im.size, default_max_pixels() if max_pixels is None else max_pixels)
                if target is not None and im.format == "JPEG":
                    im.draft("RGB", (target, target))
                if kept and im.format == "JPEG":
                    _allocate_unlocked(im)
                im.load()
                ImageOps.exif_transpose(im, in_place=True)  # no copy when upright
                # Pillow maps pixels from the file only in modes to_rgb converts (L, P, RGBX,
                # RGBA, CMYK, I;16): what comes back owns its pixels
                rgb = to_rgb(im)
    except DecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecodeError(f"decompression bomb refused: {exc}") from None
    except MemoryError:
        raise DecodeError("out of memory while decoding") from None
    except Exception as exc:  # Pillow raises many types for broken files
        raise DecodeError(_reason(exc)) from None
    return rgb, info


def _allocate_unlocked(im: Image.Image) -> None:
    """Give ``im`` (a JPEG not yet loaded, after any ``draft``) the memory its decoder will
    write into. ``load`` would ask ``Image.core.new``, whose ``calloc`` clears the memory with
    the interpreter lock held. ``Image.core.fill`` allocates without clearing and then fills
    with the lock let go, so the first touch of each page happens without the lock.

    Measured in the window, eager decoding of 800 JPEGs of 1024x768 after an earlier eager
    run's memory had been given back: with ``calloc``, single allocations took up to 63 ms with
    the lock held, and the window's heartbeat came up to 143 ms late.
    """
    im.im = Image.core.fill(im.mode, im.size, 0)


def to_rgb(im: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB faithfully."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in ("I", "F") or mode.startswith("I;16"):
        return Image.fromarray(_stretch_to_uint8(np.asarray(im)), "L").convert("RGB")
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


def _stretch_to_uint8(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64, copy=False)
    finite = np.isfinite(a)
    if not finite.any():
        return np.zeros(a.shape, np.uint8)
    lo, hi = float(a[finite].min()), float(a[finite].max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    out = np.where(finite, (a - lo) * scale, 0.0)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def fit_square(im: Image.Image, size: int) -> np.ndarray:
    """Scale the shorter side to ``size`` and centre-crop: an HWC uint8 array of size×size."""
    w, h = im.size
    if (w, h) != (size, size):
        side = min(w, h)
        left, top = (w - side) / 2, (h - side) / 2
        box = (left, top, left + side, top + side)
        im = im.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
    return np.array(im, dtype=np.uint8)  # a writable copy, so torch.from_numpy can own it


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and "truncated" in text.lower():
        return f"truncated file: {text}"
    if isinstance(exc, Image.DecompressionBombError):
        return f"decompression bomb refused: {text}"
    if type(exc).__name__ == "UnidentifiedImageError":
        return "not an image Pillow can identify"
    return f"{type(exc).__name__}: {text}"


# Truncated files are errors (the default), never silently half-loaded.
ImageFile.LOAD_TRUNCATED_IMAGES = False


def default_max_pixels() -> int:
    """Pillow's own limit (it warns above it and refuses at twice it)."""
    return int(Image.MAX_IMAGE_PIXELS or 89_478_485)


def check_pixels(size: tuple[int, int], limit: int) -> None:
    """Refuse an image whose header declares more than ``limit`` pixels, before decoding."""
    w, h = size
    if w * h > limit:
        raise DecodeError(
            f"decompression bomb refused: {w} × {h} = {w * h:,} pixels, over the limit of "
            f"{limit:,} (--max-pixels)"
        )


def read_header(path: str) -> ImageInfo:
    """What the file's header says (format, mode, size), without decoding pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd files: not for the user
            with Image.open(path) as im:
                return ImageInfo(im.format, im.mode, im.size)
    except Exception as exc:
        raise DecodeError(_reason(exc)) from None
