"""The side panel: what to load (an image folder or random tensors), how (eager, lazy, memmap),
and the DataLoader's settings, each with a one-sentence tooltip on what it does to memory or
speed. It builds a validated RunConfig; it never runs anything itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.datasets.randomspec import parse_random_spec
from ...core.errors import ConfigError
from ...core.run.config import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_RESIZE, RunConfig, max_workers
from ...core.trace.session import TraceConfig
from ...core.units import format_bytes
from ..palette import DARK, Theme
from ..presets import PRESETS
from ..settings import AppSettings
from .memory_options import MemoryOptions
from .trace_picker import TracePicker
from .user_dataset_picker import UserDatasetPicker

SOURCES = (
    ("Image folder", "folder"),
    ("Random tensors", "random"),
    ("Your dataset", "dataset"),
    ("Training script", "trace"),
)
MODES = (
    (
        "eager: decode all in __init__",
        "eager",
        "Decodes every image up front and keeps it in the main process: fast batches, memory "
        "grows with the dataset.",
    ),
    (
        "lazy: decode in __getitem__",
        "lazy",
        "Keeps only paths and decodes each sample when asked: memory stays flat, every sample "
        "costs a decode.",
    ),
    (
        "memmap: pre-decoded cache",
        "memmap",
        "Decodes once into a uint8 cache file and reads it memory-mapped: the OS pages data in "
        "and shares it between workers.",
    ),
    (
        "hdf5: pre-decoded HDF5 file",
        "hdf5",
        "Converts once into an HDF5 file and reads one item per sample, the file opened in each "
        "worker (needs h5py).",
    ),
)
#: What the modes mean for random tensors (memmap and HDF5 need an image folder).
RANDOM_MODES = {
    "eager": "eager: generate all in __init__",
    "lazy": "lazy: generate in __getitem__",
}
#: Random tensors are one tensor, in ordinary or in shared memory.
RANDOM_STORAGES = ("contiguous", "shared-tensor")
RESIZE_TIP = (
    "Images leave __getitem__ as S×S: smaller means less memory per batch and faster JPEG decoding."
)
STORAGES = (
    (
        "PIL images (classic)",
        "pil-list",
        "A list of PIL images, as most tutorials do: Pillow keeps RGB as 4 bytes a pixel.",
    ),
    ("numpy arrays", "array-list", "A list of numpy arrays: 3 bytes a pixel."),
    (
        "one contiguous array",
        "contiguous",
        "One uint8 array for the whole dataset: few Python objects, nothing for reference "
        "counting to copy into workers.",
    ),
    (
        "one shared tensor",
        "shared-tensor",
        "One tensor in shared memory: even spawned workers map it instead of copying it.",
    ),
)


class ControlsPanel(QWidget):
    runRequested = Signal()
    stopRequested = Signal()
    presetRequested = Signal(object)  # Preset
    sampleFolderRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        self._recent: list[str] = []
        self._folder_storage: str | None = None
        self.memoryOptions = MemoryOptions()
        layout = QVBoxLayout(self)
        layout.addWidget(self._source_box())
        layout.addWidget(self._loading_box())
        layout.addWidget(self.memoryOptions)
        layout.addWidget(self._presets_box())
        layout.addLayout(self._run_buttons())
        layout.addStretch(1)
        self.set_running(False)
        self._on_mode()

    def _source_box(self) -> QGroupBox:
        """The source combo over a page per source: folder, random tensors, your dataset."""
        self.sourceCombo = QComboBox(objectName="sourceCombo")
        for text, key in SOURCES:
            self.sourceCombo.addItem(text, key)
        self.sourceCombo.setToolTip(
            "Load real image files from a folder, or generate random tensors of a given shape."
        )

        self.sourceStack = QStackedWidget()
        self.sourceStack.addWidget(self._folder_page())
        self.sourceStack.addWidget(self._random_page())
        self.userDataset = UserDatasetPicker()
        self.sourceStack.addWidget(self.userDataset)
        self.tracePicker = TracePicker()
        self.sourceStack.addWidget(self.tracePicker)
        self.sourceCombo.currentIndexChanged.connect(self.sourceStack.setCurrentIndex)
        self.sourceCombo.currentIndexChanged.connect(self._on_source)

        source_box = QGroupBox("Source")
        source_layout = QVBoxLayout(source_box)
        source_layout.addWidget(self.sourceCombo)
        source_layout.addWidget(self.sourceStack)
        return source_box

    def _folder_page(self) -> QWidget:
        self.folderEdit = QLineEdit(objectName="folderEdit")
        self.folderEdit.setPlaceholderText("a folder of images (subfolders are classes)")
        self.folderEdit.setToolTip(
            "Every image under this folder is loaded; subfolders become labels."
        )
        self.browseButton = QPushButton("Browse…", objectName="browseButton")
        self.browseButton.setToolTip("Choose an image folder (Ctrl+O).")
        self.browseButton.clicked.connect(self.browse)
        self.sampleButton = QPushButton("Sample images", objectName="sampleFolderButton")
        self.sampleButton.setToolTip(
            "Make (once) and choose a folder of 240 generated JPEGs in three classes."
        )
        self.sampleButton.clicked.connect(self.sampleFolderRequested)
        self.recentButton = QToolButton(objectName="recentButton", text="Recent")
        self.recentButton.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recentButton.setToolTip("Folders you ran before.")
        self.recentMenu = QMenu(self.recentButton)
        self.recentButton.setMenu(self.recentMenu)
        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addWidget(self.folderEdit, 1)
        folder_row.addWidget(self.browseButton)
        folder_row.addWidget(self.recentButton)
        folder_buttons = QHBoxLayout()
        folder_buttons.setContentsMargins(0, 0, 0, 0)
        folder_buttons.addWidget(self.sampleButton)
        folder_buttons.addStretch(1)
        page = QWidget()
        folder_layout = QVBoxLayout(page)
        folder_layout.setContentsMargins(0, 0, 0, 0)
        folder_layout.addLayout(folder_row)
        folder_layout.addLayout(folder_buttons)

        return page

    def _random_page(self) -> QWidget:
        self.randomSpecEdit = QLineEdit(objectName="randomSpecEdit")
        self.randomSpecEdit.setPlaceholderText("N:SHAPE[:DTYPE], e.g. 2000:3x64x64")
        self.randomSpecEdit.setToolTip(
            "N samples of SHAPE (and DTYPE, float32 by default): generated in __getitem__ when "
            "lazy, all held in memory when eager."
        )
        self.randomSpecEdit.textChanged.connect(self._check_spec)
        self.specInfo = QLabel(objectName="randomSpecInfo")
        self.specInfo.setWordWrap(True)
        page = QWidget()
        random_layout = QVBoxLayout(page)
        random_layout.setContentsMargins(0, 0, 0, 0)
        random_layout.addWidget(self.randomSpecEdit)
        random_layout.addWidget(self.specInfo)

        return page

    def _loading_box(self) -> QGroupBox:
        """Loading mode, eager storage, and the DataLoader's own numbers."""
        self.modeCombo = QComboBox(objectName="modeCombo")
        for i, (text, key, tip) in enumerate(MODES):
            self.modeCombo.addItem(text, key)
            self.modeCombo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.modeCombo.setToolTip("When samples are decoded, and so where the memory goes.")
        self.storageCombo = QComboBox(objectName="storageCombo")
        for i, (text, key, tip) in enumerate(STORAGES):
            self.storageCombo.addItem(text, key)
            self.storageCombo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.storageCombo.setToolTip("How an eager dataset holds its decoded pixels.")
        self.modeCombo.currentIndexChanged.connect(self._on_mode)

        self.batchSizeSpin = _spin(
            "batchSizeSpin",
            1,
            MAX_BATCH_SIZE,
            "Samples per batch: bigger batches mean fewer, larger transfers "
            "and more memory per batch in flight.",
        )
        self.workersSpin = _spin(
            "workersSpin",
            0,
            max_workers(),
            "num_workers: 0 loads in the main process; each worker is a "
            "separate process with its own memory that loads in parallel.",
        )
        self.resizeSpin = _spin(
            "resizeSpin",
            8,
            MAX_RESIZE,
            RESIZE_TIP,
        )
        self.epochsSpin = _spin(
            "epochsSpin",
            1,
            MAX_EPOCHS,
            "Passes over the dataset; without persistent workers each epoch "
            "starts new worker processes.",
        )
        self.stepSpin = _spin(
            "stepSpin",
            0,
            60_000,
            "A simulated training step: the main loop spends this long on "
            "each batch, so you see whether loading keeps up with a model.",
        )
        self.stepSpin.setSuffix(" ms")
        self.shuffleCheck = QCheckBox("Shuffle", objectName="shuffleCheck")
        self.shuffleCheck.setToolTip(
            "Visit samples in random order: the same work, but random file access on disk."
        )

        loading_box = QGroupBox("Dataset and DataLoader")
        form = QFormLayout(loading_box)
        form.addRow("Loading", self.modeCombo)
        form.addRow("Eager storage", self.storageCombo)
        form.addRow("Batch size", self.batchSizeSpin)
        form.addRow("Workers", self.workersSpin)
        form.addRow("Resize", self.resizeSpin)
        form.addRow("Epochs", self.epochsSpin)
        form.addRow("Training step", self.stepSpin)
        form.addRow("", self.shuffleCheck)
        return loading_box

    def _run_buttons(self) -> QHBoxLayout:
        self.runButton = QPushButton("Run", objectName="runButton")
        self.runButton.setToolTip("Start the DataLoader with these settings (Ctrl+R).")
        self.runButton.setDefault(True)
        self.stopButton = QPushButton("Stop", objectName="stopButton")
        self.stopButton.setToolTip("Stop after the current batch; all workers exit (Esc).")
        self.runButton.clicked.connect(self.runRequested)
        self.stopButton.clicked.connect(self.stopRequested)

        buttons = QHBoxLayout()
        buttons.addWidget(self.runButton, 1)
        buttons.addWidget(self.stopButton, 1)
        return buttons

    def _presets_box(self) -> QGroupBox:
        box = QGroupBox("Lessons")
        self.presetCombo = QComboBox(objectName="presetCombo")
        for preset in PRESETS:
            self.presetCombo.addItem(preset.name, preset)
        self.presetCombo.setToolTip("Runs that show one effect side by side, for talks.")
        self.presetButton = QPushButton("Play", objectName="presetButton")
        self.presetButton.setToolTip("Run this lesson's runs one after the other.")
        self.presetButton.clicked.connect(
            lambda: self.presetRequested.emit(self.presetCombo.currentData())
        )
        self.presetCaption = QLabel(objectName="presetCaption")
        self.presetCaption.setWordWrap(True)
        self.presetCombo.currentIndexChanged.connect(
            lambda: self.presetCaption.setText(self.presetCombo.currentData().caption)
        )
        self.presetCaption.setText(PRESETS[0].caption)
        row = QHBoxLayout()
        row.addWidget(self.presetCombo, 1)
        row.addWidget(self.presetButton)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.presetCaption)
        return box

    def apply_options(self, options: dict[str, Any]) -> None:
        """Set the controls from RunConfig-style options (a preset's run)."""
        if options.get("folder"):
            self.set_folder(options["folder"])
        if options.get("random"):
            self.randomSpecEdit.setText(options["random"])
            self.set_source("random")
        if "mode" in options:
            self.set_mode(options["mode"])
        if "storage" in options:
            self.storageCombo.setCurrentIndex(
                max(0, self.storageCombo.findData(options["storage"]))
            )
        for key, spin in (
            ("step_ms", self.stepSpin),
            ("batch_size", self.batchSizeSpin),
            ("workers", self.workersSpin),
            ("epochs", self.epochsSpin),
            ("resize", self.resizeSpin),
        ):
            if key in options:
                spin.setValue(int(options[key]))
        if "shuffle" in options:
            self.shuffleCheck.setChecked(bool(options["shuffle"]))
        self.memoryOptions.set_values(options)

    # ----------------------------------------------------------------- state
    def source(self) -> str:
        return self.sourceCombo.currentData()

    def set_source(self, key: str) -> None:
        self.sourceCombo.setCurrentIndex(max(0, self.sourceCombo.findData(key)))

    def set_folder(self, folder: str) -> None:
        self.folderEdit.setText(folder)
        self.set_source("folder")

    def set_mode(self, key: str) -> None:
        self.modeCombo.setCurrentIndex(max(0, self.modeCombo.findData(key)))

    def set_running(self, running: bool) -> None:
        self.runButton.setEnabled(not running)
        self.stopButton.setEnabled(running)
        for w in (
            self.sourceCombo,
            self.sourceStack,
            self.modeCombo,
            self.storageCombo,
            self.batchSizeSpin,
            self.workersSpin,
            self.resizeSpin,
            self.epochsSpin,
            self.shuffleCheck,
            self.stepSpin,
            self.memoryOptions,
        ):
            w.setEnabled(not running)
        if not running:
            self._on_mode()

    def build_config(self) -> RunConfig | TraceConfig:
        """The run these controls describe, validated; raises ConfigError with a message."""
        source = self.source()
        if source == "trace":
            return self.tracePicker.config()
        folder = random = dataset = None
        user: dict[str, Any] = {}
        if source == "folder":
            folder = self.folderEdit.text().strip()
            if not folder:
                raise ConfigError("folder", "choose an image folder first (Browse… or Ctrl+O)")
            folder = str(Path(folder).expanduser())
        elif source == "dataset":
            dataset = self.userDataset.target()
            user = {
                "dataset_args": self.userDataset.arguments(),
                "collate": self.userDataset.collate(),
            }
        else:
            random = self.randomSpecEdit.text().strip()
        config = RunConfig(
            folder=folder,
            random=random,
            dataset=dataset,
            **user,
            mode=self.modeCombo.currentData(),
            storage=self.storageCombo.currentData(),
            batch_size=self.batchSizeSpin.value(),
            workers=self.workersSpin.value(),
            epochs=self.epochsSpin.value(),
            resize=self.resizeSpin.value(),
            shuffle=self.shuffleCheck.isChecked(),
            step_ms=float(self.stepSpin.value()),
            **self.memoryOptions.values(self.workersSpin.value()),
        )
        return config.validate()

    # ----------------------------------------------------------------- settings
    def load(self, settings: AppSettings) -> None:
        self.set_source(settings.get("source"))
        self.folderEdit.setText(settings.get("folder"))
        self.randomSpecEdit.setText(settings.get("random_spec"))
        self.set_mode(settings.get("mode"))
        self.batchSizeSpin.setValue(settings.get("batch_size"))
        self.workersSpin.setValue(settings.get("workers"))
        self.resizeSpin.setValue(settings.get("resize"))
        self.epochsSpin.setValue(settings.get("epochs"))
        self.shuffleCheck.setChecked(settings.get("shuffle"))
        self.stepSpin.setValue(settings.get("step_ms"))
        self.storageCombo.setCurrentIndex(
            max(0, self.storageCombo.findData(settings.get("storage")))
        )
        self.memoryOptions.load(settings)
        self.set_recent(settings.recent_folders())
        self._check_spec()
        self.userDataset.set_values(
            settings.get("dataset_file"),
            settings.get("dataset_name"),
            settings.get("dataset_args"),
            settings.get("dataset_collate"),
        )
        self.tracePicker.commandEdit.setText(settings.get("trace_command"))
        self.tracePicker.cwdEdit.setText(settings.get("trace_cwd"))
        self.tracePicker.pythonEdit.setText(settings.get("trace_python"))
        self._on_source()

    def save(self, settings: AppSettings) -> None:
        settings.set("source", self.source())
        settings.set("folder", self.folderEdit.text())
        settings.set("random_spec", self.randomSpecEdit.text())
        settings.set("mode", self.modeCombo.currentData())
        settings.set("batch_size", self.batchSizeSpin.value())
        settings.set("workers", self.workersSpin.value())
        settings.set("resize", self.resizeSpin.value())
        settings.set("epochs", self.epochsSpin.value())
        settings.set("shuffle", self.shuffleCheck.isChecked())
        settings.set("step_ms", self.stepSpin.value())
        settings.set("storage", self._folder_storage or self.storageCombo.currentData())
        settings.set("trace_command", self.tracePicker.commandEdit.text())
        settings.set("trace_cwd", self.tracePicker.cwdEdit.text())
        settings.set("trace_python", self.tracePicker.pythonEdit.text())
        settings.set("dataset_file", self.userDataset.fileEdit.text())
        settings.set("dataset_name", self.userDataset.nameCombo.currentText())
        settings.set("dataset_args", self.userDataset.argsEdit.text())
        settings.set("dataset_collate", self.userDataset.collateEdit.text())
        self.memoryOptions.save(settings)

    def set_recent(self, folders: list[str]) -> None:
        self._recent = list(folders)
        self.recentMenu.clear()
        for folder in self._recent:
            self.recentMenu.addAction(folder, lambda f=folder: self.set_folder(f))
        self.recentButton.setEnabled(bool(self._recent))

    # ----------------------------------------------------------------- slots
    def browse(self) -> None:
        start = self.folderEdit.text() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose an image folder", start)
        if folder:
            self.set_folder(folder)

    def _on_mode(self) -> None:
        """Enable what means something for this source and mode, and say what it does there."""
        source = self.source()
        ours = source not in ("dataset", "trace")  # mode and resize: ours, not their dataset's
        idle = self.runButton.isEnabled()
        # a traced job has its own DataLoaders: none of these controls applies to it
        for control in (self.batchSizeSpin, self.workersSpin, self.epochsSpin, self.stepSpin,
                        self.shuffleCheck, self.memoryOptions):  # fmt: skip
            control.setEnabled(idle and source != "trace")
        eager = self.modeCombo.currentData() == "eager"
        self.storageCombo.setEnabled(ours and idle and eager)
        self.modeCombo.setEnabled(ours and idle)
        self.resizeSpin.setEnabled(source == "folder" and idle)
        random = source == "random"
        for i, (text, key, _tip) in enumerate(MODES):
            item = self.modeCombo.model().item(i)
            item.setEnabled(not random or key in RANDOM_MODES)
            item.setText(RANDOM_MODES.get(key, text) if random else text)
        for i, (_text, key, _tip) in enumerate(STORAGES):
            self.storageCombo.model().item(i).setEnabled(not random or key in RANDOM_STORAGES)
        # What a folder's eager storage was is kept while random tensors show theirs.
        current = self.storageCombo.currentData()
        if random and current not in RANDOM_STORAGES:
            self._folder_storage = current
            self.storageCombo.setCurrentIndex(self.storageCombo.findData("contiguous"))
        elif not random and self._folder_storage is not None:
            self.storageCombo.setCurrentIndex(self.storageCombo.findData(self._folder_storage))
            self._folder_storage = None
        self.storageCombo.setToolTip(
            "Random tensors are made as one tensor: in ordinary memory, or in shared memory "
            "that even spawned workers map instead of copying."
            if random
            else "How an eager dataset holds its decoded pixels."
        )
        self.resizeSpin.setToolTip(
            "Random tensors keep the shape of their spec; resize applies to image folders."
            if random
            else RESIZE_TIP
        )

    def _on_source(self) -> None:
        self._on_mode()
        if self.source() == "dataset" and not self.userDataset.candidates():
            self.userDataset.discover()

    def _check_spec(self) -> None:
        try:
            spec = parse_random_spec(self.randomSpecEdit.text())
        except ConfigError as exc:
            self._spec_info(exc.message, self.theme.error)
            return
        self._spec_info(
            f"{format_bytes(spec.sample_bytes)} a sample; {format_bytes(spec.total_bytes)} "
            "if held in memory (eager)",
            self.theme.muted,
        )

    def _spec_info(self, text: str, color: str) -> None:
        # A style sheet set, even the same one, restyles the label: 2-3 ms of the GUI thread
        # each time a lesson's run sets the spec.
        style = f"color: {color};"
        if self.specInfo.styleSheet() != style:
            self.specInfo.setStyleSheet(style)
        self.specInfo.setText(text)


def _spin(name: str, lo: int, hi: int, tip: str) -> QSpinBox:
    spin = QSpinBox(objectName=name)
    spin.setRange(lo, hi)
    spin.setToolTip(tip)
    spin.setAccelerated(True)
    return spin
