"""장이 책과 주고받는 것: 결과 값 붙이기(glue)와 실행 환경 한 줄.

``glue``는 ``myst_nb.glue``와 똑같은 출력을 만든다. Colab에는 myst-nb가 없으므로
책의 장들은 이것을 쓴다 — 그래야 Colab에서도 그대로 돌고, HTML 책의 본문은
``{glue:}`이름``으로 실행 결과를 인용한다.
"""
from __future__ import annotations

import datetime as dt
import platform
from typing import Any

__all__ = ["environment_line", "glue"]

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
