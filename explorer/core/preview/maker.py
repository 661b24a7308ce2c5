"""The batch preview, made off the loading loop's path.

At most once per ``preview_interval`` seconds the loop hands a batch it has just received to
this maker (a reference, nothing copied) and goes on. A thread of its own, at a low
scheduling priority, makes the thumbnails, detail images and statistics and emits them as a
``BatchPreview`` after the batch's ``BatchDone``. If it is still busy with the last one, the
batch is not previewed: the loop never waits for a picture.

Previews also keep within ``PREVIEW_BUDGET`` of one core, as the memory sampler's full readings
do: where one costs more than that at ``preview_interval`` (224 px JPEG samples on a busy
2-core machine: 8-10 ms for 16), the next comes later, at most ``MAX_GAP_S`` later. When the
workers keep every core busy, each millisecond here is taken from them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..datasets.dataset_factory import BuiltDataset
from ..memory.sampler import yield_cpu
from ..run.config import RunConfig
from ..run.events import BatchDone, BatchPreview, PreviewSample
from .display import DETAIL_SIZE, THUMB_SIZE, display_pictures, fit_within, tensor_stats
from .sample_view import SampleView, split_batch, view_sample

log = logging.getLogger(__name__)

_BLANK = np.zeros((1, 1, 3), dtype=np.uint8)
_NOT_IMAGE = np.zeros((8, 8, 3), dtype=np.uint8)
_STOP = object()
PREVIEW_BUDGET = 0.005  # of one core
MAX_GAP_S = 2.0


class PreviewMaker:
    def __init__(
        self,
        config: RunConfig,
        built: BuiltDataset,
        emit: Callable[[object], None],
        now: Callable[[], float],
    ) -> None:
        self.interval = config.preview_interval
        self.count = config.preview_count
        self.built = built
        self._emit = emit
        self._now = now
        self._next_at = 0.0
        self.gap = self.interval  # the interval, or longer where previews cost more (budget)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        self.cpu_s = 0.0  # CPU time its thread has used, once closed

    def offer(self, batch: Any, event: BatchDone) -> None:
        """Called by the loop for every batch: cheap unless a preview is due and the maker
        is free."""
        if self.interval <= 0:
            return
        t = time.monotonic()
        if t < self._next_at:
            return
        try:
            self._queue.put_nowait((batch, event, t))
        except queue.Full:
            return  # still making the last one
        self._next_at = t + self.gap
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="preview", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Finish the preview in hand (so it comes before the run's end) and end the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    def _work(self) -> None:
        cpu0 = time.thread_time()
        try:
            self._make_until_stopped()
        finally:
            self.cpu_s = time.thread_time() - cpu0

    def _make_until_stopped(self) -> None:
        yield_cpu()  # the workers' and the loop's CPU comes first
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch, event, offered = item
            try:
                c0 = time.thread_time()
                samples = self.make(batch, event)
                cost = time.thread_time() - c0
                self.gap = max(self.interval, min(MAX_GAP_S, cost / PREVIEW_BUDGET))
                # This preview's own cost spaces out the next one: the first preview of a
                # run was followed by a second at the plain interval (lazy JPEG bench run:
                # previews at 0.18 and 0.73 s, 12 ms of CPU each, on busy cores).
                self._next_at = max(self._next_at, offered + self.gap)
            except Exception:  # a picture must never end a run
                log.exception("making the preview of batch %d failed", event.index)
                continue
            finally:
                del item, batch
            self._emit(
                BatchPreview(
                    self._now(), event.index, event.epoch, event.worker, event.samples, samples
                )
            )

    def make(self, batch: Any, event: BatchDone) -> tuple[PreviewSample, ...]:
        if self.built.collate_fn is not None:  # the user's batch, and our metadata beside it
            user_batch, meta = batch
            n = int(meta.shape[0])
            samples = split_batch(user_batch, n)[: self.count]
            return tuple(
                user_preview(view_sample(sample), int(meta[i, 0]), int(meta[i, 1]))
                for i, sample in enumerate(samples)
            )
        n = min(self.count, len(batch["index"]))
        return tuple(self._sample(batch, i) for i in range(n))

    def _sample(self, batch: dict[str, Any], i: int) -> PreviewSample:
        x: torch.Tensor = batch["image"][i]
        index = int(batch["index"][i])
        pictures = display_pictures(x)
        thumbnail, image = pictures if pictures is not None else (_NOT_IMAGE, _NOT_IMAGE)
        lo, hi, mean = tensor_stats(x)
        # Path and class only: the file's own header (original size and mode) is read by the
        # detail view when someone asks, not here for every previewed sample.
        info = self.built.describe(index, header=False)
        errors = batch.get("error")
        return PreviewSample(
            index=index,
            label=int(batch["label"][i]),
            worker=int(batch["worker"][i]),
            thumbnail=thumbnail,
            image=image,
            shape=tuple(x.shape),
            dtype=str(x.dtype).replace("torch.", ""),
            min=lo,
            max=hi,
            mean=mean,
            path=info.path,
            class_name=info.class_name,
            original_size=info.original_size,
            original_mode=info.original_mode,
            error=errors[i] if errors else "",
        )


def user_preview(view: SampleView, index: int, worker: int) -> PreviewSample:
    """A PreviewSample of any sample of the user's, as ``view_sample`` saw it."""
    rgb = view.rgb if view.rgb is not None else _BLANK
    return PreviewSample(
        index=index,
        label=view.label,
        worker=worker,
        thumbnail=fit_within(rgb, THUMB_SIZE),
        image=fit_within(rgb, DETAIL_SIZE),
        shape=view.shape,
        dtype=view.dtype,
        min=view.min,
        max=view.max,
        mean=view.mean,
        path=view.path,
        caption=view.caption,
        card=view.card,
    )
