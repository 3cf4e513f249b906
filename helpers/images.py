"""내 그림으로 예측하기: 7장에서 풀어 쓴 PNG → 모델 입력 → 예측.

7장은 검은 바탕에 흰 글씨로 그린 ``handwritten_3.png``를 28×28로 줄여 모델에 넣는다. 독자가 자기 그림을
넣으면 흔히 이런 일이 생긴다: 파일이 그림이 아니다, 투명한 바탕에 검은 글씨라서 흑백으로 바꾸면 온통 검다,
흰 종이에 검은 글씨라서 MNIST(검은 바탕에 흰 글씨)와 색이 반대다, 텐서의 자료형이나 모양이 다르다.
여기의 함수들은 그런 경우를 맞춰 주거나, 무엇을 고치면 되는지 한국어로 알려 준다.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from helpers.train import _device_of, to_device

__all__ = ["ImageInputError", "check_model_input", "load_digit_image", "predict_digit"]

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


def to_grayscale(image: Image.Image) -> Image.Image:
    """흑백 한 채널(``L``)로 바꾼다. 투명한 부분은 먼저 흰 바탕 위에 얹는다."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if has_alpha:
        # 그냥 convert("L")는 알파를 버린다: 투명한 바탕(보통 RGB가 검정)에 검은 글씨면 온통 검게 된다
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert("L")  # transforms.Grayscale()과 같은 변환


def load_digit_image(
    path: str | Path | Image.Image, mean: float, std: float, *, invert: bool | str = "auto"
) -> torch.Tensor:
    """그림 파일을 7장의 모델 입력 ``[1, 1, 28, 28]`` (float32, 정규화)으로 만든다.

    흑백으로 바꾸고(투명한 바탕은 흰색으로), ``Resize((28, 28), antialias=True)``로 줄인 뒤,
    ``ToTensor()``와 ``Normalize((mean,), (std,))``를 쓴다 — 7장의 전처리와 같다. 비율은 지키지 않으므로
    숫자가 가운데 오도록 정사각형에 가깝게 자른 그림이 좋다.
    ``invert``: MNIST는 검은 바탕에 흰 글씨다. ``"auto"``는 그림이 대체로 밝으면(흰 종이에 검은 글씨)
    색을 뒤집는다(``1 - x``). ``True``/``False``는 언제나 뒤집는다/뒤집지 않는다.
    """
    from torchvision import transforms

    if invert not in ("auto", True, False):
        raise ValueError(f"invert는 'auto', True, False 가운데 하나여야 합니다 (받은 값: {invert!r}).")
    image = path if isinstance(path, Image.Image) else open_image(path)
    gray = to_grayscale(ImageOps.exif_transpose(image))  # 휴대폰 사진은 EXIF의 회전 정보대로 세운다
    x = transforms.ToTensor()(transforms.Resize((28, 28), antialias=True)(gray))
    if invert == "auto":
        invert = transforms.ToTensor()(gray).mean().item() > 0.5
    if invert:
        x = 1 - x
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

    경로(또는 PIL 그림)는 ``load_digit_image``로 모델 입력을 만든다. 텐서는 이미 모델 입력
    ``[1, 1, 28, 28]``(정규화까지 마친 것)이어야 하고, 그때 ``mean``·``std``는 쓰지 않는다.
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
