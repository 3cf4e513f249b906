"""테스트만 쓰는 도우미 (독자가 설치하는 ``helpers``에는 넣지 않는다).

- ``record_location_as("cuda:0")``: GPU가 없는 기계에서 'GPU에서 저장한 파일'을 만든다
  (저장할 때 파일에 적히는 장치 이름만 바꾼다). 처음 쓸 때 ``torch.serialization.register_package``로
  torch 전체에 함수를 하나 등록하므로, 테스트 프로세스 밖에서는 쓰지 않는다.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

import torch

_RECORDED_LOCATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("recorded_location", default=None)
_TAGGER_REGISTERED = False


def _tagger(storage) -> str | None:
    return _RECORDED_LOCATION.get()


def _no_deserializer(storage, location: str):
    return None  # 읽을 때는 아무것도 하지 않는다: torch의 원래 규칙이 그대로 쓰인다


@contextlib.contextmanager
def record_location_as(location: str) -> Iterator[None]:
    """이 블록 안의 ``torch.save``가 모든 텐서의 장치를 ``location``(예: ``"cuda:0"``)으로 적게 한다.

    ``torch.save`` 파일에는 텐서마다 저장될 때 있던 장치의 이름이 적히고, ``torch.load``는
    ``map_location``이 없으면 그 장치로 되돌리려 한다. GPU에서 저장한 파일은 숫자와 함께
    ``"cuda:0"``이라는 이름이 적힌다는 점만 다르므로, 이름만 바꿔 적으면 GPU 없이도 같은 모양의
    파일이 나온다. (``torch.serialization.register_package``로 장치 이름을 정하는 함수를 하나
    더 등록한다. 블록 밖에서는 아무 일도 하지 않는다.)
    """
    global _TAGGER_REGISTERED
    if not _TAGGER_REGISTERED:
        torch.serialization.register_package(0, _tagger, _no_deserializer)
        _TAGGER_REGISTERED = True
    token = _RECORDED_LOCATION.set(str(torch.device(location)))
    try:
        yield
    finally:
        _RECORDED_LOCATION.reset(token)
