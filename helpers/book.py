"""장이 책과 주고받는 것: 결과 값 붙이기(glue)와 실행 환경 한 줄.

``glue``는 ``myst_nb.glue``와 똑같은 출력을 만든다. Colab에는 myst-nb가 없으므로
책의 장들은 이것을 쓴다 — 그래야 Colab에서도 그대로 돌고, HTML 책의 본문은
``{glue:}`이름``으로 실행 결과를 인용한다.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import platform
from typing import Any, Iterator

__all__ = ["CaughtError", "environment_line", "expect_error", "glue"]

_GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, display: bool = True) -> None:
    """값 ``value``를 이름 ``name``으로 노트북 출력에 남긴다 (``myst_nb.glue``와 같은 형식)."""
    import IPython
    from IPython.display import display as ipy_display

    bundle, metadata = IPython.core.formatters.format_display_data(value)
    prefix = "" if display else _GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def environment_line(device: Any = None) -> str:
    """이 출력을 만든 환경 한 줄: torch, torchvision, Python, 장치, 날짜."""
    import torch
    import torchvision

    from helpers.device import describe_device, get_device

    device = get_device(device)
    return (
        f"실행 환경: torch {torch.__version__} · torchvision {torchvision.__version__} · "
        f"Python {platform.python_version()} · 장치 {describe_device(device)} · {dt.date.today().isoformat()}"
    )


class CaughtError:
    """``expect_error``가 잡은 오류. ``exception``과 ``message``(종류: 메시지 한 줄)."""

    exception: BaseException | None = None

    @property
    def message(self) -> str:
        exc = self.exception
        return "" if exc is None else f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def expect_error(*types: type[BaseException]) -> Iterator[CaughtError]:
    """이 블록이 오류를 낼 것을 기대한다: 진짜 오류를 잡아 종류와 메시지를 보여 주고 다음 셀로 넘어간다.

    책은 일부러 틀린 코드를 실행해 진짜 오류를 보여 준다. 그 셀이 오류로 멈추면 Colab의
    '모두 실행'도 거기서 멈추므로, 오류는 이렇게 잡아서 보여 준다. 기대한 오류가 나지 않으면
    ``AssertionError``를 낸다 — 보여 주려던 실수가 더는 오류가 아니게 되면 바로 알 수 있다.
    """
    types = types or (Exception,)
    caught = CaughtError()
    try:
        yield caught
    except types as exc:
        caught.exception = exc
        print(f"[예상한 오류] {caught.message}")
    else:
        names = ", ".join(t.__name__ for t in types)
        raise AssertionError(f"{names} 오류가 날 것으로 기대했지만 나지 않았습니다.")
