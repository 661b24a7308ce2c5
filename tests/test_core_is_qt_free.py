"""explorer/core must not import Qt: it runs headless and is tested without an event loop."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "explorer" / "core"
QT = ("PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "qtpy")


def test_no_module_in_core_imports_qt():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in QT]
    assert not offenders
    assert len(list(CORE.rglob("*.py"))) > 5  # the walk really looked at the core
