"""The project's structure holds: the import contracts, rooms of a readable size, functions
that fit on a screen, one copy of the app's resources, and a wheel that carries them."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "explorer"


def test_import_contracts_hold():
    """``lint-imports`` (import-linter, contracts in pyproject.toml): the core imports no Qt
    and no front end; app above the command line and the window above the core; nothing in
    the product imports the benchmark."""
    lint = shutil.which("lint-imports") or pytest.fail("import-linter is not installed")
    proc = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout and "5 kept" in proc.stdout


def test_no_room_holds_more_than_about_fifteen_modules():
    rooms = {d: len(list(d.glob("*.py"))) for d in [PACKAGE, *PACKAGE.rglob("*/")]}
    crowded = {str(d.relative_to(ROOT)): n for d, n in rooms.items() if n > 15}
    assert not crowded
    assert len([d for d, n in rooms.items() if n]) >= 12  # the walk saw the rooms


def test_every_room_says_what_it_holds():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init.relative_to(ROOT)} has no docstring saying what the room holds"


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "scripts").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > 100:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert not long


def test_resources_have_one_home():
    assert not (PACKAGE / "gui" / "resources").exists()
    data = [p for p in PACKAGE.rglob("*") if p.suffix in {".svg", ".png", ".desktop", ".json"}]
    assert not data, "resources belong in resources/ at the top"
    for name in ("dataloader-explorer.desktop", "lessons.json", "themes.json"):
        assert (ROOT / "resources" / name).is_file()


def test_the_wheel_carries_the_resources_and_the_window_finds_them(tmp_path):
    """Build the wheel from a copy of the checkout, install it into a fresh folder, and start
    the window offscreen from elsewhere: its icon and the five lessons are there."""
    source = tmp_path / "src"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file() and not name.startswith(("tests/", "docs/")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("dataloader_explorer-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("share/applications/dataloader-explorer.desktop") for n in names)
    assert "explorer/_resources/dataloader-explorer.desktop" in names
    assert "explorer/_resources/lessons.json" in names
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    probe = (
        "import json, explorer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from explorer.gui import MainWindow\n"
        "from explorer.gui.theme import app_icon\n"
        "app = QApplication([])\n"
        "window = MainWindow()\n"
        "combo = window.controls.presetCombo\n"
        "print(json.dumps({'file': explorer.__file__,\n"
        "    'icon': [s.width() for s in app_icon().availableSizes()],\n"
        "    'window_icon': not window.windowIcon().isNull(),\n"
        "    'lessons': [combo.itemText(i) for i in range(combo.count())]}))\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(seen["file"]).is_relative_to(target)  # the installed copy, not the checkout
    assert {16, 32, 48, 64, 128, 256} <= set(seen["icon"])
    assert seen["window_icon"]
    assert seen["lessons"] == [
        "Eager vs lazy",
        "Copy-on-read: list vs numpy",
        "Workers multiply memory?",
        "fork vs spawn",
        "How many workers?",
    ]
