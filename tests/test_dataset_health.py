"""Dataset health on real files: the Pillow corpus (537 edge cases) and decoding that is correct
and safe (issue 5's must-shows)."""

import json
import struct
import time
import zlib

import numpy as np
import psutil
import pytest
from conftest import make_jpegs, run_cli
from PIL import Image

from explorer.core.health.decode import BACKGROUND, DecodeError, open_rgb, to_rgb
from explorer.core.health.scan import scan_folder


def test_sixteen_bit_png_is_stretched_not_white(corpus):
    raw = np.asarray(Image.open(corpus / "i_trns.png"))
    assert Image.open(corpus / "i_trns.png").mode == "I;16"
    rgb = np.asarray(open_rgb(str(corpus / "i_trns.png"))[0])
    assert (rgb == 255).mean() < 0.5 and 40 < rgb.mean() < 215
    assert rgb.min() == 0 and rgb.max() == 255  # the full 8-bit range
    assert raw.max() < 1024  # so clipping to 8 bits would have been white or near-black


def test_sixteen_bit_greyscale_pgm_keeps_its_picture(corpus):
    rgb = np.asarray(open_rgb(str(corpus / "hopper_16bit.pgm"))[0]).astype(int)
    ref = np.asarray(open_rgb(str(corpus / "hopper.jpg"))[0].convert("L").convert("RGB"))
    assert np.corrcoef(rgb[..., 0].ravel(), ref[..., 0].ravel())[0, 1] > 0.9


def test_cmyk_jpeg_colours_are_right(corpus):
    rgb = open_rgb(str(corpus / "pil_sample_cmyk.jpg"))[0]
    r, g, b = rgb.getpixel((0, 0))  # C=0 M=1 Y=1 K=0: red
    assert r > 200 and g < 60 and b < 60


def test_a_picture_pillow_maps_from_its_file_comes_back_owning_its_pixels(tmp_path):
    path = tmp_path / "grey.pgm"
    Image.fromarray(np.arange(60 * 50, dtype=np.uint8).reshape(50, 60)).save(path)
    with Image.open(path) as mapped:
        mapped.load()
        assert mapped.readonly  # Pillow reads this one through a map of the file
    rgb, _ = open_rgb(str(path))
    assert not rgb.readonly and np.asarray(rgb)[49, 59].tolist() == [(49 * 60 + 59) % 256] * 3


def _decoded(path, **kwargs):
    try:
        return np.asarray(open_rgb(path, **kwargs)[0])
    except DecodeError as exc:
        return str(exc)


def test_an_image_decoded_to_keep_is_the_same_picture(corpus):
    """An eager dataset decodes with ``kept=True`` (a JPEG's memory allocated with the
    interpreter lock let go): every corpus JPEG, CMYK, greyscale, EXIF-turned and broken ones
    included, comes out as the same pixels, or the same refusal, as without."""
    jpegs = sorted(p for p in corpus.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    assert len(jpegs) >= 20
    refused = 0
    for path in jpegs:
        plain, kept = _decoded(str(path)), _decoded(str(path), kept=True)
        if isinstance(plain, str):
            refused += 1
            assert kept == plain, path.name
        else:
            assert isinstance(kept, np.ndarray) and np.array_equal(kept, plain), path.name
    assert refused < len(jpegs)


def test_exif_rotated_jpeg_is_upright(corpus):
    upright = np.asarray(open_rgb(str(corpus / "hopper.jpg"))[0]).astype(int)
    rotated = np.asarray(open_rgb(str(corpus / "hopper_orientation_6.jpg"))[0]).astype(int)
    as_stored = np.asarray(Image.open(corpus / "hopper_orientation_6.jpg").convert("RGB"))
    assert np.abs(rotated - upright).mean() < 10
    assert np.abs(as_stored.astype(int) - upright).mean() > 20
    assert open_rgb(str(corpus / "orientation_rectangle.jpg"))[0].size == (1, 2)


def test_transparency_is_composited_on_neutral_grey(corpus):
    im = Image.open(corpus / "transparent.png").convert("RGBA")
    alpha = np.asarray(im)[..., 3]
    y, x = np.argwhere(alpha == 0)[0]
    assert open_rgb(str(corpus / "transparent.png"))[0].getpixel((int(x), int(y))) == BACKGROUND


def test_animated_file_gives_its_first_frame(corpus):
    path = corpus / "iss634.gif"  # 42 frames
    with Image.open(path) as im:
        assert getattr(im, "n_frames", 1) > 1
        assert im.tell() == 0
        first = np.asarray(to_rgb(im.copy()))  # frame 0, composited like every RGBA image
    assert np.array_equal(np.asarray(open_rgb(str(path))[0]), first)


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_without_allocating(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_declaring(30000, 30000))  # 900 million pixels, 2.7 GB decoded
    proc = psutil.Process()
    before = proc.memory_info().rss
    with pytest.raises(DecodeError, match="decompression bomb"):
        open_rgb(str(bomb))
    assert proc.memory_info().rss - before < 50 * 2**20
    scan = scan_folder(str(tmp_path))
    assert next(s.reason for s in scan.skipped if s.path.endswith("bomb.png")).startswith(
        "decompression bomb"
    )
    small = scan_folder(str(tmp_path), max_pixels=10)  # the limit is configurable
    assert small.loadable == []


def test_eager_folder_over_budget_is_refused_with_both_numbers(tmp_path):
    for i in range(4):
        Image.new("RGB", (512, 512), (i, 0, 0)).save(tmp_path / f"{i}.png")
    rc, _, err = run_cli(
        "--headless", "--folder", str(tmp_path), "--mode", "eager", "--memory-budget", "1M"
    )
    assert rc == 1
    assert "4.0 MiB" in err and "1.0 MiB" in err and "lazy" in err


def _report(tmp_path, name, *args):
    out = tmp_path / f"{name}.json"
    t0 = time.monotonic()
    rc, _, err = run_cli("--headless", *args, "--report", str(out), "--no-progress", timeout=300)
    assert rc == 0, err[-3000:]
    return json.loads(out.read_text()), time.monotonic() - t0


def test_the_whole_corpus_is_accounted_for_scan_lazy_and_eager(tmp_path, corpus):
    files = sum(1 for p in corpus.rglob("*") if p.is_file())
    scan, _scan_s = _report(tmp_path, "scan", "--folder", str(corpus), "--scan-only")
    d = scan["dataset"]
    assert d["files"] == files and d["items"] + len(d["skipped"]) == files
    assert all(s["reason"] for s in d["skipped"])
    assert {"PNG", "JPEG", "TIFF", "GIF"} <= set(d["formats"]) and "I;16" in d["modes"]
    assert (
        d["sizes"]["pixels"]["min"] <= d["sizes"]["pixels"]["median"] <= d["sizes"]["pixels"]["max"]
    )
    assert d["estimated_eager_bytes"] > 0
    for mode, extra in (("lazy", ["--workers", "2"]), ("eager", ["--workers", "0"])):
        run, seconds = _report(
            tmp_path,
            mode,
            "--folder",
            str(corpus),
            "--mode",
            mode,
            "--resize",
            "32",
            "--batch-size",
            "32",
            *extra,
        )
        d = run["dataset"]
        assert d["items"] + len(d["skipped"]) == files, (mode, d["items"], len(d["skipped"]))
        assert len({s["path"] for s in d["skipped"]}) == len(d["skipped"])
        assert run["summary"]["status"] == "completed"
        assert seconds < 120, (mode, seconds)


def test_a_later_frame_differs_so_the_first_frame_test_means_something(corpus):
    with Image.open(corpus / "iss634.gif") as im:
        im.seek(20)
        later = np.asarray(to_rgb(im.copy()))
    assert not np.array_equal(np.asarray(open_rgb(str(corpus / "iss634.gif"))[0]), later)


def test_a_file_that_makes_the_decoder_spin_is_skipped_and_the_run_goes_on(tmp_path):
    """A registered Pillow plugin whose decoder never finishes (as fuzzed files make real
    decoders do), read by forked workers with a 0.5 s limit."""
    from conftest import run_engine
    from PIL import ImageFile

    from explorer.core.run.config import RunConfig

    class SpinDecoder(ImageFile.PyDecoder):
        def decode(self, buffer):
            while True:  # a decoder stuck on a crafted file
                time.sleep(0.01)

    class SpinImage(ImageFile.ImageFile):
        format = "SPIN"

        def _open(self):
            self._mode, self._size = "L", (8, 8)
            self.tile = [ImageFile._Tile("spin", (0, 0, 8, 8), 0, None)]

    Image.register_decoder("spin", SpinDecoder)
    Image.register_open("SPIN", SpinImage, lambda prefix: prefix[:4] == b"SPIN")
    Image.register_extension("SPIN", ".spin")
    (tmp_path / "stuck.spin").write_bytes(b"SPIN" + bytes(64))
    for i in range(6):
        Image.new("RGB", (16, 16), (40 * i, 0, 0)).save(tmp_path / f"ok{i}.png")
    cfg = RunConfig(
        folder=str(tmp_path),
        resize=16,
        batch_size=2,
        workers=2,
        start_method="fork",
        decode_timeout=0.5,
    )
    t0 = time.monotonic()
    finished, events = run_engine(cfg)
    assert time.monotonic() - t0 < 30
    assert finished.status == "completed" and finished.samples == 7
    failed = [f for e in events for f in getattr(e, "failed", ())]
    assert [f.path.endswith("stuck.spin") for f in failed] == [True]
    assert "longer than 0.5 s" in failed[0].reason
    # eager on the engine's own thread, as in the window (the watchdog thread)
    eager = RunConfig(
        folder=str(tmp_path), resize=16, batch_size=2, mode="eager", decode_timeout=0.5
    )
    t0 = time.monotonic()
    finished, events = run_engine(eager)
    assert time.monotonic() - t0 < 30
    assert finished.status == "completed" and finished.samples == 6
    ready = next(e for e in events if type(e).__name__ == "DatasetReady")
    assert any("longer than 0.5 s" in s.reason for s in ready.info.skipped)


def test_a_folder_scanned_again_reads_only_what_changed(tmp_path, corpus, monkeypatch):
    """The header cache: a second scan reads no header of an unchanged file and reports the
    same; a file rewritten under the same name, good to broken and back, is read again."""
    import shutil

    from explorer.core.health import header_cache

    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("hopper.jpg", "i_trns.png", "pil_sample_cmyk.jpg"):
        shutil.copyfile(corpus / name, folder / name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    monkeypatch.setattr(header_cache, "HEADERS", header_cache.HeaderCache())
    monkeypatch.setattr("explorer.core.health.scan.HEADERS", header_cache.HEADERS)
    read: list[str] = []
    real = header_cache.read_header
    monkeypatch.setattr(header_cache, "read_header", lambda p: read.append(p) or real(p))

    first = scan_folder(str(folder)).to_dict()
    assert len(read) == 4 and first["items"] == 3 and len(first["skipped"]) == 1
    read.clear()
    assert scan_folder(str(folder)).to_dict() == first  # the broken file's reason as well
    assert read == []
    (folder / "hopper.jpg").write_bytes(b"\xff\xd8\xff truncated")  # same name, now broken
    shutil.copyfile(corpus / "hopper.jpg", folder / "broken.jpg")  # and this one mended
    third = scan_folder(str(folder)).to_dict()
    assert sorted(read) == sorted(str(folder / n) for n in ("broken.jpg", "hopper.jpg"))
    assert third["items"] == 3 and [s["path"] for s in third["skipped"]] == [
        str(folder / "hopper.jpg")
    ]


def test_the_header_cache_forgets_the_least_recently_read(tmp_path):
    from explorer.core.health.header_cache import HeaderCache

    cache = HeaderCache(max_files=2)
    paths = [str(make_jpegs(tmp_path / f"f{i}", 1, (8, 8)) / "img_0000.jpg") for i in range(3)]
    for p in paths:
        assert cache.read(p).size == (8, 8)
    assert len(cache) == 2 and cache.misses == 3
    cache.read(paths[2])  # still there
    cache.read(paths[0])  # gone: read again
    assert (cache.hits, cache.misses) == (1, 4)
