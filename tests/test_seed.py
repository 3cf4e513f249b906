"""helpers.seed: 같은 시드면 Python·NumPy·PyTorch의 난수가 모두 같게 나온다."""
from __future__ import annotations

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
