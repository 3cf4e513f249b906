"""helpers.seed: 같은 시드면 Python·NumPy·PyTorch의 난수가 모두 같게 나온다."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from helpers import set_seed


def draw():
    """세 라이브러리의 전역 난수 생성기에서 조금씩 뽑는다."""
    return (
        [random.random() for _ in range(3)],
        np.random.rand(3).tolist(),
        torch.rand(3).tolist(),
        torch.randint(0, 1000, (5,)).tolist(),
    )


def test_same_seed_same_numbers():
    set_seed(123)
    first = draw()
    set_seed(123)
    assert draw() == first


def test_different_seed_different_numbers():
    set_seed(1)
    a = draw()
    set_seed(2)
    b = draw()
    for x, y in zip(a, b):
        assert x != y


def test_returns_seeded_generator():
    g = set_seed(7)
    assert isinstance(g, torch.Generator)
    assert g.initial_seed() == 7
    assert torch.equal(torch.rand(4, generator=g), torch.rand(4, generator=torch.Generator().manual_seed(7)))


def test_generator_is_independent_of_global_state():
    g = set_seed(7)
    torch.rand(100)  # 전역 생성기를 써도
    assert torch.equal(torch.randperm(10, generator=g), torch.randperm(10, generator=torch.Generator().manual_seed(7)))


def test_numpy_integer_and_large_seed():
    assert set_seed(np.int64(5)).initial_seed() == 5
    big = 2**40 + 3
    assert set_seed(big).initial_seed() == big


@pytest.mark.parametrize("bad", [1.5, 0.0, "0", None, True, [0]])
def test_non_int_seed_is_type_error(bad):
    with pytest.raises(TypeError, match="정수"):
        set_seed(bad)


@pytest.mark.parametrize("bad", [-1, 2**64])
def test_out_of_range_seed_is_value_error(bad):
    with pytest.raises(ValueError, match="시드"):
        set_seed(bad)


CUBLAS = "CUBLAS_WORKSPACE_CONFIG"


def global_flags() -> tuple:
    return (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        os.environ.get(CUBLAS),
    )


def set_global_flags(deterministic: bool, warn_only: bool, benchmark: bool, cudnn_deterministic: bool,
                     cublas: str | None) -> None:
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
    torch.backends.cudnn.benchmark = benchmark
    torch.backends.cudnn.deterministic = cudnn_deterministic
    if cublas is None:
        os.environ.pop(CUBLAS, None)
    else:
        os.environ[CUBLAS] = cublas


@pytest.fixture
def restore_global_flags():
    """전역 설정(결정적 알고리즘, cuDNN, 환경 변수)을 테스트가 끝나면 되돌린다: 다른 테스트에 새지 않게."""
    saved = global_flags()
    try:
        yield
    finally:
        set_global_flags(*saved)


@pytest.mark.usefixtures("restore_global_flags")
def test_deterministic_turns_on_global_flags():
    set_global_flags(False, False, True, False, None)
    set_seed(123, deterministic=True)
    assert global_flags() == (True, False, False, True, ":4096:8")


@pytest.mark.usefixtures("restore_global_flags")
def test_deterministic_keeps_a_cublas_config_set_by_the_user():
    set_global_flags(False, False, True, False, ":16:8")
    set_seed(0, deterministic=True)
    assert os.environ[CUBLAS] == ":16:8"


@pytest.mark.usefixtures("restore_global_flags")
def test_deterministic_gives_the_same_numbers():
    set_seed(123)
    first = draw()
    set_seed(123, deterministic=True)
    assert draw() == first


@pytest.mark.usefixtures("restore_global_flags")
@pytest.mark.parametrize("flags", [(False, False, True, False, None), (True, True, False, True, ":16:8")])
def test_default_leaves_global_flags_alone(flags):
    set_global_flags(*flags)
    set_seed(1)
    assert global_flags() == flags
    set_seed(1, deterministic=False)  # 꺼 달라는 뜻이 아니다: 켜 두었으면 켜진 채로
    assert global_flags() == flags
