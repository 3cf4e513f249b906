"""내 그림으로 예측하기: 7장에서 풀어 쓴 사진 → MNIST처럼 전처리 → 모델 입력 → 예측.

7장은 흰 종이에 마커로 쓴 숫자를 찍은 것 같은 사진(``marker_digit_7.jpg``)을 모델에 넣는다. MNIST는
검은 바탕 가운데에 흰 숫자가 20×20 상자에 맞춰 들어 있고 무게중심이 한가운데인 28×28 그림이다. 독자의 사진은
색이 반대이고, 숫자가 한쪽에 치우쳐 있고, 크기도 조명도 제각각이다. 크기만 28×28로 줄이면 모델은 처음 보는
모양의 입력을 받는다. ``prepare_digit``이 MNIST를 만든 순서대로 사진을 바꾼다:
흑백 → (바탕이 밝으면) 반전 → 종이의 밝기 빼기 → 숫자만 자르기 → 긴 변을 20픽셀로 → 28×28 가운데에
놓고 무게중심 맞추기. 파일이 그림이 아니거나, 투명한 바탕이거나, 숫자가 없는 그림이면 무엇을 고치면 되는지
한국어로 알려 준다.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from helpers.train import _device_of, to_device

__all__ = ["ImageInputError", "check_model_input", "load_digit_image", "predict_digit", "prepare_digit",
           "show_preprocessing"]

_EXPECTED = "숫자 하나를 그린 PNG나 JPEG 그림 파일"


class ImageInputError(ValueError):
    """그림 파일을 모델 입력으로 만들 수 없다. 메시지가 무엇을 주면 되는지 말한다."""


def open_image(path: str | Path) -> Image.Image:
    """``path``의 그림을 열어 픽셀까지 읽는다. 그림이 아니면 ``ImageInputError``."""
    path = Path(path)
    if path.is_dir():
        raise ImageInputError(f"{path}은(는) 폴더입니다. {_EXPECTED}의 경로를 주세요.")
    if not path.exists():
        raise ImageInputError(f"{path} 파일이 없습니다. 경로를 확인하세요. 필요한 것: {_EXPECTED}.")
    if path.stat().st_size == 0:
        raise ImageInputError(f"{path}은(는) 빈 파일입니다(0바이트). 필요한 것: {_EXPECTED}.")
    try:
        image = Image.open(path)
        image.load()  # Image.open은 머리말만 읽는다: 잘린 파일은 픽셀을 읽을 때 드러난다
    except UnidentifiedImageError as exc:
        raise ImageInputError(
            f"{path}은(는) 그림 파일이 아닙니다(PIL이 형식을 알아보지 못했습니다). 필요한 것: {_EXPECTED}. "
            "확장자만 .png로 바꾼 파일은 그림이 아닙니다."
        ) from exc
    except OSError as exc:
        raise ImageInputError(f"{path}을(를) 그림으로 읽지 못했습니다({exc}). 파일이 잘렸거나 망가졌을 수 있습니다.") from exc
    return image


def _on_white(image: Image.Image) -> Image.Image:
    """투명한 부분이 있으면 흰 바탕 위에 얹은 RGBA 그림을, 없으면 그대로 돌려준다."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return image


def to_grayscale(image: Image.Image) -> Image.Image:
    """흑백 한 채널(``L``)로 바꾼다. 투명한 부분은 먼저 흰 바탕 위에 얹는다."""
    # 그냥 convert("L")는 알파를 버린다: 투명한 바탕(보통 RGB가 검정)에 검은 글씨면 온통 검게 된다
    return _on_white(image).convert("L")  # transforms.Grayscale()과 같은 변환


MNIST_BOX = 20      # MNIST는 숫자를 비율을 지키며 20×20 상자에 맞췄다
MNIST_SIZE = 28     # 그리고 28×28 한가운데에 놓았다
MNIST_CENTER = 14.0  # MNIST 학습 세트의 무게중심(행, 열 번호)은 평균 (14.0, 14.0)이다
BORDER = 0.05       # 가장자리 띠의 두께: 짧은 변의 5% (적어도 1픽셀). 종이의 밝기는 여기서 잰다
INK_FRACTION = 0.3  # 숫자를 자를 때: 가장 진한 잉크의 30%보다 진한 픽셀을 숫자로 본다
MIN_CONTRAST = 0.1  # 종이보다 이만큼(0~1) 진한 곳이 없으면 숫자가 없는 그림으로 본다
MAX_SIDE = 1000     # 이보다 긴 사진은 먼저 정수 배로 줄인다 (계산이 빨라지고 28×28 결과는 거의 같다)


def _border_ring(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """그림의 가장자리 띠(두께는 짧은 변의 5%, 적어도 1픽셀)에 있는 픽셀의 (행 번호, 열 번호)."""
    k = max(1, round(BORDER * min(height, width)))
    rows, cols = np.arange(height), np.arange(width)
    inner = rows[k:height - k]
    strips = [(rows[:k], cols), (rows[height - k:], cols), (inner, cols[:k]), (inner, cols[width - k:])]
    grids = [np.meshgrid(r, c, indexing="ij") for r, c in strips]
    return (np.concatenate([g[0].ravel() for g in grids]), np.concatenate([g[1].ravel() for g in grids]))


def _paper_level(a: np.ndarray, ring: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, float]:
    """가장자리 띠의 밝기로 어림한 바탕의 밝기 (그림 전체, 한쪽이 더 밝은 기울기까지)와 그 둘레의 잡음 크기.

    가장자리 픽셀에 평면 ``c + b·x + a·y``를 맞춘다(최소 제곱). 숫자가 가장자리에 닿아도 흔들리지 않도록
    한 번 맞춘 뒤 평면에서 많이 벗어난 픽셀을 빼고 다시 맞춘다. 빠르게 하려고 띠의 픽셀을 4,000개쯤만 고르게 뽑아 쓴다.
    """
    height, width = a.shape
    step = max(1, len(ring[0]) // 4000)
    yy, xx = ring[0][::step], ring[1][::step]
    design = np.column_stack([np.ones(len(yy)), xx / width, yy / height])
    values = a[yy, xx].astype(np.float64)
    keep = np.ones(len(values), dtype=bool)
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        residual = values - design @ coef
        spread = 1.4826 * float(np.median(np.abs(residual - np.median(residual)))) + 1e-3
        keep = np.abs(residual) < 3 * spread
    plane = (coef[0] + coef[1] * np.arange(width, dtype=np.float32)[None, :] / width
             + coef[2] * np.arange(height, dtype=np.float32)[:, None] / height)
    return plane.astype(np.float32), spread


def center_of_mass(image: Any) -> tuple[float, float]:
    """흑백 그림(``[H, W]`` 또는 ``[1, H, W]``)의 무게중심 ``(행, 열)``: 밝기로 무게를 준 픽셀 번호의 평균."""
    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    if a.ndim != 2:
        raise ValueError(f"흑백 그림 [H, W] 또는 [1, H, W]를 주세요 (받은 모양 {list(a.shape)}).")
    total = a.sum()
    if total <= 0:
        raise ValueError("밝은 픽셀이 하나도 없어 무게중심이 없습니다.")
    return (float(a.sum(axis=1) @ np.arange(a.shape[0]) / total),
            float(a.sum(axis=0) @ np.arange(a.shape[1]) / total))


def prepare_digit(
    image: str | Path | Image.Image, *, invert: bool | str = "auto", return_steps: bool = False
) -> torch.Tensor | tuple[torch.Tensor, dict[str, Any]]:
    """사진이나 그림 파일 하나를 MNIST처럼 만든다: float32 ``[1, 28, 28]``, 0~1, 검은 바탕에 흰 숫자.

    MNIST를 만든 순서를 따른다(정규화는 하지 않는다: 모델에 넣기 전에 학습 때의 ``Normalize``를 쓴다).

    1. **흑백**: 한 채널로 바꾼다. 투명한 바탕은 먼저 흰색으로 채우고, 휴대폰 사진은 EXIF대로 세운다.
    2. **반전**: MNIST는 검은 바탕에 흰 숫자다. 가장자리 띠 픽셀의 중앙값이 0.5보다 밝으면(흰 종이)
       색을 뒤집는다(``1 - x``). 숫자가 크면 그림 전체의 평균은 속기 쉬우므로 가장자리를 본다.
       ``invert=True``/``False``로 언제나 뒤집거나 뒤집지 않게 할 수 있다.
    3. **배경 빼기**: 가장자리 띠로 종이의 밝기(조명 때문에 한쪽이 더 어두운 것까지)를 어림해 빼고,
       종이의 잡음보다 작은 값은 0으로, 가장 진한 잉크는 1로 늘린다.
    4. **자르기**: 가장 진한 잉크의 30%보다 진한 픽셀을 모두 담는 가장 작은 사각형으로 자른다.
    5. **20×20**: 비율을 지키며 긴 변을 20픽셀로 줄인다(LANCZOS).
    6. **28×28 중심 맞춤**: 28×28 검은 그림에 놓고, 무게중심(밝기로 무게를 준 평균 위치)이 MNIST처럼
       (14, 14)에 오도록 정수 픽셀만큼 옮긴다. 숫자가 그림 밖으로 나가게 되면 그만큼 덜 옮긴다.

    ``image``: 파일 경로 또는 PIL 그림. ``return_steps=True``이면 ``(x, steps)``를 돌려준다. ``steps``는
    단계 이름 → 그 단계의 그림(NumPy 배열, 원본만 0~255 RGB, 나머지는 0~1 흑백)인 딕셔너리이고,
    ``show_preprocessing(steps)``로 그릴 수 있다. 바탕이 어두워 뒤집지 않았으면 ``"반전"`` 대신
    ``"반전 안 함"`` 단계가 들어간다. 종이보다 눈에 띄게 진한 곳이 없으면 ``ImageInputError``를 낸다.
    """
    if invert not in ("auto", True, False):
        raise ValueError(f"invert는 'auto', True, False 가운데 하나여야 합니다 (받은 값: {invert!r}).")
    source = image if isinstance(image, Image.Image) else open_image(image)
    name = str(image) if isinstance(image, (str, Path)) else "그림"
    source = ImageOps.exif_transpose(source)  # 휴대폰 사진은 EXIF의 회전 정보대로 세운다
    gray = to_grayscale(source)
    if max(gray.size) > MAX_SIDE:  # 휴대폰 사진은 크다: 긴 변을 1,000픽셀 안으로 줄여도 28×28 결과는 거의 같다
        gray = gray.reduce(-(-max(gray.size) // MAX_SIDE))
    gray = np.asarray(gray, dtype=np.float32) / 255
    height, width = gray.shape
    if height < 2 or width < 2:
        raise ImageInputError(f"{name}의 크기가 {width}×{height}입니다. 숫자 하나가 보이는 그림을 주세요.")
    ring = _border_ring(height, width)

    if invert == "auto":
        invert = bool(np.median(gray[ring]) > 0.5)  # 가장자리 띠의 중앙값
    ink = 1 - gray if invert else gray

    paper, noise = _paper_level(ink, ring)
    cleaned = ink - paper - 3 * noise  # 종이와 그 잡음은 0 밑으로
    peak = float(cleaned.max())
    if peak < MIN_CONTRAST:
        colour = "흰 종이에 검은" if invert else "검은 바탕에 흰"
        raise ImageInputError(
            f"{name}에서 숫자를 찾지 못했습니다: 바탕보다 눈에 띄게 {'어두운' if invert else '밝은'} 곳이 없습니다. "
            f"{colour} 숫자가 잘 보이게 찍은(그린) 그림을 주세요. 빈 종이나 너무 흐린 사진이 아닌지 확인하세요."
        )
    core = cleaned[cleaned > 0.5 * peak]
    cleaned = np.clip(cleaned / np.percentile(core, 90), 0, 1)  # 마커의 가운데(가장 진한 잉크)가 1이 되게

    rows = np.nonzero((cleaned > INK_FRACTION).any(axis=1))[0]
    cols = np.nonzero((cleaned > INK_FRACTION).any(axis=0))[0]
    crop = cleaned[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]

    h, w = crop.shape
    scale = MNIST_BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32)).resize(
        (new_w, new_h), Image.Resampling.LANCZOS
    )
    small = np.clip(np.asarray(small, dtype=np.float32), 0, 1)  # LANCZOS는 가장자리에서 0~1을 조금 넘는다

    top, left = (MNIST_SIZE - new_h) // 2, (MNIST_SIZE - new_w) // 2   # 먼저 한가운데에 놓고
    if small.sum() > 0:
        cy, cx = center_of_mass(small)                                  # 무게중심이 (14, 14)에 오도록 옮긴다
        top = min(max(top + round(MNIST_CENTER - (top + cy)), 0), MNIST_SIZE - new_h)
        left = min(max(left + round(MNIST_CENTER - (left + cx)), 0), MNIST_SIZE - new_w)
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    canvas[top:top + new_h, left:left + new_w] = small
    x = torch.from_numpy(canvas).unsqueeze(0)
    if not return_steps:
        return x
    steps = {
        "원본": np.asarray(_on_white(source).convert("RGB")),
        "흑백": gray,
        ("반전" if invert else "반전 안 함"): ink,
        "배경 빼기": cleaned,
        "자르기": crop,
        "20×20": small,
        "28×28 중심 맞춤": canvas,
    }
    return x, steps


def show_preprocessing(steps: dict[str, Any], size: float = 1.9):
    """``prepare_digit(..., return_steps=True)``의 단계들을 한 줄로 그린다. 그림(``Figure``)을 돌려준다.

    칸마다 단계 이름과 그 그림의 크기(가로×세로)를 적는다. 흑백 단계는 0(검정)~1(흰색)로 그리고,
    작은 그림(28×28 이하)은 픽셀이 보이게 그린다. 마지막 칸에는 무게중심(빨간 +)을 표시한다.
    """
    import matplotlib.pyplot as plt

    if not steps:
        raise ValueError("그릴 단계가 없습니다. prepare_digit(..., return_steps=True)가 돌려준 steps를 주세요.")
    fig, axes = plt.subplots(1, len(steps), figsize=(size * len(steps), size + 0.7), squeeze=False)
    for i, (ax, (name, picture)) in enumerate(zip(axes[0], steps.items())):
        picture = np.asarray(picture)
        small = max(picture.shape[:2]) <= MNIST_SIZE
        options = {"interpolation": "nearest" if small else "antialiased"}
        if picture.ndim == 2:
            options.update(cmap="gray", vmin=0, vmax=1)
        ax.imshow(picture, **options)
        ax.set_title(f"{i + 1}. {name}\n{picture.shape[1]}×{picture.shape[0]}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():  # 흰 종이도 테두리가 보이게
            spine.set_visible(True)
            spine.set_color("0.6")
    last = np.asarray(list(steps.values())[-1])
    if last.ndim == 2 and last.sum() > 0:
        cy, cx = center_of_mass(last)
        axes[0][-1].plot([cx], [cy], "+", color="red", markersize=12, markeredgewidth=2)
    fig.tight_layout()
    return fig


def load_digit_image(
    path: str | Path | Image.Image, mean: float, std: float, *, invert: bool | str = "auto"
) -> torch.Tensor:
    """그림 파일을 7장의 모델 입력 ``[1, 1, 28, 28]`` (float32, 정규화)으로 만든다.

    ``prepare_digit``으로 MNIST처럼 만든 뒤(흑백, 바탕이 밝으면 반전, 배경 빼기, 숫자만 잘라 20×20에
    맞추고 28×28 가운데에 무게중심 맞추기) 학습 때의 ``Normalize((mean,), (std,))``를 쓴다.
    ``invert``는 ``prepare_digit``과 같다(``"auto"``, ``True``, ``False``).
    """
    from torchvision import transforms

    x = prepare_digit(path, invert=invert)
    return transforms.Normalize((mean,), (std,))(x).unsqueeze(0)


def _shape(x: torch.Tensor) -> str:
    return "[" + ", ".join(str(d) for d in x.shape) + "]"


def check_model_input(x: Any, channels: int = 1, size: tuple[int, int] = (28, 28)) -> None:
    """``x``가 모델 입력 ``[N, channels, H, W]`` (float32)인지 본다. 아니면 고치는 법을 담은 오류를 낸다."""
    want = f"[N, {channels}, {size[0]}, {size[1]}]"
    if not isinstance(x, torch.Tensor):
        hint = "torch.from_numpy(x)로 바꾸세요" if type(x).__module__ == "numpy" else "torch.tensor(x)로 만드세요"
        raise TypeError(f"모델 입력은 torch.Tensor여야 합니다 (받은 것: {type(x).__name__}). {hint}.")
    if x.dtype == torch.uint8:
        raise TypeError(
            "모델 입력이 uint8(0~255)입니다. 학습 때처럼 255로 나눈 float32로 바꾸세요: x.float().div(255) "
            "(그다음 학습 때의 평균·표준편차로 정규화)."
        )
    if x.dtype != torch.float32:
        raise TypeError(f"모델 입력의 자료형이 {x.dtype}입니다. 모델의 가중치와 같은 float32로 바꾸세요: x.float().")
    if x.dim() in (2, 3):
        fix = "x.unsqueeze(0).unsqueeze(0)" if x.dim() == 2 else "x.unsqueeze(0)"
        raise ValueError(f"모델 입력의 모양이 {_shape(x)}입니다. 배치 차원을 붙여 {want}로 만드세요: {fix}.")
    if x.dim() != 4:
        raise ValueError(f"모델 입력의 모양이 {_shape(x)}입니다. {want} 모양이어야 합니다.")
    if x.shape[0] == 0:
        raise ValueError(f"모델 입력이 비었습니다 (모양 {_shape(x)}). 이미지가 한 장 이상 있어야 합니다.")
    if x.shape[1] != channels:
        if x.shape[-1] == channels:
            fix = "채널이 마지막에 있습니다: x.permute(0, 3, 1, 2)"
        elif channels == 1 and x.shape[1] == 3:
            fix = "컬러 이미지입니다. 흑백으로 바꾸세요: x.mean(dim=1, keepdim=True) (PIL 그림이면 transforms.Grayscale())"
        else:
            fix = f"채널 수를 {channels}로 맞추세요"
        raise ValueError(f"모델 입력의 채널이 {x.shape[1]}개입니다 (모양 {_shape(x)}, 필요한 것 {want}). {fix}.")
    if tuple(x.shape[2:]) != tuple(size):
        raise ValueError(
            f"모델 입력의 크기가 {x.shape[2]}×{x.shape[3]}입니다. {size[0]}×{size[1]}로 줄이세요: "
            f"transforms.Resize(({size[0]}, {size[1]}), antialias=True) "
            f"(텐서라면 F.interpolate(x, size=({size[0]}, {size[1]}), mode='bilinear', antialias=True))."
        )


def predict_digit(
    model: torch.nn.Module, path_or_tensor: Any, mean: float, std: float, *, device: Any = None
) -> tuple[int, torch.Tensor]:
    """그림 한 장의 예측: (예측한 숫자, CPU에 둔 클래스별 확률 ``[10]``).

    경로(또는 PIL 그림)는 ``load_digit_image``로 모델 입력을 만든다(``prepare_digit``으로 MNIST처럼 바꾸고
    정규화). 텐서는 이미 모델 입력 ``[1, 1, 28, 28]``(정규화까지 마친 것)이어야 하고, 그때 ``mean``·``std``는
    쓰지 않는다.
    모델을 평가 모드(``model.eval()``)로 두고 ``torch.inference_mode()``에서 실행한다. 돌려준 뒤에도
    평가 모드 그대로다. ``device``를 주면 모델을 그 장치로 옮기고, 주지 않으면 모델이 있는 장치에서 실행한다.
    """
    if isinstance(path_or_tensor, (str, Path, Image.Image)):
        x = load_digit_image(path_or_tensor, mean, std)
    else:
        x = path_or_tensor
    check_model_input(x)
    if x.shape[0] != 1:
        raise ValueError(
            f"predict_digit은 한 장씩 예측합니다 (받은 모양 {_shape(x)}). 여러 장은 model(x).softmax(dim=1)로 한 번에 구하세요."
        )
    if device is not None:
        model.to(device)
    model.eval()
    with torch.inference_mode():
        logits = model(to_device(x, _device_of(model)))
    if logits.dim() != 2 or logits.shape[0] != 1:
        raise ValueError(f"모델의 출력 모양이 {_shape(logits)}입니다. 클래스마다 점수 하나인 [1, 클래스 수]여야 합니다.")
    probs = logits.softmax(dim=1)[0].float().cpu()
    return int(probs.argmax()), probs
