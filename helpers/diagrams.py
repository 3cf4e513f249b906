"""개념 그림: 장에서 한 가지 생각을 그림 한 장으로 보여 준다.

함수마다 받은 값으로 그림을 그려 ``matplotlib.figure.Figure``를 돌려준다(``plt.show()``는 부르지 않는다).
장에서는 입력을 숨긴 셀에서 ``helpers.diagrams.broadcasting(a, b); plt.show()``처럼 쓴다.
그림에 쓴 계산 결과는 그림의 속성으로도 돌려준다: ``broadcasting``과 ``pooling``은 ``fig.result``,
``convolution``은 ``fig.output_size``, ``mlp``는 ``fig.param_counts``, ``loader_batches``는 ``fig.batches``,
``host_sync``는 ``fig.totals``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

__all__ = [
    "broadcasting",
    "checkpoint_contents",
    "convolution",
    "data_split",
    "host_sync",
    "loader_batches",
    "memory_layout",
    "mlp",
    "pooling",
    "training_loop",
]

COLORS = ["#8ecae6", "#ffb703", "#90be6d", "#f4a6a6", "#cdb4db", "#ffd6a5", "#a0c4ff", "#b5e48c",
          "#f7b267", "#bde0fe", "#e9c46a", "#d0f4de", "#ffc8dd", "#caffbf", "#9bf6ff", "#fdffb6"]
FIRST, SECOND = "#d62828", "#1d4ed8"  # 첫 위치와 다음 위치(합성곱 창)
CODE_FONT = ["DejaVu Sans Mono", "NanumGothic"]  # 코드는 고정폭, 한글은 NanumGothic으로 대신 그린다
EDGE = "#333333"
ARROW_FONT = ["DejaVu Sans", "NanumGothic"]  # NanumGothic의 →는 작은 글자에서 잘 안 보인다
TITLE, LABEL, SMALL = 12.0, 9.5, 8.5  # 글자 크기(포인트): 제목, 이름표, 작은 설명


# ---------------------------------------------------------------- 작은 도우미

def _canvas(width: float, height: float, unit: float = 0.55, max_w: float = 8.0, max_h: float = 4.0,
            min_h: float = 2.5) -> tuple[Figure, Any]:
    """가로 ``width``·세로 ``height`` 칸(좌표 단위)을 담는 그림. y는 아래로 커진다(0행이 위).

    한 칸의 크기는 ``unit`` 인치를 넘지 않고, 그림이 ``max_w``×``max_h`` 인치 안에 들도록 줄인다.
    그림이 ``min_h``보다 낮으면 위아래에 여백을 더한다.
    """
    scale = min(unit, max_w / width, max_h / height)
    extra = max(0.0, min(min_h, max_h) / scale - height)
    fig = plt.figure(figsize=(width * scale, (height + extra) * scale))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height + extra / 2, -extra / 2)
    ax.set_axis_off()
    return fig, ax


def _pt(ax, fraction: float, cap: float = 12.0, floor: float = 8.0) -> float:
    """한 칸의 ``fraction``만 한 글자 크기(포인트). ``floor``~``cap`` 사이로."""
    x0, x1 = ax.get_xlim()
    points_per_unit = ax.figure.get_figwidth() * 72 / (x1 - x0)
    return max(floor, min(cap, fraction * points_per_unit))


def _fmt(value: Any) -> str:
    """칸에 쓸 값: 정수는 그대로, 실수는 유효숫자 세 자리."""
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    return f"{value:.3g}"


def _shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


def _grid(ax, x: float, y: float, texts, colors=None, dashed=None, fontsize=None, bold=None) -> None:
    """``texts[i][j]``를 쓴 칸 격자. 왼쪽 위 꼭짓점이 (x, y), 칸 하나는 1×1.

    ``dashed[i][j]``가 참인 칸은 옅은 점선 칸(같은 값을 다시 읽는 자리), ``bold[i][j]``는 굵은 글자·굵은 테두리.
    """
    fontsize = fontsize or _pt(ax, 0.38)
    for i, row in enumerate(texts):
        for j, text in enumerate(row):
            copy = bool(dashed is not None and dashed[i][j])
            strong = bool(bold is not None and bold[i][j])
            face = colors[i][j] if colors is not None else "white"
            ax.add_patch(Rectangle((x + j, y + i), 1, 1, facecolor=face, alpha=0.45 if copy else 1.0,
                                   edgecolor="#777777" if copy else EDGE, linestyle="--" if copy else "-",
                                   linewidth=2.2 if strong else 1.0, zorder=3 if strong else 2))
            if text:
                ax.text(x + j + 0.5, y + i + 0.5, text, ha="center", va="center", fontsize=fontsize, zorder=4,
                        color="#777777" if copy else "black", fontweight="bold" if strong else "normal")


def _color_grid(ax, x: float, y: float, colors) -> None:
    """글자 없는 칸 격자를 한 번에: 색 그림 한 장과 선. 칸이 수백 개여도 빠르다."""
    rows, cols = len(colors), len(colors[0])
    image = [[to_rgb(c) for c in row] for row in colors]
    ax.imshow(image, extent=(x, x + cols, y + rows, y), interpolation="nearest", aspect="auto", zorder=1)
    ax.vlines([x + j for j in range(cols + 1)], y, y + rows, color=EDGE, linewidth=0.8, zorder=2)
    ax.hlines([y + i for i in range(rows + 1)], x, x + cols, color=EDGE, linewidth=0.8, zorder=2)


def _arrow(ax, start, end, color: str = "#444444", rad: float = 0.0, width: float = 1.3, **kw) -> FancyArrowPatch:
    """``start``에서 ``end``로 가는 화살표(``rad``가 0이 아니면 휘어진다)."""
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=color, linewidth=width,
                            connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2, zorder=5, **kw)
    ax.add_patch(arrow)
    return arrow


def _title(ax, x: float, y: float, text: str, size: float = 12.0) -> None:
    ax.text(x, y, text, ha="center", va="center", fontsize=size, fontweight="bold")


def _small_2d(x: Any, name: str, max_side: int = 8) -> torch.Tensor:
    """그릴 수 있는 작은 텐서(2차원까지, 한 변 ``max_side`` 이하)로 바꾼다."""
    t = torch.as_tensor(x).detach().cpu()
    if t.dim() > 2:
        raise ValueError(f"{name}는 2차원까지만 그릴 수 있습니다 (받은 모양 {_shape(t.shape)}).")
    if any(d > max_side or d == 0 for d in t.shape):
        raise ValueError(f"{name}의 각 차원은 1~{max_side}이어야 그릴 수 있습니다 (받은 모양 {_shape(t.shape)}).")
    return t


def _as_rows(shape: Sequence[int]) -> tuple[int, int]:
    """0~2차원 모양을 (행, 열)로: 1차원 [n]은 한 행 [1, n] (브로드캐스팅이 앞에 1을 붙이는 것과 같다)."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return 1, shape[0]
    return shape[0], shape[1]


def _values(t: torch.Tensor) -> list[list[str]]:
    rows, cols = _as_rows(t.shape)
    return [[_fmt(v) for v in row] for row in t.reshape(rows, cols).tolist()]


# ---------------------------------------------------------------- 1. 브로드캐스팅

def _broadcast_shape(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    """두 모양을 뒤에서부터 맞춰 본 결과 모양. 맞지 않으면 어느 차원이 부딪히는지 말하는 ``ValueError``."""
    out = []
    for k in range(1, max(len(a), len(b)) + 1):
        da, db = (a[-k] if k <= len(a) else 1), (b[-k] if k <= len(b) else 1)
        if da != db and 1 not in (da, db):
            raise ValueError(
                f"브로드캐스팅할 수 없는 모양입니다: {_shape(a)} + {_shape(b)}. 뒤에서 {k}번째 차원에서 "
                f"왼쪽(dim {len(a) - k})의 크기 {da}, 오른쪽(dim {len(b) - k})의 크기 {db}가 부딪힙니다. "
                "뒤에서부터 맞춘 두 크기는 같거나 한쪽이 1이어야 합니다.")
        out.append(max(da, db))
    return tuple(reversed(out))


def _stretched(t: torch.Tensor, rows: int, cols: int):
    """``t``를 [rows, cols]로 늘린 값과, 복사한(원래 자리가 아닌) 칸 표시."""
    r, c = _as_rows(t.shape)
    values = [[_fmt(v) for v in row] for row in t.reshape(r, c).expand(rows, cols).tolist()]
    copies = [[(r == 1 and i > 0) or (c == 1 and j > 0) for j in range(cols)] for i in range(rows)]
    return values, copies


def broadcasting(left: Any, right: Any) -> Figure:
    """``left + right``의 브로드캐스팅: 두 텐서, 같은 모양으로 늘린 모습(점선 칸은 복사하지 않고 다시 읽는 값), 결과.

    텐서는 2차원까지, 한 변 8칸까지. 모양이 맞지 않으면 어느 차원이 부딪히는지 말하는 ``ValueError``.
    결과 텐서는 ``fig.result``에 있다.
    """
    left, right = _small_2d(left, "왼쪽 텐서"), _small_2d(right, "오른쪽 텐서")
    out_shape = _broadcast_shape(tuple(left.shape), tuple(right.shape))
    result = left + right
    rows, cols = _as_rows(out_shape)
    slot = max(cols, 3.2)  # 격자 하나가 차지하는 너비(글자가 격자보다 넓을 때를 위해)
    xs = [0.6 + k * (slot + 1.4) for k in range(3)]
    top_h = max(_as_rows(left.shape)[0], _as_rows(right.shape)[0])
    y_low = 2.0 + top_h + 1.9
    fig, ax = _canvas(xs[2] + slot + 0.6, y_low + rows + 1.3)
    caption = 10.5
    _title(ax, (xs[2] + slot + 0.6) / 2, 0.6, f"{_shape(left.shape)} + {_shape(right.shape)} → {_shape(out_shape)}")
    for x0, t, name in ((xs[0], left, "왼쪽"), (xs[1], right, "오른쪽")):
        r, c = _as_rows(t.shape)
        gx = x0 + (slot - c) / 2
        ax.text(x0 + slot / 2, 1.6, f"{name} {_shape(t.shape)}", ha="center", va="center", fontsize=caption)
        _grid(ax, gx, 2.0, _values(t))
        values, copies = _stretched(t, rows, cols)
        _grid(ax, x0 + (slot - cols) / 2, y_low, values, dashed=copies)
        same = (r, c) == (rows, cols)
        _arrow(ax, (x0 + slot / 2, 2.0 + r + 0.1), (x0 + slot / 2, y_low - 0.6))
        ax.text(x0 + slot / 2 + 0.25, (2.0 + r + y_low - 0.5) / 2, "그대로" if same else "늘이기", ha="left",
                va="center", fontsize=caption, color="#444444")
    ax.text(xs[2] + slot / 2, y_low - 0.35, f"결과 {_shape(out_shape)}", ha="center", va="center", fontsize=caption)
    _grid(ax, xs[2] + (slot - cols) / 2, y_low, _values(result), colors=[["#e8f1fb"] * cols] * rows)
    for x0, sign in ((xs[1], "+"), (xs[2], "=")):
        ax.text(x0 - 0.7, y_low + rows / 2, sign, ha="center", va="center", fontsize=_pt(ax, 0.6, cap=18))
    ax.text(xs[0], y_low + rows + 0.75, "점선 칸: 메모리에 복사하지 않고 같은 값을 다시 읽는 자리", ha="left",
            va="center", fontsize=caption, color="#555555")
    fig.result = result
    return fig


# ---------------------------------------------------------------- 2. 메모리 배치

def _storage_slots(t: torch.Tensor, max_slots: int = 24):
    """``t``의 저장소 값 전부(메모리 순서)와, 격자의 칸마다 읽는 저장소 칸 번호."""
    if not isinstance(t, torch.Tensor) or t.dim() != 2 or t.numel() == 0:
        shape = _shape(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
        raise ValueError(f"memory_layout은 비어 있지 않은 2차원 텐서를 그립니다 (받은 것: {shape}).")
    n = t.untyped_storage().nbytes() // t.element_size()
    if n > max_slots:
        raise ValueError(f"저장소가 {n}칸이라 그리기에는 큽니다 ({max_slots}칸까지). torch.arange(6)처럼 작은 텐서로 그려 보세요.")
    storage = t.detach().as_strided((n,), (1,), 0).cpu().tolist()
    (s0, s1), offset = t.stride(), t.storage_offset()
    slots = [[offset + i * s0 + j * s1 for j in range(t.shape[1])] for i in range(t.shape[0])]
    return storage, slots


def _memory_panel(ax, x0: float, width: float, t: torch.Tensor, title: str | None) -> None:
    """텐서 하나의 그림: 위에 저장소 한 줄과 읽는 순서(화살표), 아래에 shape·stride로 읽은 격자."""
    storage, slots = _storage_slots(t)
    n, (rows, cols) = len(storage), t.shape
    colors = [COLORS[k % len(COLORS)] for k in range(n)]
    small = LABEL
    _title(ax, x0 + width / 2, 0.5, title or f"모양 {_shape(t.shape)}", size=11)
    sx = x0 + (width - n) / 2
    ax.text(sx, 1.2, "저장소 (메모리에 놓인 순서)", ha="left", va="center", fontsize=small)
    _grid(ax, sx, 3.0, [[_fmt(v) for v in storage]], colors=[colors])
    for k in range(n):
        ax.text(sx + k + 0.5, 4.3, f"[{k}]", ha="center", va="center", fontsize=small, color="#555555")
    order = [k for row in slots for k in row]
    for a, b in zip(order, order[1:]):  # 행 순서로 읽을 때 저장소에서 건너뛰는 모양
        _arrow(ax, (sx + a + 0.5, 2.95), (sx + b + 0.5, 2.95), rad=-0.45 if b > a else 0.45, width=1.0,
               color="#555555")
    gx, gy = x0 + (width - cols) / 2, 5.6
    ax.text(x0 + width / 2, gy - 0.45, f"stride {tuple(t.stride())}: 아래로 {t.stride(0)}칸, 옆으로 {t.stride(1)}칸",
            ha="center", va="center", fontsize=small)
    _grid(ax, gx, gy, [[_fmt(storage[k]) for k in row] for row in slots],
          colors=[[colors[k] for k in row] for row in slots])
    for i, row in enumerate(slots):
        for j, k in enumerate(row):
            ax.text(gx + j + 0.95, gy + i + 0.95, f"[{k}]", ha="right", va="bottom", fontsize=small * 0.8,
                    color="#444444", zorder=5)
    ax.text(x0 + width / 2, gy + rows + 0.5, "행 순서로 읽으면 저장소 칸 " + " → ".join(map(str, order)),
            ha="center", va="center", fontsize=small, family=ARROW_FONT)
    ax.text(x0 + width / 2, gy + rows + 1.15, f"is_contiguous() = {t.is_contiguous()}", ha="center",
            va="center", fontsize=small, family=CODE_FONT)


def memory_layout(*tensors: torch.Tensor, titles: Sequence[str] | None = None) -> Figure:
    """2차원 텐서가 저장소(메모리)의 어느 칸을 어떤 순서로 읽는지 그린다. 여러 개를 주면 나란히.

    위: 저장소의 값(메모리 순서)과 ``[칸 번호]``, 격자를 행 순서로 읽을 때 저장소에서 옮겨 가는 화살표.
    아래: ``shape``·``stride``로 읽은 격자. 칸의 색과 ``[번호]``가 그 칸이 읽는 저장소 칸이다.
    ``memory_layout(v, v.T, titles=["v", "v.T"])``처럼 뷰를 함께 그리면 전치가 읽는 순서만 바꾼다는 것이 보인다.
    """
    if not tensors:
        raise ValueError("그릴 텐서를 하나 이상 주세요: memory_layout(v) 또는 memory_layout(v, v.T).")
    if titles is not None and len(titles) != len(tensors):
        raise ValueError(f"제목이 {len(titles)}개인데 텐서는 {len(tensors)}개입니다. 텐서마다 제목을 하나씩 주세요.")
    for t in tensors:
        _storage_slots(t)  # 그리기 전에 잘못된 입력을 알린다
    widths = [max(t.untyped_storage().nbytes() // t.element_size(), t.shape[1], 8) + 1.0 for t in tensors]
    height = 5.6 + max(t.shape[0] for t in tensors) + 1.6
    fig, ax = _canvas(sum(widths), height, max_h=4.0)
    x0 = 0.0
    for k, (t, width) in enumerate(zip(tensors, widths)):
        _memory_panel(ax, x0, width, t, titles[k] if titles else None)
        x0 += width
    return fig


# ---------------------------------------------------------------- 3. 다층 퍼셉트론

def _node_rows(size: int, max_nodes: int = 8) -> list[float | None]:
    """층 하나의 노드 자리(0~max_nodes-1). 많으면 위 4개, ⋮(None), 아래 3개."""
    if size <= max_nodes:
        offset = (max_nodes - size) / 2
        return [offset + k for k in range(size)]
    return [0, 1, 2, 3, None, 5, 6, 7]


def mlp(layer_sizes: Sequence[int], names: Sequence[str] | None = None) -> Figure:
    """다층 퍼셉트론 그림: 층마다 노드 열(8개가 넘으면 ⋮로 줄이고 진짜 개수를 적는다), 층 사이의 연결,
    연결마다 파라미터 수(입력×출력 + 출력 = 가중치 + 편향).

    ``names``를 주지 않으면 ``입력``, ``은닉``…, ``출력``. 파라미터 수는 ``fig.param_counts``(연결마다)에 있다.
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"층 크기는 1 이상인 수 두 개 이상이어야 합니다 (받은 값: {list(layer_sizes)}).")
    names = list(names) if names is not None else ["입력", *["은닉"] * (len(sizes) - 2), "출력"]
    if len(names) != len(sizes):
        raise ValueError(f"이름이 {len(names)}개인데 층은 {len(sizes)}개입니다. 층마다 이름을 하나씩 주세요.")
    counts = [a * b + b for a, b in zip(sizes, sizes[1:])]
    gap, top, step = 3.6, 2.3, 0.75
    xs = [1.8 + k * gap for k in range(len(sizes))]
    fig, ax = _canvas(xs[-1] + 1.8, top + 8 * step + 2.0, unit=0.5)
    font = LABEL
    arrows = " → ".join(f"{s:,}" for s in sizes)
    _title(ax, (xs[-1] + 1.8) / 2, 0.55, f"다층 퍼셉트론 {arrows} (파라미터 {sum(counts):,}개)")
    ys = [[None if r is None else top + step * (r + 0.5) for r in _node_rows(s)] for s in sizes]
    for k in range(len(sizes) - 1):
        for ya in filter(None, ys[k]):
            for yb in filter(None, ys[k + 1]):
                ax.plot([xs[k], xs[k + 1]], [ya, yb], color="#999999", linewidth=0.5, alpha=0.45, zorder=1)
        ax.text((xs[k] + xs[k + 1]) / 2, top + 8 * step + 0.85,
                f"{sizes[k]:,}×{sizes[k + 1]:,} + {sizes[k + 1]:,}\n= {counts[k]:,}", ha="center", va="center",
                fontsize=font * 0.95, color="#333333")
    for k, (x, column) in enumerate(zip(xs, ys)):
        color = COLORS[0] if k == 0 else COLORS[2] if k == len(sizes) - 1 else COLORS[1]
        for y in column:
            if y is None:
                ax.text(x, top + step * 4.5, "⋮", ha="center", va="center", fontsize=font * 1.4)
            else:
                ax.add_patch(plt.Circle((x, y), 0.26, facecolor=color, edgecolor=EDGE, linewidth=0.8, zorder=2))
        ax.text(x, top - 0.55, f"{names[k]}\n{sizes[k]:,}", ha="center", va="center", fontsize=font,
                fontweight="bold")
    fig.param_counts = counts
    return fig


# ---------------------------------------------------------------- 4. 학습 루프

def _box(ax, center, size, title: str, code: str | Sequence[str], color: str, line: float = 0.5) -> FancyBboxPatch:
    """둥근 상자: 굵은 한국어 제목 한 줄과 고정폭 코드 몇 줄."""
    (cx, cy), (w, h) = center, size
    box = FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.2",
                         facecolor=color, edgecolor=EDGE, linewidth=1.0, zorder=2)
    ax.add_patch(box)
    lines = [code] if isinstance(code, str) else list(code)
    for k, text in enumerate([title, *lines]):
        y = cy + (k - len(lines) / 2) * line
        ax.text(cx, y, text, ha="center", va="center", zorder=3, fontsize=10 if k == 0 else 8,
                fontweight="bold" if k == 0 else "normal", family=None if k == 0 else CODE_FONT)
    return box


def _frame(ax, x0: float, y0: float, x1: float, y1: float, color: str, label: str = "") -> None:
    """점선 둥근 틀과 왼쪽 위의 이름표(반복 범위)."""
    ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.3",
                                facecolor=color, edgecolor="#888888", linestyle="--", zorder=0))
    if label:
        ax.text(x0 + 0.25, y0 + 0.35, label, ha="left", va="center", fontsize=LABEL, color="#333333")


def training_loop() -> Figure:
    """학습 한 걸음의 순환(배치 가져오기 → 순전파 → 손실 계산 → 기울기 초기화 → 역전파 → 가중치 갱신 → 다음 배치)과,
    에폭마다 배치를 모두 돈 뒤의 검증(``model.eval()`` + ``torch.inference_mode()``)."""
    steps = [("배치 가져오기", "for x, y in loader:"), ("순전파", "pred = model(x)"),
             ("손실 계산", "loss = loss_fn(pred, y)"), ("기울기 초기화", "optimizer.zero_grad()"),
             ("역전파", "loss.backward()"), ("가중치 갱신", "optimizer.step()")]
    w, h, gap = 3.5, 1.3, 0.35
    xs = [0.7 + w / 2 + k * (w + gap) for k in range(3)]
    centers = [(x, 3.05) for x in xs] + [(x, 5.75) for x in reversed(xs)]
    right = xs[2] + w / 2 + 0.25  # 배치 반복 틀의 오른쪽 끝
    fig, ax = _canvas(16.9, 7.4, unit=0.5)
    _title(ax, 8.45, 0.4, "학습 루프: 배치마다 한 걸음, 배치를 모두 돌면 한 에폭", size=TITLE)
    _frame(ax, 0.2, 0.85, 16.7, 7.25, "#fafafa", "에폭마다 반복 (model.train()으로 시작)")
    _frame(ax, 0.45, 1.9, right, 6.95, "#f0f0f0")
    boxes = [_box(ax, c, (w, h), title, code, COLORS[k]) for k, (c, (title, code)) in enumerate(zip(centers, steps))]
    for a, b in zip(boxes, boxes[1:] + boxes[:1]):
        _arrow(ax, _center(a), _center(b), patchA=a, patchB=b)
    ax.text(xs[1], 4.4, "배치마다 한 걸음", ha="center", va="center", fontsize=LABEL, color="#555555")
    ax.text(xs[0] - w / 2 + 0.2, 4.4, "다음 배치", ha="left", va="center", fontsize=SMALL, color="#555555")
    val = _box(ax, (14.85, 4.4), (3.35, 2.3), "검증", ["model.eval()", "torch.inference_mode()", "검증 손실·정확도"],
               "#e2e2e2", line=0.48)
    _arrow(ax, (right, 4.4), (val.get_x(), 4.4))
    ax.text((right + val.get_x()) / 2, 3.75, "로더가\n끝나면", ha="center", va="center", fontsize=SMALL, color="#444444")
    ax.plot([14.85, 14.85, xs[0]], [val.get_y(), 1.55, 1.55], color="#444444", linewidth=1.3, zorder=5)
    _arrow(ax, (xs[0], 1.55), _edge(boxes[0], "top"))
    ax.text(13.55, 1.3, "다음 에폭", ha="center", va="center", fontsize=SMALL, color="#444444")
    return fig


def _center(box: FancyBboxPatch) -> tuple[float, float]:
    return box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2


def _edge(box: FancyBboxPatch, side: str) -> tuple[float, float]:
    x, _ = _center(box)
    return (x, box.get_y()) if side == "top" else (x, box.get_y() + box.get_height())


# ---------------------------------------------------------------- 5. 데이터 나누기

DEFAULT_ROLES = {"학습": "가중치 학습", "검증": "설정·에폭 고르기", "테스트": "마지막에 한 번 평가"}


def _label_positions(centers: list[float], left: float, right: float, min_gap: float) -> list[float]:
    """글자가 겹치지 않는 이름표 자리: 조각 가운데가 너무 가까우면 고르게 나눈 자리."""
    if all(b - a >= min_gap for a, b in zip(centers, centers[1:])):
        return centers
    k = len(centers)
    return [left + (right - left) * (i + 0.5) / k for i in range(k)]


def data_split(sizes: Mapping[str, int], roles: Mapping[str, str] | None = None) -> Figure:
    """데이터 세트를 나눈 비율을 막대 하나로: 조각마다 이름, 개수(비율), 쓰는 곳.

    ``sizes``: ``{"학습": 55000, "검증": 5000, "테스트": 10000}``처럼 이름 → 개수.
    쓰는 곳은 학습·검증·테스트에 기본 설명이 있고, ``roles``로 바꾸거나 더한다.
    """
    items = [(str(name), int(count)) for name, count in sizes.items()]
    if not items or min(c for _, c in items) < 1:
        raise ValueError(f"sizes에는 이름 → 1 이상의 개수를 하나 이상 주세요 (받은 값: {dict(sizes)}).")
    notes = {**DEFAULT_ROLES, **(roles or {})}
    total = sum(c for _, c in items)
    left, right = 0.5, 15.5
    fig, ax = _canvas(16.0, 5.6, unit=0.5)
    _title(ax, 8.0, 0.5, f"데이터 나누기 (전체 {total:,}개)")
    x, centers = left, []
    for k, (name, count) in enumerate(items):
        w = (right - left) * count / total
        ax.add_patch(Rectangle((x, 1.2), w, 1.1, facecolor=COLORS[k % len(COLORS)], edgecolor=EDGE, linewidth=1))
        if w > 1.6:
            ax.text(x + w / 2, 1.75, f"{100 * count / total:.1f}%", ha="center", va="center", fontsize=10)
        centers.append(x + w / 2)
        x += w
    spots = _label_positions(centers, left, right, min_gap=4.0)
    for (name, count), c, s in zip(items, centers, spots):
        ax.plot([c, c, s], [2.3, 2.75, 3.1], color="#777777", linewidth=0.9)
        ax.text(s, 3.45, name, ha="center", va="center", fontsize=11, fontweight="bold")
        ax.text(s, 4.1, f"{count:,}개 ({100 * count / total:.1f}%)", ha="center", va="center", fontsize=10)
        if notes.get(name):
            ax.text(s, 4.75, notes[name], ha="center", va="center", fontsize=10, color="#444444")
    return fig


# ---------------------------------------------------------------- 6. 로더의 배치

def _loader_order(n: int, batch_size: int, generator, shuffle: bool, epochs: int) -> list[list[list[int]]]:
    """``DataLoader(range(n), batch_size, shuffle=shuffle, generator=generator)``가 에폭마다 내놓을 배치.

    생성기와 전역 난수 상태는 복사본으로 돌려서 그대로 둔다: 그림을 그린 뒤 같은 상태로 만든 로더가 같은 순서를 낸다.
    """
    copy = None
    if generator is not None:
        copy = torch.Generator(device=generator.device)
        copy.set_state(generator.get_state())
    with torch.random.fork_rng(devices=[]):
        loader = torch.utils.data.DataLoader(range(n), batch_size=batch_size, shuffle=shuffle, generator=copy)
        return [[batch.tolist() for batch in loader] for _ in range(epochs)]


def loader_batches(n: int, batch_size: int, generator: torch.Generator | None = None, shuffle: bool = True,
                   epochs: int = 2) -> Figure:
    """샘플 번호 0~n-1이 에폭마다 어떤 순서로 섞여 어떤 배치로 묶이는지(마지막의 작은 배치는 주황색).

    순서는 ``DataLoader(range(n), batch_size, shuffle=shuffle, generator=generator)``가 내는 것 그대로다
    (``RandomSampler``가 에폭마다 ``torch.randperm(n, generator=...)``로 섞는다). 그림을 그려도
    ``generator``와 전역 난수 상태는 바뀌지 않으므로, 같은 생성기로 만든 로더가 그림과 같은 순서를 낸다.
    배치 번호는 ``fig.batches[에폭][배치]``에 있다.
    """
    if not 1 <= n <= 24 or batch_size < 1 or epochs < 1:
        raise ValueError(f"n은 1~24, batch_size와 epochs는 1 이상이어야 그릴 수 있습니다 (받은 값: n={n}, "
                         f"batch_size={batch_size}, epochs={epochs}).")
    order = _loader_order(n, batch_size, generator, shuffle, epochs)
    n_batches, last = len(order[0]), len(order[0][-1])
    width = 2.6 + n + 0.6 * (n_batches - 1) + 0.4
    fig, ax = _canvas(width, 2.2 + 2.6 * epochs + 0.6, unit=0.45)
    _title(ax, width / 2, 0.55, f"DataLoader(range({n}), batch_size={batch_size}, shuffle={shuffle})",
           size=TITLE)
    small = SMALL
    for e, batches in enumerate(order):
        y = 1.9 + 2.6 * e
        ax.text(0.3, y + 0.5, f"에폭 {e + 1}", ha="left", va="center", fontsize=10.5,
                fontweight="bold")
        x = 2.6
        for b, batch in enumerate(batches):
            short = b == n_batches - 1 and last < batch_size
            color = COLORS[1] if short else COLORS[0]
            _grid(ax, x, y, [[str(i) for i in batch]], colors=[[color] * len(batch)])
            ax.plot([x + 0.05, x + len(batch) - 0.05], [y + 1.25] * 2, color="#666666", linewidth=1.2)
            label = f"배치 {b + 1}" + (f" ({last}개)" if short else "")
            ax.text(x + len(batch) / 2, y + 1.6, label, ha="center", va="center", fontsize=small,
                    color="#b35c00" if short else "#333333")
            x += len(batch) + 0.6
    q, r = divmod(n, batch_size)
    note = f"{n} = {batch_size}×{q} + {r}: 마지막 배치는 {r}개" if r else f"{n} = {batch_size}×{q}: 모든 배치가 {batch_size}개"
    ax.text(0.3, 2.2 + 2.6 * epochs, note, ha="left", va="center", fontsize=small, color="#444444")
    fig.batches = order
    return fig


# ---------------------------------------------------------------- 7. 합성곱

def _conv_size(n: int, k: int, p: int, s: int) -> int:
    if min(n, k, s) < 1 or p < 0:
        raise ValueError(f"input_size, kernel_size, stride는 1 이상, padding은 0 이상이어야 합니다 "
                         f"(받은 값: n={n}, k={k}, p={p}, s={s}).")
    if k > n + 2 * p:
        raise ValueError(f"커널({k}×{k})이 패딩한 입력({n + 2 * p}×{n + 2 * p})보다 커서 출력이 없습니다.")
    return (n + 2 * p - k) // s + 1


def _window(ax, x: float, y: float, k: int, color: str, dashed: bool = False) -> None:
    ax.add_patch(Rectangle((x, y), k, k, fill=False, edgecolor=color, linewidth=2.6, zorder=6,
                           linestyle="--" if dashed else "-"))


def convolution(input_size: int, kernel_size: int = 3, padding: int = 0, stride: int = 1) -> Figure:
    """합성곱의 출력 크기: 입력(회색 칸은 패딩), 첫 위치(빨강)와 스트라이드만큼 옮긴 다음 위치(파랑)의 커널 창,
    출력 격자, 그리고 식 ⌊(n + 2p - k) / s⌋ + 1에 숫자를 넣은 값. 출력 크기는 ``fig.output_size``에 있다."""
    n, k, p, s = int(input_size), int(kernel_size), int(padding), int(stride)
    out = _conv_size(n, k, p, s)
    size = n + 2 * p
    if size > 32:
        raise ValueError(f"패딩한 입력이 {size}칸이라 그리기에는 큽니다 (32칸까지).")
    m = max(1.0, size / 8)  # 글자 자리: 격자가 크면(칸이 작으면) 칸 단위 여백도 키운다
    x0, y0 = 0.5 * m, 2.2 * m
    ox = x0 + size + 2.5 * m
    width, oy = ox + max(out, 2.5 * m) + 0.5 * m, y0 + (size - out) / 2
    height = y0 + size + 2.3 * m
    width = max(width, 1.45 * height)  # 아래의 식이 들어갈 너비
    fig, ax = _canvas(width, height, unit=0.4)
    _title(ax, width / 2, 0.6 * m, f"합성곱: 입력 {n}×{n}, 커널 {k}×{k}, 패딩 {p}, 스트라이드 {s}")
    pad = [[i < p or j < p or i >= p + n or j >= p + n for j in range(size)] for i in range(size)]
    _color_grid(ax, x0, y0, [["#cccccc" if c else "white" for c in row] for row in pad])
    ax.text(x0 + size / 2, y0 - 0.5 * m, f"입력 {n}×{n}" + (f" + 패딩 {p} (회색)" if p else ""), ha="center",
            va="center", fontsize=LABEL)
    colors = [["white"] * out for _ in range(out)]
    colors[0][0] = "#f6c1c1"
    _window(ax, x0, y0, k, FIRST)
    _arrow(ax, (x0 + k, y0 + 0.3 * k), (ox + 0.5, oy), color=FIRST, rad=-0.12)
    if out > 1:
        colors[0][1] = "#bcd0f7"
        _window(ax, x0 + s, y0, k, SECOND, dashed=True)
        _arrow(ax, (x0 + s + k, y0 + 0.7 * k), (ox + 1.5, oy + 1), color=SECOND, rad=0.15)
    _color_grid(ax, ox, oy, colors)
    ax.text(ox + out / 2, oy - 0.5 * m, f"출력 {out}×{out}", ha="center", va="center", fontsize=LABEL)
    ax.text(x0, y0 + size + 0.7 * m, f"빨강: 첫 위치, 파랑: 스트라이드 {s}칸 옆의 다음 위치", ha="left", va="center",
            fontsize=SMALL, color="#444444")
    formula = (rf"$\lfloor (n + 2p - k)\,/\,s \rfloor + 1 = \lfloor ({n} + 2\cdot{p} - {k})\,/\,{s} \rfloor + 1"
               rf" = {out}$")
    label = ax.text(x0, y0 + size + 1.6 * m, "출력 크기 =", ha="left", va="center", fontsize=11)
    ax.annotate(formula, xy=(1, 0.5), xycoords=label, xytext=(4, 0), textcoords="offset points", ha="left",
                va="center", fontsize=11)
    fig.output_size = out
    return fig


# ---------------------------------------------------------------- 8. 최대 풀링

def pooling(x: Any, kernel_size: int = 2) -> Figure:
    """최대 풀링(``F.max_pool2d``, 스트라이드 = 커널 크기): 입력의 창마다 색을 칠하고, 창에서 뽑힌 가장 큰 값은 굵게,
    출력의 칸도 같은 색으로. 창에 다 들지 않는 가장자리 칸(버려지는 칸)은 회색. 결과는 ``fig.result``."""
    t = _small_2d(x, "x", max_side=10)
    if t.dim() != 2:
        raise ValueError(f"pooling은 2차원 텐서(높이×너비)를 그립니다 (받은 모양 {_shape(t.shape)}).")
    k = int(kernel_size)
    if not 1 <= k <= min(t.shape):
        raise ValueError(f"kernel_size는 1 이상, 입력의 작은 변({min(t.shape)}) 이하여야 합니다 (받은 값: {kernel_size}).")
    pooled, index = F.max_pool2d(t[None, None].double(), k, return_indices=True)
    result = pooled[0, 0].to(t.dtype)
    (h, w), (oh, ow) = t.shape, result.shape
    window = [[(i // k) * ow + j // k if i < oh * k and j < ow * k else None for j in range(w)] for i in range(h)]
    chosen = set(index.flatten().tolist())
    colors = [[COLORS[c % len(COLORS)] if c is not None else "#dddddd" for c in row] for row in window]
    bold = [[i * w + j in chosen for j in range(w)] for i in range(h)]
    ox = 0.6 + w + 2.6
    width = ox + max(ow, 3) + 0.6
    fig, ax = _canvas(width, max(h, 3) + 3.4, unit=0.5)
    _title(ax, width / 2, 0.55, f"최대 풀링 (kernel_size={k}): {_shape(t.shape)} → {_shape(result.shape)}",
           size=TITLE)
    font = LABEL
    ax.text(0.6 + w / 2, 1.55, f"입력 {h}×{w}", ha="center", va="center", fontsize=font)
    _grid(ax, 0.6, 2.0, _values(t), colors=colors, bold=bold)
    oy = 2.0 + (h - oh) / 2
    ax.text(ox + ow / 2, oy - 0.45, f"출력 {oh}×{ow}", ha="center", va="center", fontsize=font)
    out_colors = [[COLORS[(i * ow + j) % len(COLORS)] for j in range(ow)] for i in range(oh)]
    _grid(ax, ox, oy, _values(result), colors=out_colors)
    _arrow(ax, (0.6 + w + 0.3, 2.0 + h / 2), (ox - 0.3, 2.0 + h / 2))
    ax.text(0.6 + w + 1.3, 2.0 + h / 2 - 0.4, "창마다 최댓값", ha="center", va="center", fontsize=font * 0.9)
    dropped = " 회색 칸은 창에 들지 않아 버려집니다." if any(c is None for row in window for c in row) else ""
    ax.text(0.6, 2.0 + max(h, 3) + 0.8, f"같은 색 = 같은 창, 굵은 칸 = 뽑힌 값.{dropped}", ha="left", va="center",
            fontsize=font, color="#444444")
    fig.result = result
    return fig


# ---------------------------------------------------------------- 9. 체크포인트

def _more(rows: list[str], limit: int = 6, indent: str = "") -> list[str]:
    """목록을 ``limit``줄로 자르고, 남은 개수를 ⋯ 줄로."""
    return rows[:limit] + ([f"{indent}⋯ 외 {len(rows) - limit}개"] if len(rows) > limit else [])


def _short(value: Any) -> str:
    """값 하나를 한 줄로: 텐서는 모양(0차원이면 값), 수와 문자열은 값, 목록은 앞의 몇 개."""
    if isinstance(value, torch.Tensor):
        return _shape(value.shape) if value.dim() else f"tensor({value.item():.6g})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_short(v) for v in value[:4]) + (", …" if len(value) > 4 else "")
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (bool, int, str)) or value is None:
        return _clip(repr(value), 28)
    return type(value).__name__


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _optimizer_rows(state: Mapping) -> list[str]:
    """옵티마이저 state_dict: 파라미터마다 버퍼(state), 그룹마다 설정 몇 개(param_groups)."""
    buffers = [f"  {pid}: " + ", ".join(f"{name} {_short(v)}" for name, v in bufs.items())
               for pid, bufs in state["state"].items()]
    rows = [f"state: 파라미터 {len(buffers)}개의 버퍼", *_more(buffers, 4, indent="  ")]
    for g, group in enumerate(state["param_groups"][:2]):
        keys = [key for key in ("lr", "momentum", "betas", "weight_decay") if key in group][:3]
        rows += [f"param_groups[{g}]:", *[f"  {key}: {_short(group[key])}" for key in keys],
                 f"  params: {_short(list(group.get('params', [])))}"]
        if len(group) - len(keys) - 1 > 0:
            rows.append(f"  ⋯ 설정 {len(group) - len(keys) - 1}개 더")
    return rows


def _describe(key: Any, value: Any) -> tuple[str, list[str]]:
    """체크포인트의 키 하나: 상자 제목과 줄들."""
    if isinstance(value, Mapping) and "state" in value and "param_groups" in value:
        return f'"{key}": 옵티마이저 state_dict', _optimizer_rows(value)
    if isinstance(value, Mapping) and value and all(isinstance(v, torch.Tensor) for v in value.values()):
        names = [_clip(str(name), 24) for name in value]
        rows = [f"{name.ljust(max(map(len, names)))}  {_shape(v.shape)}" for name, v in zip(names, value.values())]
        return f'"{key}": state_dict (텐서 {len(rows)}개)', _more(rows)
    if isinstance(value, Mapping):
        rows = [f"{_clip(str(k), 18)}: {_short(v)}" for k, v in value.items()]
        return f'"{key}": dict (키 {len(value)}개)', _more(rows)
    return f'"{key}"', [_short(value)]


def _text_inches(texts: list[tuple[str, float, Any, str]]) -> list[float]:
    """(글자, 크기, 글꼴, 굵기)마다 그렸을 때의 너비(인치). 빈 그림에 그려 재어 본다."""
    scratch = Figure(dpi=100)
    renderer = FigureCanvasAgg(scratch).get_renderer()
    sizes = [scratch.text(0, 0, t, fontsize=size, family=family, fontweight=weight).get_window_extent(renderer).width
             for t, size, family, weight in texts]
    return [w / scratch.dpi for w in sizes]


def _card_sizes(items: list[tuple[str, list[str]]]) -> list[tuple[float, float]]:
    """상자마다 (너비, 높이) 인치: 제목 10pt 굵게, 줄은 고정폭 8.5pt, 줄 간격 0.19인치."""
    sizes = []
    for header, rows in items:
        widths = _text_inches([(header, 10, None, "bold"), *[(r, 8.5, CODE_FONT, "normal") for r in rows]])
        sizes.append((max(widths) + 0.3, 0.5 + 0.19 * len(rows) + 0.1))
    return sizes


def _card_places(items, sizes, max_width: float = 7.9):
    """상자 자리 (x, y): 여러 줄짜리는 한 열씩, 한 줄짜리(수 등)는 마지막 열에 위아래로 쌓고, 넘치면 다음 줄로."""
    columns: list[list[int]] = [[k] for k, (_, rows) in enumerate(items) if len(rows) > 1]
    singles = [k for k, (_, rows) in enumerate(items) if len(rows) <= 1]
    columns += [singles] if singles else []
    places, x, y, row_h, right = {}, 0.35, 0.85, 0.0, 0.0
    for column in columns:
        col_w = max(sizes[k][0] for k in column)
        col_h = sum(sizes[k][1] for k in column) + 0.2 * (len(column) - 1)
        if x + col_w > max_width - 0.35 and places:
            x, y, row_h = 0.35, y + row_h + 0.3, 0.0
        top = y
        for k in column:
            places[k] = (x, top)
            top += sizes[k][1] + 0.2
        x, row_h, right = x + col_w + 0.3, max(row_h, col_h), max(right, x + col_w)
    return [places[k] for k in range(len(items))], right + 0.35, y + row_h + 0.3


def checkpoint_contents(checkpoint: Mapping[str, Any]) -> Figure:
    """체크포인트 dict의 내용을 상자로: 맨 위의 키마다 상자 하나. 모델 ``state_dict``는 텐서 이름과 모양(6개 넘으면 ⋯),
    옵티마이저 ``state_dict``는 ``state``(파라미터마다 버퍼)와 ``param_groups``(lr, momentum …), 수는 값 그대로."""
    if not isinstance(checkpoint, Mapping) or not checkpoint:
        raise ValueError(f"checkpoint는 키가 하나 이상 있는 dict여야 합니다 (받은 것: {type(checkpoint).__name__}).")
    items = [_describe(key, value) for key, value in checkpoint.items()]
    sizes = _card_sizes(items)
    places, width, height = _card_places(items, sizes)
    width = max(width, 4.0)
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()  # 좌표 단위 = 인치
    _frame(ax, 0.15, 0.1, width - 0.15, height - 0.1, "#fafafa")
    ax.text(0.35, 0.45, f"체크포인트 dict: 키 {len(items)}개", ha="left", va="center", fontsize=TITLE, fontweight="bold")
    for k, ((header, rows), (x, y), (w, h)) in enumerate(zip(items, places, sizes)):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor=COLORS[k % len(COLORS)] + "66", edgecolor=EDGE))
        ax.text(x + 0.15, y + 0.27, header, ha="left", va="center", fontsize=10, fontweight="bold")
        for r, row in enumerate(rows):
            ax.text(x + 0.15, y + 0.6 + 0.19 * r, row, ha="left", va="center", fontsize=8.5, family=CODE_FONT)
    return fig


# ---------------------------------------------------------------- 10. 호스트 동기화

def host_sync(steps: int = 4, launch: float = 1.0, compute: float = 2.5) -> Figure:
    """CPU(호스트)가 GPU에 일을 넣는 시간표 두 줄: 걸음마다 ``loss.item()``으로 기다릴 때와 기다리지 않을 때.

    걸음마다 CPU는 ``launch``만큼 일을 넣고(커널 실행 요청), GPU는 ``compute``만큼 계산한다(단위는 임의).
    기다리지 않으면 CPU가 앞서 나가 GPU가 쉬지 않고, 기다리면 걸음마다 GPU가 CPU를 기다리며 쉰다.
    ``fig.totals``: {"기다리지 않음": 끝나는 시각, "걸음마다 .item()": 끝나는 시각}.
    """
    if steps < 1 or launch <= 0 or compute <= 0:
        raise ValueError(f"steps는 1 이상, launch와 compute는 0보다 커야 합니다: {steps}, {launch}, {compute}")
    fig = Figure(figsize=(8.0, 3.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1, sharex=True)
    totals = {}
    for ax, (title, wait) in zip(axes, [("기다리지 않음", False), ("걸음마다 .item()", True)]):
        cpu_t, gpu_free = 0.0, 0.0
        for k in range(steps):
            color = COLORS[k % len(COLORS)]
            ax.broken_barh([(cpu_t, launch)], (1.1, 0.8), facecolors=color, edgecolor=EDGE)
            ax.text(cpu_t + launch / 2, 1.5, f"넣기 {k + 1}", ha="center", va="center", fontsize=SMALL)
            gpu_start = max(cpu_t + launch, gpu_free)  # GPU는 요청이 들어오고, 앞의 일이 끝나야 시작한다
            ax.broken_barh([(gpu_start, compute)], (0.1, 0.8), facecolors=color, edgecolor=EDGE)
            ax.text(gpu_start + compute / 2, 0.5, f"계산 {k + 1}", ha="center", va="center", fontsize=SMALL)
            gpu_free = gpu_start + compute
            cpu_t += launch
            if wait:  # .item(): 이 걸음의 계산이 끝나야 값을 읽을 수 있다
                ax.broken_barh([(cpu_t, gpu_free - cpu_t)], (1.1, 0.8), facecolors="white", edgecolor="#999999",
                               hatch="//")
                ax.text((cpu_t + gpu_free) / 2, 1.5, "기다림", ha="center", va="center", fontsize=SMALL, color="#555555")
                cpu_t = gpu_free
        totals[title] = gpu_free
        ax.set_yticks([0.5, 1.5], ["GPU", "CPU"])
        ax.set_title(f"{title}: {steps}걸음이 {gpu_free:g}에 끝남", fontsize=LABEL, loc="left")
        ax.set_ylim(0, 2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[-1].set_xlabel("시간")
    fig.tight_layout()
    fig.totals = totals
    return fig
