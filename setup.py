"""The one thing pyproject.toml cannot say: the top-level ``resources/`` folder goes into the
wheel as the package ``explorer._resources`` (read through ``importlib.resources``), and the
desktop entry and icons also go where a Linux desktop looks for them (``share/``)."""

from pathlib import Path

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["explorer", "explorer.*"]), "explorer._resources"],
    package_dir={"explorer._resources": "resources"},
    package_data={
        "explorer._resources": ["*.json", "*.desktop", "*.xml", "icons/hicolor/*/apps/*"]
    },
    data_files=[
        ("share/applications", ["resources/dataloader-explorer.desktop"]),
        ("share/metainfo", ["resources/dataloader-explorer.metainfo.xml"]),
    ]
    + [
        (f"share/{icon.parent.as_posix()}", [f"resources/{icon.as_posix()}"])
        for icon in sorted(Path("resources").glob("icons/hicolor/*/apps/*"))
        for icon in [icon.relative_to("resources")]
    ],
)
