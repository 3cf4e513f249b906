"""그림: 한글 글꼴과 이 책의 그림 모양을 한 곳에서 맞춘다.

``import helpers``만 해도 한글 제목과 축 이름이 네모로 깨지지 않는다. 글꼴 파일(NanumGothic)은
``koreanize-matplotlib`` 패키지에 들어 있는 것을 쓰므로 인터넷이 없어도 된다. 그 패키지의 코드는
불러오지 않는다: 마지막 판(0.1.1)이 ``distutils``를 import하는데, Python 3.12부터는 ``distutils``가
없어서(Colab의 Python 3.13 등) import하는 순간 실패한다. 글꼴 파일만 matplotlib에 등록한다.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import torch
from matplotlib import font_manager

__all__ = ["korean_font_files", "plot_history", "setup_style", "show_images"]

KOREAN_FONT = "NanumGothic"


def korean_font_files() -> list[Path]:
    """``koreanize-matplotlib`` 패키지에 들어 있는 NanumGothic 글꼴 파일들 (패키지 코드는 실행하지 않는다)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return sorted(folder.glob("*.ttf"))


def _register_korean_font() -> bool:
    """글꼴을 matplotlib에 등록한다. 글꼴 파일이 없으면 ``False`` (그림의 한글이 네모로 보인다)."""
    files = korean_font_files()
    known = {Path(f.fname) for f in font_manager.fontManager.ttflist}
    for path in files:
        if path not in known:
            font_manager.fontManager.addfont(str(path))
    return bool(files)


def setup_style() -> None:
    """한글 글꼴(NanumGothic)과 마이너스 기호, 그림 크기를 맞춘다. 여러 번 불러도 된다."""
    if _register_korean_font():
        matplotlib.rcParams["font.family"] = KOREAN_FONT
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


def _as_image_batch(images: Any) -> torch.Tensor:
    """``images``를 ``[N, H, W]`` (흑백) 또는 ``[N, H, W, 3]`` (컬러) 텐서로 바꾼다."""
    if not isinstance(images, torch.Tensor):
        try:
            images = torch.as_tensor(images)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"images는 텐서나 NumPy 배열이어야 합니다 (받은 것: {type(images).__name__}).") from exc
    images = images.detach().cpu()
    shape = list(images.shape)
    if images.dim() == 2:  # 한 장 [H, W]
        images = images.unsqueeze(0)
    elif images.dim() == 4:
        if images.shape[1] == 1:
            images = images[:, 0]
        elif images.shape[1] == 3:
            images = images.permute(0, 2, 3, 1)  # matplotlib의 컬러 그림은 [H, W, 3]
        else:
            hint = " 채널이 마지막에 있다면 images.permute(0, 3, 1, 2)로 바꾸세요." if shape[-1] in (1, 3) else ""
            raise ValueError(f"images의 채널은 1개(흑백)나 3개(RGB)여야 합니다 (받은 모양 {shape}).{hint}")
    elif images.dim() != 3:
        raise ValueError(f"images의 모양은 [H, W], [N, H, W], [N, 1, H, W], [N, 3, H, W] 가운데 하나여야 합니다 (받은 모양 {shape}).")
    if len(images) == 0:
        raise ValueError(f"그릴 이미지가 없습니다 (받은 모양 {shape}). 이미지가 한 장 이상 있어야 합니다.")
    return images


def _rgb_for_imshow(image: torch.Tensor) -> torch.Tensor:
    """컬러 한 장을 matplotlib이 그리는 범위로: uint8은 그대로, 실수는 0~1 밖이면 가장 어두운~밝은 값을 0~1로."""
    if image.dtype == torch.uint8:
        return image
    image = image.float()
    low, high = image.min(), image.max()
    if low < 0 or high > 1:  # 정규화한 이미지 등: 흑백 그림처럼 장마다 범위를 맞춘다
        image = (image - low) / (high - low).clamp_min(1e-12)
    return image


def show_images(
    images: Any,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    size: float = 1.3,
    cmap: str = "gray",
    suptitle: str | None = None,
):
    """이미지 여러 장을 격자로 그린다. 텐서나 NumPy 배열.

    ``images``: 흑백 ``[N, H, W]`` 또는 ``[N, 1, H, W]``, 컬러 ``[N, 3, H, W]``, 한 장 ``[H, W]``.
    3차원은 언제나 흑백 N장이다: 컬러 한 장 ``[3, H, W]``는 ``images.unsqueeze(0)``으로 준다.
    ``titles``를 주면 이미지마다 하나씩, 이미지 수와 같은 개수여야 한다.
    """
    images = _as_image_batch(images)
    n = len(images)
    if titles is not None:
        if isinstance(titles, str):
            raise TypeError("titles에는 이미지마다 제목 하나씩 담은 목록을 주세요. 그림 전체의 제목은 suptitle=입니다.")
        titles = list(titles)
        if len(titles) != n:
            raise ValueError(f"제목이 {len(titles)}개인데 이미지는 {n}장입니다. 이미지마다 제목을 하나씩 주세요.")
    if ncols < 1:
        raise ValueError(f"ncols는 1 이상이어야 합니다 (받은 값: {ncols}).")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if titles else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            image = images[i] if images.dim() == 3 else _rgb_for_imshow(images[i])
            ax.imshow(image.numpy(), cmap=cmap)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _history_field(history: Any, name: str) -> list[float]:
    value = history.get(name) if isinstance(history, Mapping) else getattr(history, name, None)
    return list(value) if value is not None else []


def plot_history(
    history: Any,
    title: str | None = None,
    mark_best: bool = True,
    figsize: tuple[float, float] = (10.0, 3.8),
):
    """학습 기록을 그림 하나(왼쪽 손실, 오른쪽 정확도)로 그린다. 한국어 제목과 축 이름.

    ``history``: ``helpers.train.History``, 또는 ``train_loss``·``val_loss``·``train_acc``·``val_acc``
    목록을 가진 dict (``History.as_dict()``). 목록이 없거나 비어 있으면 그 선은 그리지 않는다.
    ``mark_best=True``이면 가장 좋았던 에폭(``best_epoch``, 없으면 검증 정확도가 가장 높은 에폭)에
    세로 점선을 긋는다. 돌려준 ``Figure``는 ``fig.savefig(...)``로 저장할 수 있다.
    """
    train_loss, val_loss = _history_field(history, "train_loss"), _history_field(history, "val_loss")
    train_acc, val_acc = _history_field(history, "train_acc"), _history_field(history, "val_acc")
    if not (train_loss or val_loss or train_acc or val_acc):
        raise ValueError("그릴 기록이 없습니다: train_loss, val_loss, train_acc, val_acc가 모두 비었습니다.")

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=figsize)
    panels = (
        (ax_loss, train_loss, val_loss, "손실", "손실 (평균)"),
        (ax_acc, train_acc, val_acc, "정확도", "정확도 (%)"),
    )
    for ax, train_values, val_values, name, ylabel in panels:
        for values, label, style in ((train_values, "학습", "o-"), (val_values, "검증", "s-")):
            if values:
                epochs = range(1, len(values) + 1)
                ax.plot(epochs, values, style, markersize=3.5, label=f"{label} {name}")
        ax.set_xlabel("에폭")
        ax.set_ylabel(ylabel)
        ax.set_title(name)
        ax.xaxis.get_major_locator().set_params(integer=True)

    best = history.get("best_epoch") if isinstance(history, Mapping) else getattr(history, "best_epoch", None)
    if best is None and val_acc:
        best = max(range(len(val_acc)), key=lambda i: (val_acc[i], -i)) + 1
    if mark_best and best is not None:
        for ax in (ax_loss, ax_acc):
            ax.axvline(best, color="gray", linestyle="--", linewidth=1, label=f"가장 좋은 에폭 ({best})")
    for ax in (ax_loss, ax_acc):
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


setup_style()
