"""helpers.device: 장치 자동 선택과, 쓸 수 없는 장치를 요청했을 때의 한국어 오류."""
from __future__ import annotations

import re

import pytest
import torch

import helpers
from helpers import device as device_module
from helpers.device import DeviceError, describe_device, get_device

HANGUL = re.compile(r"[가-힣]")


@pytest.fixture
def no_accelerator(monkeypatch):
    """CUDA도 MPS도 없는 기계처럼 보이게 한다 (GPU가 있는 기계에서 테스트해도 같은 결과)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)


@pytest.fixture
def two_gpus(monkeypatch):
    """CUDA GPU가 두 개 있는 기계처럼 보이게 한다."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)


def test_public_names():
    assert helpers.get_device is get_device
    assert helpers.DeviceError is DeviceError
    assert issubclass(DeviceError, ValueError)


@pytest.mark.skipif(torch.cuda.is_available(), reason="이 기계에는 CUDA GPU가 있다")
def test_auto_choice_on_this_machine_without_cuda():
    expected = "mps" if device_module._mps_available() else "cpu"
    assert get_device() == torch.device(expected)
    assert get_device("auto") == torch.device(expected)


@pytest.mark.parametrize("request_", [None, "auto"])
def test_auto_without_accelerator_is_cpu(no_accelerator, request_):
    assert get_device(request_) == torch.device("cpu")


def test_auto_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(device_module, "_mps_available", lambda: True)
    assert get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert get_device() == torch.device("mps")


@pytest.mark.parametrize("request_", ["cpu", torch.device("cpu")])
def test_cpu_is_always_available(no_accelerator, request_):
    assert get_device(request_) == torch.device("cpu")


@pytest.mark.parametrize("request_", ["cuda", "cuda:0", torch.device("cuda")])
def test_cuda_without_gpu_raises_korean_error(no_accelerator, request_):
    with pytest.raises(DeviceError, match="CUDA GPU를 쓸 수 없습니다") as info:
        get_device(request_)
    assert "런타임 유형 변경" in str(info.value)  # Colab에서 무엇을 하면 되는지 알려 준다


def test_mps_without_mps_raises(no_accelerator):
    with pytest.raises(DeviceError, match="MPS"):
        get_device("mps")


def test_cuda_with_gpus(two_gpus):
    assert get_device("cuda") == torch.device("cuda")
    assert get_device("cuda:1") == torch.device("cuda:1")
    assert get_device(None) == torch.device("cuda")


@pytest.mark.parametrize("request_", ["cuda:2", "cuda:9"])
def test_cuda_index_beyond_count(two_gpus, request_):
    with pytest.raises(DeviceError, match=r"GPU는 2개뿐입니다 \(번호 0~1\)"):
        get_device(request_)


@pytest.mark.parametrize(
    "request_, hint",
    [
        ("gpu", "'cuda'입니다"),
        ("GPU", "'cuda'입니다"),
        ("", "비어 있습니다"),
        ("CUDA", "소문자로"),
        (" cpu", "소문자로"),
        ("tpu", ""),
        ("cuda:x", ""),
        ("아무거나", ""),
    ],
)
def test_bad_names_raise_korean_error(no_accelerator, request_, hint):
    with pytest.raises(DeviceError) as info:
        get_device(request_)
    message = str(info.value)
    assert HANGUL.search(message)
    assert repr(request_) in message
    assert hint in message
    assert isinstance(info.value.__cause__, RuntimeError)  # torch의 원래 오류를 잃지 않는다


def test_non_string_garbage_raises(no_accelerator):
    with pytest.raises(DeviceError):
        get_device(1.5)


def test_device_types_outside_the_book_raise(no_accelerator):
    with pytest.raises(DeviceError, match="다루지 않습니다"):
        get_device("meta")


@pytest.mark.parametrize("request_", ["cpu:0", torch.device("cpu", 0)])
def test_cpu_zero_is_the_cpu_without_a_number(no_accelerator, request_):
    """``cpu:0``은 받되 번호 없는 ``cpu``로 돌려준다: CPU 텐서의 ``.device``와 같게 비교되도록."""
    device = get_device(request_)
    assert device == torch.device("cpu") and device.index is None
    assert torch.zeros(1, device=device).device == device


@pytest.mark.parametrize("request_", ["cpu:1", "cpu:7", torch.device("cpu", 1)])
def test_cpu_has_no_numbered_devices(no_accelerator, request_):
    with pytest.raises(DeviceError, match="CPU에는 번호로 나뉜 장치가 없습니다") as info:
        get_device(request_)
    message = str(info.value)
    assert repr(request_) in message and "'cpu'를 쓰세요" in message


@pytest.fixture
def mps_only(monkeypatch):
    """애플 실리콘 Mac처럼 보이게 한다: MPS는 있고 CUDA는 없다."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: True)


def test_mps_zero_is_accepted(mps_only):
    assert get_device("mps") == torch.device("mps")
    assert get_device("mps:0") == torch.device("mps:0")


@pytest.mark.parametrize("request_", ["mps:1", "mps:3", torch.device("mps", 1)])
def test_mps_has_only_device_zero(mps_only, request_):
    with pytest.raises(DeviceError, match="MPS 장치는 하나뿐입니다") as info:
        get_device(request_)
    assert "'mps'를 쓰세요" in str(info.value)


def test_mps_index_without_mps_says_mps_is_missing(no_accelerator):
    with pytest.raises(DeviceError, match="MPS\\(애플 실리콘의 GPU\\)를 쓸 수 없습니다"):
        get_device("mps:1")


@pytest.mark.parametrize("request_", ["cpu:-1", "cuda:-1", "mps:-1"])
def test_negative_index_raises_korean_error(two_gpus, request_):
    with pytest.raises(DeviceError, match="음수는 쓸 수 없습니다") as info:
        get_device(request_)
    assert repr(request_) in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_describe_cpu():
    text = describe_device("cpu")
    assert text.startswith("cpu (스레드 ")
    assert str(torch.get_num_threads()) in text
