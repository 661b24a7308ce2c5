import pytest

from explorer.core.datasets.randomspec import parse_random_spec
from explorer.core.errors import ConfigError
from explorer.core.units import format_bytes


def test_parses_count_shape_and_default_dtype():
    spec = parse_random_spec("2000:3x64x64")
    assert (spec.count, spec.shape, spec.dtype) == (2000, (3, 64, 64), "float32")
    assert spec.total_bytes == 2000 * 3 * 64 * 64 * 4


def test_parses_dtype_and_aliases():
    assert parse_random_spec("500:3x224x224:uint8").sample_bytes == 3 * 224 * 224
    assert parse_random_spec("10:8:half").dtype == "float16"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "N:SHAPE"),
        ("abc", "N:SHAPE"),
        ("10:3xx4", "empty dimension"),
        ("10:3x0x4", "at least 1"),
        ("0:3x4", "between 1"),
        ("10:3x4:complex7", "unknown dtype"),
        ("2000:3x100000x100000", "limit"),
    ],
)
def test_bad_specs_say_why(text, fragment):
    with pytest.raises(ConfigError) as err:
        parse_random_spec(text)
    assert fragment in str(err.value)
    assert err.value.option == "--random"


def test_format_bytes():
    assert format_bytes(512) == "512 B"
    assert format_bytes(3 * 1024**2) == "3.0 MiB"
    assert format_bytes(None) == "n/a"
