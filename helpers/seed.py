"""난수 시드를 한 번에: Python, NumPy, PyTorch(CPU와 모든 GPU).

1장에서 같은 일을 풀어 쓴 뒤, 다음 장부터 ``helpers.set_seed(SEED)``로 가져다 쓴다.
"""
from __future__ import annotations

import numbers
import random

import numpy as np
import torch

__all__ = ["set_seed"]

_MAX_SEED = 2**64 - 1  # torch.manual_seed가 받는 가장 큰 값


def set_seed(seed: int) -> torch.Generator:
    """Python·NumPy·PyTorch의 난수 시드를 ``seed``로 맞추고, 같은 시드의 ``torch.Generator``를 돌려준다.

    돌려받은 생성기는 ``DataLoader(generator=...)``나 ``random_split(generator=...)``에 넘겨
    섞는 순서까지 재현할 때 쓴다. 시드는 0 이상 2**64 - 1 이하의 정수다.
    """
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise TypeError(f"시드는 정수여야 합니다: {seed!r} ({type(seed).__name__})")
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"시드는 0 이상 {_MAX_SEED} 이하여야 합니다: {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy의 옛 전역 생성기는 32비트 시드만 받는다
    torch.manual_seed(seed)  # CPU와 모든 CUDA 장치를 함께 맞춘다
    return torch.Generator().manual_seed(seed)
