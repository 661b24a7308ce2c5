"""What a newcomer stumbled on in the window: Σ PSS that seemed to end, curves hiding each
other, and controls that mean nothing for the chosen source."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QComboBox, QSpinBox

from explorer.core.run.events import MemorySweep, ProcessesChanged, ProcessMemory
from explorer.gui.palette import LIGHT, THEMES, WORKER_COLORS, role_color

MiB = 1 << 20


def sweep(t: float, full: bool) -> MemorySweep:
    def row(pid: int, role: str, rss: int, uss: int, pss: int) -> ProcessMemory:
        return ProcessMemory(pid, role, rss * MiB, uss * MiB if full else None,
                             pss * MiB if full else None)  # fmt: skip

    rows = (
        row(100, "main", 400, 300, 350),
        row(101, "worker-0", 120, 20, 40),
        row(102, "worker-1", 120, 20, 40),
    )
    return MemorySweep(t, rows, full)


def feed(chart) -> None:
    for k in range(34):  # RSS at 10 Hz for 3.3 s; USS/PSS read until 1.9 s only
        t = k / 10
        chart.add_sweep(sweep(t, full=t <= 1.9 and k % 5 == 0))
    chart.redraw()


def test_total_pss_reaches_the_present_in_a_colour_of_its_own(window):
    chart = window.chart
    feed(chart)
    items = chart.plot.getPlotItem().listDataItems()
    since = next(i for i in items if i.name() == "total PSS since")
    xs, ys = since.getData()
    assert xs[0] == 1.5 and xs[-1] == 3.3  # from the last PSS reading to now
    assert ys[0] == ys[-1] == 430  # at the last known value (350 + 40 + 40 MiB)
    total = next(i for i in items if i.name() == "total PSS")
    assert total.opts["symbol"] == "o"  # where it was measured
    for theme in THEMES.values():
        process_colours = {c.lower() for c in WORKER_COLORS} | {
            role_color(r, theme).lower() for r in ("main", "pt_data_pin", "shm")
        }
        assert theme.total_pss.lower() not in process_colours


def test_hovering_names_every_process_even_under_an_equal_curve(qtbot, window):
    chart = window.chart
    feed(chart)
    text = chart.hover_text(2.5)
    assert "worker-0: 120.0 MiB" in text and "worker-1: 120.0 MiB" in text
    assert "main: 400.0 MiB" in text and "Σ PSS: 430.0 MiB" in text
    chart.metricCombo.setCurrentIndex(chart.metricCombo.findData("pss"))
    assert "worker-1: 40.0 MiB" in chart.hover_text(2.5)  # its last reading, at 1.5 s
    # the mouse over the plot moves the cursor line there
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    box = chart.plot.getPlotItem().getViewBox()
    chart._on_mouse_moved((box.mapViewToScene(QPointF(2.0, 100.0)),))
    assert chart._cursor.isVisible() and abs(chart._cursor.value() - 2.0) < 0.05


def test_controls_that_mean_nothing_for_random_tensors_are_off_and_say_so(window):
    controls = window.controls
    source = window.findChild(QComboBox, "sourceCombo")
    storage = window.findChild(QComboBox, "storageCombo")
    mode = window.findChild(QComboBox, "modeCombo")
    resize = window.findChild(QSpinBox, "resizeSpin")
    controls.set_source("folder")
    controls.set_mode("eager")
    storage.setCurrentIndex(storage.findData("pil-list"))
    source.setCurrentIndex(source.findData("random"))
    assert not resize.isEnabled() and "shape of their spec" in resize.toolTip()
    assert mode.itemText(mode.findData("lazy")) == "lazy: generate in __getitem__"
    assert not mode.model().item(mode.findData("memmap")).isEnabled()
    assert not storage.model().item(storage.findData("pil-list")).isEnabled()
    assert storage.currentData() == "contiguous" and "one tensor" in storage.toolTip()
    source.setCurrentIndex(source.findData("folder"))
    assert resize.isEnabled()
    assert mode.itemText(mode.findData("lazy")) == "lazy: decode in __getitem__"
    assert storage.currentData() == "pil-list"  # the folder's choice, kept


def test_the_time_axis_rescales_in_few_steps_as_a_run_starts(window):
    """Each change of the axis's range redraws its text on the GUI thread, and the first
    seconds of a run are when the window is busiest: 4 s at 10 Hz rescale it twice."""
    chart = window.chart
    ends = []
    for k in range(1, 41):
        chart.add_sweep(sweep(k / 10, full=False))
        chart.redraw()
        ends.append(chart.plot.getPlotItem().getViewBox().viewRange()[0][1])
    assert sorted(set(round(e, 6) for e in ends)) == [2.0, 5.0]
    assert ends[-1] >= 4.0  # the whole run stays in view


def test_a_second_run_starts_in_the_first_runs_frame_without_resizing_the_chart(
    qapp, qtbot, window
):
    """A new run's start (workers forking, first batches) is the window's busiest moment:
    the chart keeps the last run's axes and size through it, since each change re-renders
    the axes' text, and fits the new run's own data once its first seconds are over."""
    window.resize(1500, 860)
    window.show()
    qtbot.waitExposed(window)
    chart = window.chart
    for k in range(1, 41):
        chart.add_sweep(sweep(k / 10, full=k % 5 == 0))
        chart.redraw()
        qapp.processEvents()
    view = chart.plot.getPlotItem().getViewBox()
    frame, height = view.viewRange(), chart.plot.height()
    chart.clear()
    qapp.processEvents()
    assert chart.plot.height() == height  # an emptied legend keeps its room
    small = MemorySweep(0.0, (ProcessMemory(100, "main", 100 * MiB, None, None),), False)
    for k in range(1, 25):  # 2.4 s of a run that needs a quarter of the height
        chart.add_sweep(MemorySweep(k / 10, small.rows, False))
        chart.redraw()
        qapp.processEvents()
        assert view.viewRange() == frame
        assert chart.plot.height() == height
    for k in range(25, 41):
        chart.add_sweep(MemorySweep(k / 10, small.rows, False))
        chart.redraw()
    assert view.viewRange()[1][1] < frame[1][1] / 2  # fitted to its own data after


def test_a_second_run_shows_its_own_processes_and_markers_only(window):
    """The next run's curves and markers reuse the last run's (hidden at ``clear``): it must
    show exactly its own processes and captions, in the theme chosen meanwhile."""
    chart = window.chart
    for k in range(1, 11):
        chart.add_sweep(sweep(k / 10, full=k % 5 == 0))
    chart.add_marker(0.2, "2 workers started", minor=True)
    chart.add_marker(0.5, "first batch")
    chart.add_marker(1.0, "completed")
    chart.redraw()
    chart.clear()
    window.set_theme("light")
    main_only = MemorySweep(0.0, sweep(0.0, full=False).rows[:1], False)
    for k in range(1, 11):
        chart.add_sweep(MemorySweep(k / 10, main_only.rows, False))
    chart.add_marker(0.7, "stopped")
    chart.redraw()

    item = chart.plot.getPlotItem()

    def drawn(curve: pg.PlotDataItem) -> bool:
        xs = curve.getData()[0]
        return curve.isVisible() and xs is not None and len(xs) > 0

    shown = {c.name(): c for c in item.listDataItems() if drawn(c)}
    assert set(shown) == {"main", "total RSS"}
    assert shown["main"].opts["pen"].color().name() == role_color("main", LIGHT)
    lines = [i for i in item.items if isinstance(i, pg.InfiniteLine) and i.isVisible()]
    lines = [line for line in lines if line is not chart._cursor]
    assert [(line.value(), line.label.toPlainText()) for line in lines] == [(0.7, "stopped")]
    assert lines[0].pen.color().name() == LIGHT.marker
    assert chart.markers() == ["stopped"] and chart.curve_names() == ["main"]


def test_a_run_of_many_workers_leaves_a_bounded_few_hidden_curves_and_main_ready(window):
    """Hidden curves wait for the next run's processes, but never more than ``MAX_SPARE``:
    those of roles no later run had go first, then the highest workers; the main process's
    stays. Marker lines likewise, never more than ``MAX_KEPT``."""
    from explorer.gui.charts.marker_lines import MAX_KEPT
    from explorer.gui.charts.memory_chart import MAX_SPARE

    chart = window.chart
    many = [ProcessMemory(100, "main", 400 * MiB, None, None)]
    many += [ProcessMemory(101 + k, f"worker-{k}", 120 * MiB, None, None) for k in range(24)]
    chart.add_sweep(MemorySweep(0.1, tuple(many), False))
    chart.redraw()
    item = chart.plot.getPlotItem()
    main = next(c for c in item.listDataItems() if c.name() == "main")
    for k in range(40):  # an epoch's workers started and gone, twenty times
        chart.add_marker(k / 10, "workers gone" if k % 2 else "2 workers started", minor=True)
    chart.clear()
    roles = [c.name() for c in item.listDataItems() if c.name() == "main" or "worker" in c.name()]
    assert len(roles) == MAX_SPARE and {"main", "worker-0", "worker-1"} <= set(roles)
    lines = [i for i in item.items if isinstance(i, pg.InfiniteLine) and i is not chart._cursor]
    assert len(lines) == MAX_KEPT and not any(line.isVisible() for line in lines)
    chart.add_sweep(MemorySweep(0.1, tuple(many[:3]), False))
    chart.add_marker(0.3, "stopped")
    assert chart.markers() == ["stopped"]
    chart.redraw()
    assert next(c for c in item.listDataItems() if c.name() == "main") is main
    assert main.isVisible() and len(main.getData()[0]) == 1
    chart.clear()  # a run of other roles (a traced job's) comes next: its curves are kept
    other = [many[0]] + [ProcessMemory(201 + k, f"rank-{k}", MiB, None, None) for k in range(20)]
    chart.add_sweep(MemorySweep(0.1, tuple(other), False))
    chart.redraw()
    chart.clear()
    roles = {c.name() for c in item.listDataItems() if c.name() == "main" or "-" in c.name()}
    assert roles == {"main"} | {f"rank-{k}" for k in range(MAX_SPARE - 1)}


def test_the_first_runs_axes_do_not_rescale_as_its_workers_appear(window):
    """No earlier run left a frame: the run's start sets one with room for the workers, drawn
    before the forks (the hold's start), so the axes keep still as the workers appear, just
    when the forks have made every page the window writes a copy."""
    chart = window.chart
    view = chart.plot.getPlotItem().getViewBox()
    chart.clear()
    chart.expect_workers(2, 400 * MiB)
    chart.add_sweep(MemorySweep(0.0, sweep(0.0, full=True).rows[:1], True))  # main alone
    chart.hold(True)  # the forks begin
    frame = view.viewRange()
    assert frame[1][1] >= 3 * 400  # the main process's 400 MiB, and two more like it
    chart.hold(False)
    for k in range(1, 30):  # the workers come, 2.9 s of the run
        chart.add_sweep(sweep(k / 10, full=k % 5 == 0))
        chart.redraw()
        assert view.viewRange() == frame
    for k in range(30, 41):
        chart.add_sweep(sweep(k / 10, full=False))
        chart.redraw()
    assert view.viewRange()[1][1] < frame[1][1]  # then fitted to its own 640 MiB


def test_the_chart_holds_its_redraws_while_the_workers_fork(window):
    chart = window.chart
    curve = chart._total_curves["rss"]
    chart.add_sweep(sweep(0.0, full=True))
    chart.redraw()
    chart.hold(True)
    chart.add_sweep(sweep(0.1, full=False))
    chart.redraw()
    assert len(curve.getData()[0]) == 1  # the sweep is kept, not drawn
    chart.hold(False)
    chart.redraw()
    assert len(curve.getData()[0]) == 2


def test_a_held_chart_adds_no_marker_nor_legend_and_paints_nothing_until_released(
    qapp, qtbot, window
):
    """A marker added between two forks took 20 ms, copying 1,081 of the pages the first
    worker still shared; a paint among the forks, 13 ms (490 pages)."""
    window.show()
    qtbot.waitExposed(window)
    chart = window.chart
    chart.clear()
    chart.add_sweep(MemorySweep(0.0, sweep(0.0, full=True).rows[:1], True))  # main alone
    chart.redraw()
    painted = []
    viewport = chart.plot.viewport()
    original = chart.plot.paintEvent

    def paint(event):  # type: ignore[no-untyped-def]
        painted.append(chart._held)
        return original(event)

    chart.plot.paintEvent = paint
    chart.hold(True)
    chart.add_sweep(sweep(0.1, full=True))  # the workers' rows
    chart.processes_changed(ProcessesChanged(0.1, started=(("worker-0", 1), ("worker-1", 2))))
    viewport.update()
    qapp.processEvents()
    assert chart.markers() == [] and "worker-0" not in chart.legendLabel.text()
    assert True not in painted
    chart.hold(False)
    qtbot.waitUntil(lambda: chart.markers() == ["2 workers started"])
    assert "worker-0" in chart.legendLabel.text()
    qtbot.waitUntil(lambda: False in painted)
    chart.hold(True)  # held again before the catch-up: it waits for the next release
    chart.processes_changed(ProcessesChanged(0.2, exited=(("worker-0", 1), ("worker-1", 2))))
    chart.hold(False)
    chart.hold(True)
    qapp.processEvents()
    assert chart.markers() == ["2 workers started"]
    chart.hold(False)
    qtbot.waitUntil(lambda: chart.markers() == ["2 workers started", "workers gone"])


def test_the_grid_lies_at_the_axes_ticks_and_the_axes_stay_strips(qapp, qtbot, window):
    """Each axis is kept as a pixmap of its own area; pyqtgraph's own grid made that area the
    whole plot (3 MiB of the idle window). The grid is drawn in the view instead, where the
    axes put their ticks."""
    window.resize(1500, 860)
    window.show()
    qtbot.waitExposed(window)
    feed(window.chart)
    qapp.processEvents()
    plot = window.chart.plot
    item = plot.getPlotItem()
    view = item.getViewBox()
    left, bottom = item.getAxis("left"), item.getAxis("bottom")
    assert left.boundingRect().width() < view.width() / 4
    assert bottom.boundingRect().height() < view.height() / 4

    for curve in item.listDataItems():  # the grid alone: no curve in front of it
        curve.setVisible(False)
    with_grid = plot.grab().toImage()
    window.chart.grid.setVisible(False)
    without = plot.grab().toImage()

    def differs(x: int, y: int) -> bool:
        return with_grid.pixel(x, y) != without.pixel(x, y)

    box = view.sceneBoundingRect()
    top, height = int(box.top()) + 2, int(box.height()) - 4
    x_low, x_high = view.viewRange()[0]
    major = [v for v in bottom.tickValues(x_low, x_high, view.width())[0][1] if x_low < v < x_high]
    assert len(major) >= 3
    for value in major:  # a line down the whole view at each tick of the time axis
        x = round(plot.mapFromScene(view.mapViewToScene(QPointF(value, 0))).x())
        rows = [
            y for y in range(top, top + height) if any(differs(c, y) for c in (x - 1, x, x + 1))
        ]
        assert len(rows) > 0.8 * height, value
    y_low, y_high = view.viewRange()[1]
    major = [v for v in left.tickValues(y_low, y_high, view.height())[0][1] if y_low < v < y_high]
    for value in major:  # and across it at each tick of the memory axis
        y = round(plot.mapFromScene(view.mapViewToScene(QPointF(0, value))).y())
        x0, width = int(box.left()) + 2, int(box.width()) - 4
        cols = [x for x in range(x0, x0 + width) if any(differs(x, r) for r in (y - 1, y, y + 1))]
        assert len(cols) > 0.8 * width, value
    area = [
        (x, y)
        for x in range(int(box.left()), int(box.right()), 3)
        for y in range(top, top + height, 3)
    ]
    ruled = sum(differs(x, y) for x, y in area)
    assert ruled < 0.2 * len(area)  # lines, not a wash over the whole plot
