"""난수 시드를 한 번에: Python, NumPy, PyTorch(CPU와 모든 GPU)."""
from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["set_seed"]


def set_seed(seed: int) -> torch.Generator:
    """Python·NumPy·PyTorch의 난수 시드를 ``seed``로 맞추고, 같은 시드의 ``torch.Generator``를 돌려준다.

    돌려받은 생성기는 ``DataLoader(generator=...)``나 ``random_split(generator=...)``에 넘겨
    섞는 순서까지 재현할 때 쓴다.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"시드는 정수여야 합니다: {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # CPU와 모든 CUDA 장치를 함께 맞춘다
    return torch.Generator().manual_seed(seed)
