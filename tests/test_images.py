"""helpers.images의 단위 테스트: 독자의 그림 파일 → 7장의 모델 입력 → 예측."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn
from torchvision import transforms

import helpers
from helpers.images import ImageInputError, check_model_input, load_digit_image, predict_digit

MEAN, STD = 0.1307, 0.3081  # MNIST 학습 세트의 평균·표준편차 (7장은 데이터에서 구한다)


def draw_seven(background, ink, mode="RGB", size=280) -> Image.Image:
    """굵은 획의 숫자 7."""
    image = Image.new(mode, (size, size), background)
    draw = ImageDraw.Draw(image)
    draw.line([(60, 60), (220, 60), (120, 230)], fill=ink, width=28)
    return image


def save(image: Image.Image, tmp_path, name="digit.png"):
    path = tmp_path / name
    image.save(path)
    return path


def pixels(x: torch.Tensor) -> torch.Tensor:
    """정규화를 되돌린 0~1 픽셀 ``[28, 28]``."""
    return x[0, 0] * STD + MEAN


def chapter_transform(image: Image.Image) -> torch.Tensor:
    """7장의 셀이 지금 쓰는 전처리 그대로."""
    transform = transforms.Compose([
        transforms.Grayscale(),
        transforms.Resize((28, 28), antialias=True),
        transforms.ToTensor(),
        transforms.Normalize((MEAN,), (STD,)),
    ])
    return transform(image).unsqueeze(0)


# ---- 파일 열기 ----

def test_empty_file_is_a_korean_error(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageInputError, match="빈 파일") as info:
        load_digit_image(path, MEAN, STD)
    assert "PNG나 JPEG" in str(info.value)


def test_text_file_renamed_png_is_a_korean_error(tmp_path):
    path = tmp_path / "note.png"
    path.write_text("이건 그림이 아니다\n", encoding="utf-8")
    with pytest.raises(ImageInputError, match="그림 파일이 아닙니다") as info:
        load_digit_image(path, MEAN, STD)
    assert "PNG나 JPEG" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_file_is_a_korean_error(tmp_path):
    with pytest.raises(ImageInputError, match="파일이 없습니다"):
        load_digit_image(tmp_path / "no_such.png", MEAN, STD)


def test_directory_is_a_korean_error(tmp_path):
    with pytest.raises(ImageInputError, match="폴더"):
        load_digit_image(tmp_path, MEAN, STD)


def test_truncated_png_is_a_korean_error(tmp_path):
    whole = save(draw_seven(0, 255, mode="L"), tmp_path).read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImageInputError, match="읽지 못했습니다"):
        load_digit_image(path, MEAN, STD)


# ---- 색과 투명 ----

def test_black_strokes_on_transparent_background_are_not_blank(tmp_path):
    path = save(draw_seven((0, 0, 0, 0), (0, 0, 0, 255), mode="RGBA"), tmp_path)
    # 그냥 convert("L")는 알파를 버려서 온통 검은(빈) 입력이 된다: 이 테스트가 막으려는 일
    assert chapter_transform(Image.open(path)).std() < 1e-6
    x = load_digit_image(path, MEAN, STD)
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    p = pixels(x)
    assert p.std() > 0.2
    assert p[6, 14] > 0.8 and p[1, 1] < 0.05  # 가로획은 밝고(MNIST처럼 흰 글씨) 모서리는 검다


def test_grayscale_with_alpha_is_composited_on_white(tmp_path):
    path = save(draw_seven((0, 0), (0, 255), mode="LA"), tmp_path)
    p = pixels(load_digit_image(path, MEAN, STD))
    assert p[6, 14] > 0.8 and p[1, 1] < 0.05


def test_colour_image_becomes_one_channel(tmp_path):
    path = save(draw_seven((10, 20, 120), (255, 230, 40)), tmp_path)  # 짙은 파랑 바탕에 노란 글씨
    x = load_digit_image(path, MEAN, STD)
    assert x.shape == (1, 1, 28, 28)
    p = pixels(x)
    assert p[6, 14] > 0.7 and p[1, 1] < 0.2


def test_dark_on_white_is_inverted_automatically(tmp_path):
    on_black = load_digit_image(save(draw_seven(0, 255, mode="L"), tmp_path, "a.png"), MEAN, STD)
    on_white = load_digit_image(save(draw_seven(255, 0, mode="L"), tmp_path, "b.png"), MEAN, STD)
    # 줄일 때 uint8로 반올림하므로 픽셀 값이 1/255까지 다를 수 있다
    assert torch.allclose(pixels(on_white), pixels(on_black), atol=1.5 / 255)
    kept = load_digit_image(tmp_path / "b.png", MEAN, STD, invert=False)
    assert pixels(kept)[1, 1] > 0.95  # 뒤집지 않으면 바탕이 희다
    forced = load_digit_image(tmp_path / "a.png", MEAN, STD, invert=True)
    assert torch.allclose(pixels(forced), 1 - pixels(on_black), atol=1e-5)  # 언제나 뒤집는다


def test_invert_must_be_auto_true_or_false(tmp_path):
    path = save(draw_seven(0, 255, mode="L"), tmp_path)
    with pytest.raises(ValueError, match="invert"):
        load_digit_image(path, MEAN, STD, invert="yes")


def test_chapter_image_matches_the_chapter_transform_exactly():
    path = helpers.asset_path("handwritten_3.png")
    assert torch.equal(load_digit_image(path, MEAN, STD), chapter_transform(Image.open(path)))


def test_accepts_a_pil_image():
    image = Image.open(helpers.asset_path("handwritten_3.png"))
    assert torch.equal(load_digit_image(image, MEAN, STD), chapter_transform(image))


# ---- 모델 입력 검사 ----

@pytest.mark.parametrize(
    ("x", "error", "fix"),
    [
        (torch.zeros(1, 1, 28, 28, dtype=torch.uint8), TypeError, "x.float().div(255)"),
        (torch.zeros(1, 1, 28, 28, dtype=torch.float64), TypeError, "x.float()"),
        (torch.zeros(1, 28, 28), ValueError, "x.unsqueeze(0)"),
        (torch.zeros(28, 28), ValueError, "x.unsqueeze(0).unsqueeze(0)"),
        (torch.zeros(1, 3, 28, 28), ValueError, "흑백으로 바꾸세요"),
        (torch.zeros(1, 28, 28, 1), ValueError, "permute(0, 3, 1, 2)"),
        (torch.zeros(1, 1, 32, 32), ValueError, "28×28로 줄이세요"),
        (torch.zeros(0, 1, 28, 28), ValueError, "비었습니다"),
        (np.zeros((1, 1, 28, 28), dtype=np.float32), TypeError, "torch.from_numpy(x)"),
    ],
    ids=["uint8", "float64", "no-batch", "2d", "rgb", "channels-last", "32x32", "empty", "numpy"],
)
def test_check_model_input_names_the_fix(x, error, fix):
    with pytest.raises(error) as info:
        check_model_input(x)
    assert fix in str(info.value)
    assert "모델 입력" in str(info.value)


def test_check_model_input_accepts_the_right_input():
    assert check_model_input(torch.zeros(4, 1, 28, 28)) is None
    assert check_model_input(torch.zeros(2, 3, 32, 32), channels=3, size=(32, 32)) is None


# ---- 예측 ----

def tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


def test_predict_digit_from_a_path_leaves_eval_mode():
    model = tiny_model().train()
    pred, probs = predict_digit(model, helpers.asset_path("handwritten_3.png"), MEAN, STD)
    assert isinstance(pred, int) and 0 <= pred <= 9
    assert probs.shape == (10,) and probs.device.type == "cpu"
    assert abs(probs.sum().item() - 1) < 1e-5
    assert pred == int(probs.argmax())
    assert not model.training


def test_predict_digit_matches_the_chapter_cell():
    model = tiny_model()
    path = helpers.asset_path("handwritten_3.png")
    pred, probs = predict_digit(model, path, MEAN, STD)
    with torch.inference_mode():
        expected = model(chapter_transform(Image.open(path))).softmax(dim=1)[0]
    assert torch.equal(probs, expected) and pred == int(expected.argmax())


def test_predict_digit_from_a_tensor_and_its_errors():
    model = tiny_model()
    pred, probs = predict_digit(model, torch.zeros(1, 1, 28, 28), MEAN, STD)
    assert 0 <= pred <= 9 and abs(probs.sum().item() - 1) < 1e-5
    with pytest.raises(TypeError, match=r"x\.float\(\)\.div\(255\)"):
        predict_digit(model, torch.zeros(1, 1, 28, 28, dtype=torch.uint8), MEAN, STD)
    with pytest.raises(ValueError, match="한 장씩"):
        predict_digit(model, torch.zeros(2, 1, 28, 28), MEAN, STD)


def test_predict_digit_reports_a_bad_file(tmp_path):
    path = tmp_path / "note.png"
    path.write_text("not an image", encoding="utf-8")
    with pytest.raises(ImageInputError):
        predict_digit(tiny_model(), path, MEAN, STD)


def test_names_are_exported_from_helpers():
    for name in ("ImageInputError", "check_model_input", "load_digit_image", "predict_digit"):
        assert name in helpers.__all__ and getattr(helpers, name).__doc__


def test_phone_photo_is_turned_upright(tmp_path):
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).rectangle([(40, 20), (240, 60)], fill=0)  # 위쪽에 가로 막대
    exif = Image.Exif()
    exif[0x0112] = 3  # Orientation: 180° 돌려서 보여야 한다
    path = tmp_path / "photo.jpg"
    image.save(path, exif=exif, quality=95)
    p = pixels(load_digit_image(path, MEAN, STD))
    assert p[-4].mean() > 0.5 and p[3].mean() < 0.1  # 세우면 막대가 아래쪽
