"""장치 고르기: ``cuda`` → ``mps`` → ``cpu`` 순서, 또는 이름을 직접 준다.

1장에서 같은 논리를 전부 풀어 쓴 뒤, 다음 장부터는 ``helpers.get_device()``로 가져다 쓴다.
"""
from __future__ import annotations

import re

import torch

__all__ = ["DeviceError", "get_device", "describe_device"]

_KNOWN = "'cpu', 'cuda', 'cuda:0', 'mps'"


class DeviceError(ValueError):
    """요청한 장치를 쓸 수 없다 (이름이 틀렸거나, 그 장치가 이 기계에 없다)."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _name_hint(request: str) -> str:
    """흔한 잘못 쓴 이름에 덧붙일 한 문장 (없으면 빈 문자열)."""
    normalized = request.strip().lower()
    if not normalized:
        return " 장치 이름이 비어 있습니다. 자동으로 고르려면 None을 주세요."
    if normalized.split(":")[0] == "gpu":
        return " PyTorch에서 NVIDIA GPU의 이름은 'gpu'가 아니라 'cuda'입니다."
    if re.fullmatch(r"[a-z]+:-\d+", normalized):
        return " 장치 번호는 0부터 세며, 음수는 쓸 수 없습니다."
    if normalized != request:
        try:
            torch.device(normalized)
        except (RuntimeError, TypeError):
            return ""
        return f" 장치 이름은 소문자로, 빈칸 없이 씁니다: {normalized!r}."
    return ""


def _cpu(request: str | torch.device, device: torch.device) -> torch.device:
    """CPU는 번호 없는 장치 하나다: ``"cpu"``와 ``"cpu:0"``만 받아 ``torch.device("cpu")``로 돌려준다."""
    if device.index not in (None, 0):
        raise DeviceError(
            f"{request!r}를 요청했지만 CPU에는 번호로 나뉜 장치가 없습니다 "
            "(코어가 여러 개여도 PyTorch에서 CPU 장치는 하나입니다). 'cpu'를 쓰세요. "
            "쓸 코어(스레드) 수는 torch.set_num_threads로 정합니다."
        )
    return torch.device("cpu")


def get_device(request: str | torch.device | None = None) -> torch.device:
    """쓸 장치를 돌려준다.

    ``request``가 없으면(``None`` 또는 ``"auto"``) CUDA GPU, 애플 실리콘의 MPS, CPU 순서로
    쓸 수 있는 첫 장치를 고른다. ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``처럼 직접 주면
    그 장치가 실제로 있는지 확인하고, 없으면 무엇을 하면 되는지 한국어로 알려 주는
    ``DeviceError``를 낸다. 번호도 확인한다: GPU 수를 넘는 ``"cuda:N"``은 물론, MPS와 CPU는
    장치가 하나뿐이므로 ``"mps:1"``, ``"cpu:1"``처럼 0이 아닌 번호도 오류다.

    ``"cpu:0"``은 ``torch.device("cpu")``로 돌려준다. CPU 텐서의 ``.device``는 언제나 번호 없는
    ``cpu``이고 ``torch.device("cpu:0") != torch.device("cpu")``이므로, 번호를 남기면
    ``x.device == device`` 같은 비교가 틀어진다.
    """
    if request is None or request == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")

    try:
        device = torch.device(request)
    except (RuntimeError, TypeError) as exc:
        hint = _name_hint(request) if isinstance(request, str) else ""
        raise DeviceError(
            f"장치 이름 {request!r}을(를) 알 수 없습니다.{hint} "
            f"{_KNOWN} 가운데 하나를 쓰거나, 비워 두면(None) 자동으로 고릅니다."
        ) from exc

    if device.type == "cpu":
        return _cpu(request, device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"{request!r}를 요청했지만 이 기계에서는 CUDA GPU를 쓸 수 없습니다. "
                "Colab이라면 [런타임] → [런타임 유형 변경]에서 GPU를 고르고, "
                "GPU가 없는 기계라면 'cpu'를 쓰거나 장치를 비워 두세요."
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise DeviceError(
                f"{request!r}를 요청했지만 이 기계의 GPU는 {count}개뿐입니다 "
                f"(번호 0~{count - 1}). 올바른 번호를 쓰거나 'cuda'만 쓰세요."
            )
        return device
    if device.type == "mps":
        if not _mps_available():
            raise DeviceError(
                f"{request!r}를 요청했지만 MPS(애플 실리콘의 GPU)를 쓸 수 없습니다. "
                "macOS의 애플 실리콘 Mac에서만 쓸 수 있습니다. 'cpu'를 쓰거나 장치를 비워 두세요."
            )
        if device.index not in (None, 0):
            raise DeviceError(
                f"{request!r}를 요청했지만 MPS 장치는 하나뿐입니다 (번호는 mps:0뿐). 'mps'를 쓰세요."
            )
        return device
    raise DeviceError(
        f"이 책은 {device.type!r} 장치를 다루지 않습니다. {_KNOWN} 가운데 하나를 쓰세요."
    )


def describe_device(device: torch.device | str) -> str:
    """사람이 읽을 장치 설명: ``'cuda:0 (NVIDIA H100 ...)'``, ``'cpu (스레드 2개)'``."""
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "cpu":
        return f"cpu (스레드 {torch.get_num_threads()}개)"
    if device.type == "mps":
        return "mps (애플 실리콘 GPU)"
    return str(device)
