"""The preview's pictures of a sample: its own colours, within the thumbnail and detail sizes,
whatever the layout."""

import numpy as np
import pytest
import torch

from explorer.core.preview.display import DETAIL_SIZE, THUMB_SIZE, display_pictures


def _halves(h: int, w: int) -> np.ndarray:
    """HxWx3: a red left half, a blue right half."""
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:, : w // 2, 0] = 200
    rgb[:, w // 2 :, 2] = 150
    return rgb


AS_IS = ((200, 0, 0), (0, 0, 150))
STRETCHED = ((255, 0, 0), (0, 0, 191))  # not 8-bit: from its own min to its own max


@pytest.mark.parametrize(
    ("make", "colours"),
    [
        (lambda rgb: torch.from_numpy(rgb).permute(2, 0, 1).contiguous(), AS_IS),  # CHW
        (lambda rgb: torch.from_numpy(rgb).permute(2, 0, 1), AS_IS),  # CHW, a strided view
        (lambda rgb: torch.from_numpy(rgb.copy()), AS_IS),  # HWC
        (lambda rgb: torch.from_numpy(rgb).permute(2, 0, 1).float() / 255, STRETCHED),
    ],
    ids=["chw", "chw-view", "hwc", "float"],
)
def test_a_sample_previews_in_its_own_colours_within_both_sizes(make, colours):
    rgb = _halves(300, 400)
    thumb, detail = display_pictures(make(rgb))
    assert thumb.shape == (72, THUMB_SIZE, 3) and detail.shape == (192, DETAIL_SIZE, 3)
    for picture in (thumb, detail):
        w = picture.shape[1]
        left, right = picture[:, : w // 2 - 2], picture[:, w // 2 + 2 :]
        assert np.abs(left.astype(int) - colours[0]).max() <= 1
        assert np.abs(right.astype(int) - colours[1]).max() <= 1
        assert picture.flags.writeable and picture.flags.c_contiguous


def test_a_small_sample_is_shown_as_it_is_and_a_non_image_is_not_a_picture():
    rgb = _halves(40, 60)
    thumb, detail = display_pictures(torch.from_numpy(rgb).permute(2, 0, 1))
    assert np.array_equal(thumb, rgb) and np.array_equal(detail, rgb)
    assert display_pictures(torch.arange(10)) is None
