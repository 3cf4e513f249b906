"""그림: 한글 글꼴과 이 책의 그림 모양을 한 곳에서 맞춘다.

``import helpers``만 해도 한글 제목과 축 이름이 네모로 깨지지 않는다
(``koreanize-matplotlib``이 NanumGothic 글꼴을 함께 싣고 있어 인터넷 없이도 된다).
"""
from __future__ import annotations

from typing import Sequence

import matplotlib

import matplotlib.pyplot as plt
import torch

__all__ = ["setup_style", "show_images"]


def setup_style() -> None:
    """한글 글꼴(NanumGothic)과 마이너스 기호, 그림 크기를 맞춘다. 여러 번 불러도 된다."""
    import koreanize_matplotlib  # noqa: F401  (import만으로 글꼴이 등록된다)

    matplotlib.rcParams.update(
        {
            "axes.unicode_minus": False,  # 한글 글꼴에는 유니코드 마이너스(−)가 없다
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.figsize": (6.4, 4.0),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def show_images(
    images: torch.Tensor,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    size: float = 1.3,
    cmap: str = "gray",
    suptitle: str | None = None,
):
    """흑백 이미지 여러 장을 격자로 그린다. ``images``: ``[N, 28, 28]`` 또는 ``[N, 1, 28, 28]``."""
    images = images.detach().cpu()
    if images.dim() == 4:
        images = images[:, 0]
    n = len(images)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if titles else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


setup_style()
