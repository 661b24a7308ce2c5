"""The plain, immutable events a run produces. They cross threads (and, in the window, a
queued signal) as they are: numbers, strings, tuples and numpy arrays, nothing live.

Every event's ``t`` is seconds since the run started (``time.monotonic()`` based).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..datasets.dataset_info import DatasetInfo
from ..health.folder import SkippedFile
from ..memory.system_memory import SystemMemory


@dataclass(frozen=True)
class RunStarted:
    t: float
    config: dict[str, Any]
    main_pid: int


@dataclass(frozen=True)
class DatasetProgress:
    """The dataset is being prepared (eager decode, memmap cache build)."""

    t: float
    stage: str
    done: int
    total: int
    rate: float  # items per second


@dataclass(frozen=True)
class DatasetReady:
    t: float
    info: DatasetInfo


@dataclass(frozen=True)
class EpochStarted:
    t: float
    epoch: int
    batches: int | None  # batches this epoch will have (after --max-batches), when known
    loader: int | None = None  # a traced job's DataLoader (None in the explorer's own runs)
    rank: int | None = None


@dataclass(frozen=True)
class PreviewSample:
    """One sample of a previewed batch, as the model receives it."""

    index: int
    label: int
    worker: int
    thumbnail: np.ndarray  # HxWx3 uint8, at most THUMB_SIZE on a side
    image: np.ndarray  # HxWx3 uint8, at most DETAIL_SIZE on a side
    shape: tuple[int, ...]
    dtype: str
    min: float
    max: float
    mean: float
    path: str | None = None
    class_name: str | None = None
    original_size: tuple[int, int] | None = None
    original_mode: str | None = None
    error: str = ""
    #: The user's dataset: the sample's other parts in a few words (a label, a path).
    caption: str = ""
    #: A sample with nothing image-like: its structure, shapes, dtypes and ranges.
    card: str = ""


@dataclass(frozen=True)
class BatchDone:
    t: float
    index: int  # batch number within the run, from 0
    epoch: int
    worker: int | None  # None when num_workers is 0
    wait_s: float  # how long the main loop waited for this batch
    samples: int
    failed: tuple[SkippedFile, ...] = ()
    preview: tuple[PreviewSample, ...] | None = None
    fetch_start: float | None = None  # when its first sample's fetch began (run seconds)
    fetch_end: float | None = None  # when its last sample's fetch ended
    decode_s: float = 0.0  # decode and transform time of its samples, summed
    # A traced job's batches (None in the explorer's own runs):
    loader: int | None = None  # the DataLoader's id in the job
    rank: int | None = None  # the job's rank (torchrun), None for a single process
    step_s: float | None = None  # the job's time between the last batch and asking for this


@dataclass(frozen=True)
class BatchPreview:
    """Thumbnails of batch ``index``, made off the loop's path and sent after its BatchDone
    (recordings made before this event existed carry them in ``BatchDone.preview``). Its
    fields are named as BatchDone's, so a view can show either."""

    t: float
    index: int
    epoch: int
    worker: int | None
    samples: int
    preview: tuple[PreviewSample, ...]


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    role: str
    rss: int
    uss: int | None
    pss: int | None
    # A traced job's processes: whose rank, and which loader's worker (None otherwise)
    rank: int | None = None
    loader: int | None = None
    worker: int | None = None


@dataclass(frozen=True)
class MemorySweep:
    """One reading of every live process, all at the same instant ``t``."""

    t: float
    rows: tuple[ProcessMemory, ...]
    full: bool  # whether USS/PSS were read in this sweep
    system: SystemMemory | None = None


@dataclass(frozen=True)
class WorkerBaseline:
    """A worker's USS once it is running (after its first batch): its growth from here on is
    what touching the dataset costs it (copy-on-read), not its own start-up."""

    t: float
    role: str
    pid: int
    uss: int


@dataclass(frozen=True)
class MemoryBudget:
    """The predicted peak of a run, set against what the machine has, before workers start."""

    t: float
    predicted_peak: int
    parts: dict[str, int]
    available: int
    shm_total: int | None
    shm_needed: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessesChanged:
    t: float
    started: tuple[tuple[str, int], ...] = ()  # (role, pid)
    exited: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class LoaderCreated:
    """A traced job created a DataLoader (``id`` counts from 1 in each process)."""

    t: float
    id: int
    rank: int | None
    pid: int
    created_at: str  # file:line in the job's code
    dataset: str  # its class, with its wrappers: Subset(FolderImages)
    len: int | None
    batch_size: int | None
    num_workers: int
    multiprocessing_context: str | None
    persistent_workers: bool
    pin_memory: bool
    prefetch_factor: int | None
    batches: int | None  # len(loader), when known
    transforms: tuple[str, ...] = ()  # the timed steps of its transform chain


@dataclass(frozen=True)
class TransformStats:
    """A traced loader's transform steps so far, over all its workers: (name, calls, seconds)."""

    t: float
    loader: int
    rank: int | None
    steps: tuple[tuple[str, int, float], ...]


@dataclass(frozen=True)
class JobOutput:
    """Lines a traced job wrote to its stdout or stderr."""

    t: float
    stream: str  # "stdout" or "stderr"
    text: str


@dataclass(frozen=True)
class RunFinished:
    t: float
    status: str  # "completed", "stopped" or "failed"
    reason: str = ""
    batches: int = 0
    samples: int = 0
    details: str = field(default="", repr=False)  # a traceback, for logs
    wait_s: float = 0.0  # time the main loop spent waiting for batches
    loop_s: float = 0.0  # from the first request for a batch to the end of the last step
    # CPU time of the explorer's own threads in the main process over the run: the memory
    # sampler and the preview maker (what the tool adds to a run, beside its loop's events);
    # None where it was not measured: a traced job, a recording made before it existed
    tool_cpu_s: float | None = None
    # A traced job's end: its exit status, and the events its processes could not send
    exit_code: int | None = None
    events_dropped: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


Event = (
    RunStarted
    | DatasetProgress
    | DatasetReady
    | EpochStarted
    | BatchDone
    | BatchPreview
    | LoaderCreated
    | TransformStats
    | JobOutput
    | MemorySweep
    | ProcessesChanged
    | RunFinished
)


def has_preview(event: object) -> bool:
    """A preview to show: a BatchPreview, or a BatchDone of an older recording that has one."""
    return isinstance(event, BatchPreview | BatchDone) and bool(event.preview)
