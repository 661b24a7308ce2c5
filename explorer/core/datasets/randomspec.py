"""The random-tensor spec ``N:SHAPE[:DTYPE]``, e.g. ``2000:3x64x64`` or ``500:3x224x224:uint8``."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..units import format_bytes

if TYPE_CHECKING:  # torch is imported when a tensor is made, not to parse a spec: the
    import torch  # window parses specs as they are typed, long before torch is needed

#: dtype name -> bytes per element (the torch dtype of the same name)
DTYPES: dict[str, int] = {
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "float64": 8,
    "uint8": 1,
    "int8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
    "bool": 1,
}
DTYPE_ALIASES = {
    "float": "float32",
    "half": "float16",
    "double": "float64",
    "long": "int64",
    "int": "int32",
    "byte": "uint8",
}
MAX_DIMS = 6
MAX_ITEMS = 10**9
MAX_SAMPLE_BYTES = 1 << 30  # one sample of over 1 GiB is not a DataLoader workload

_SPEC = re.compile(r"^\s*(\d+)\s*:\s*([0-9xX×\s]+?)\s*(?::\s*([A-Za-z0-9]+)\s*)?$")


@dataclass(frozen=True)
class RandomSpec:
    """N samples of one shape and dtype."""

    count: int
    shape: tuple[int, ...]
    dtype: str = "float32"

    @property
    def torch_dtype(self) -> torch.dtype:
        import torch

        return getattr(torch, self.dtype)

    @property
    def sample_bytes(self) -> int:
        return math.prod(self.shape) * DTYPES[self.dtype]

    @property
    def total_bytes(self) -> int:
        """What all N samples take when held at once (an eager dataset)."""
        return self.count * self.sample_bytes

    def __str__(self) -> str:
        return f"{self.count}:{'x'.join(map(str, self.shape))}:{self.dtype}"


def parse_random_spec(text: str, option: str = "--random") -> RandomSpec:
    """Parse ``N:SHAPE[:DTYPE]``; raise ConfigError with a message a user can act on."""
    m = _SPEC.match(text or "")
    if not m:
        raise ConfigError(
            option,
            f"{text!r} is not N:SHAPE[:DTYPE] (for example 2000:3x64x64 or 500:3x224x224:uint8)",
        )
    count = int(m.group(1))
    dims = [d for d in re.split(r"[xX×]", m.group(2).replace(" ", ""))]
    if any(d == "" for d in dims):
        raise ConfigError(option, f"the shape {m.group(2)!r} has an empty dimension")
    shape = tuple(int(d) for d in dims)
    dtype = (m.group(3) or "float32").lower()
    dtype = DTYPE_ALIASES.get(dtype, dtype)
    if dtype not in DTYPES:
        raise ConfigError(option, f"unknown dtype {m.group(3)!r}; use one of {', '.join(DTYPES)}")
    if count < 1 or count > MAX_ITEMS:
        raise ConfigError(option, f"N must be between 1 and {MAX_ITEMS:,}, not {count:,}")
    if len(shape) > MAX_DIMS:
        raise ConfigError(option, f"at most {MAX_DIMS} dimensions, not {len(shape)}")
    if any(d < 1 for d in shape):
        raise ConfigError(option, "every dimension must be at least 1")
    spec = RandomSpec(count, shape, dtype)
    if spec.sample_bytes > MAX_SAMPLE_BYTES:
        raise ConfigError(
            option,
            f"one sample of shape {'x'.join(map(str, shape))} would take "
            f"{format_bytes(spec.sample_bytes)}; the limit is {format_bytes(MAX_SAMPLE_BYTES)}",
        )
    return spec
