"""난수 시드를 한 번에: Python, NumPy, PyTorch(CPU와 모든 GPU).

1장에서 같은 일을 풀어 쓴 뒤, 다음 장부터 ``helpers.set_seed(SEED)``로 가져다 쓴다.
"""
from __future__ import annotations

import numbers
import os
import random

import numpy as np
import torch

__all__ = ["set_seed"]

_MAX_SEED = 2**64 - 1  # torch.manual_seed가 받는 가장 큰 값


def set_seed(seed: int, deterministic: bool = False) -> torch.Generator:
    """Python·NumPy·PyTorch의 난수 시드를 ``seed``로 맞추고, 같은 시드의 ``torch.Generator``를 돌려준다.

    돌려받은 생성기는 ``DataLoader(generator=...)``나 ``random_split(generator=...)``에 넘겨
    섞는 순서까지 재현할 때 쓴다. 시드는 0 이상 2**64 - 1 이하의 정수다.

    ``deterministic=True``이면 GPU에서도 같은 결과가 나오도록 결정적 알고리즘만 쓰게 한다
    (``torch.use_deterministic_algorithms(True)``, cuDNN의 ``benchmark`` 끄기와 ``deterministic`` 켜기,
    ``CUBLAS_WORKSPACE_CONFIG``; 프로세스 전체에 남는다). 대가가 있다: cuDNN이 빠른 커널을 재서
    고르지 않고 결정적 커널은 대개 더 느리며, 결정적 구현이 없는 연산은 ``RuntimeError``를 낸다.
    CPU에서는 이미 같은 결과가 나오므로 거의 달라지지 않는다. ``False``(기본값)이면 이 설정들을
    건드리지 않는다(다른 곳에서 켜 두었다면 켜진 채로 둔다).
    """
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise TypeError(f"시드는 정수여야 합니다: {seed!r} ({type(seed).__name__})")
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"시드는 0 이상 {_MAX_SEED} 이하여야 합니다: {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy의 옛 전역 생성기는 32비트 시드만 받는다
    torch.manual_seed(seed)  # CPU와 모든 CUDA 장치를 함께 맞춘다
    if deterministic:
        _use_deterministic_algorithms()
    return torch.Generator().manual_seed(seed)


def _use_deterministic_algorithms() -> None:
    """결정적 알고리즘만 쓰게 하는 전역 설정을 켠다 (프로세스 전체에 남는다).

    ``CUBLAS_WORKSPACE_CONFIG``는 cuBLAS의 행렬 곱이 결정적이려면 필요하고, 첫 CUDA 행렬 곱보다
    먼저 정해야 한다. 이미 정해 둔 값은 그대로 둔다.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False  # 입력 크기마다 가장 빠른 커널을 재서 고르지 않는다
    torch.backends.cudnn.deterministic = True
