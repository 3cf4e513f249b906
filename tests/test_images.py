"""helpers.images의 단위 테스트: 독자의 그림 파일 → MNIST처럼 전처리(7장) → 모델 입력 → 예측."""
from __future__ import annotations

import importlib.util
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn
from torchvision import transforms

import helpers
from helpers.images import (
    ImageInputError,
    center_of_mass,
    check_model_input,
    load_digit_image,
    predict_digit,
    prepare_digit,
    show_preprocessing,
)

MEAN, STD = 0.1307, 0.3081  # MNIST 학습 세트의 평균·표준편차 (7장은 데이터에서 구한다)
ROOT = Path(__file__).resolve().parent.parent
STEP_NAMES = ["원본", "흑백", "반전", "배경 빼기", "자르기", "20×20", "28×28 중심 맞춤"]


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


def correlation(a, b) -> float:
    """두 그림의 픽셀 상관계수 (1이면 밝기의 무늬가 같다)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def best_shift_correlation(x, original) -> float:
    """1픽셀까지 옮겨 본 가운데 가장 높은 상관계수: MNIST의 중심 맞춤도 0.5픽셀 안에서만 맞는다.

    획이 두세 픽셀로 가늘어서, 같은 숫자라도 한 픽셀 어긋나면 상관계수가 크게 떨어진다.
    """
    x = torch.as_tensor(np.asarray(x, dtype=np.float32)).squeeze()
    return max(correlation(torch.roll(x, (dy, dx), (0, 1)), original) for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def photo_like(digit: torch.Tensor, rng: np.random.Generator, *, light_paper: bool = True) -> Image.Image:
    """MNIST 숫자 ``[28, 28]`` (uint8, 검은 바탕에 흰 숫자)를 독자의 사진처럼 바꾼다.

    8~12배로 키워, 그보다 큰 가로로 긴 종이의 아무 곳에 놓고, 종이에는 한쪽으로 밝기가 바뀌는 조명과 잡음을
    준다. ``light_paper=True``이면 밝은 종이에 어두운 잉크(흔한 사진), ``False``이면 그 반대.
    """
    size = round(28 * rng.uniform(8, 12))
    ink = np.asarray(Image.fromarray(digit.numpy()).resize((size, size), Image.Resampling.BILINEAR), dtype=np.float32) / 255
    height, width = size + int(rng.integers(30, 120)), size + int(rng.integers(40, 240))
    top, left = int(rng.integers(5, height - size - 5)), int(rng.integers(5, width - size - 5))
    canvas = np.zeros((height, width), dtype=np.float32)
    canvas[top:top + size, left:left + size] = ink
    gy, gx = rng.uniform(-0.2, 0.2, 2)  # 위아래, 좌우로 밝기가 끝에서 끝까지 최대 0.2씩 바뀐다
    paper = (0.8 + gx * (np.arange(width, dtype=np.float32)[None, :] / width - 0.5)
             + gy * (np.arange(height, dtype=np.float32)[:, None] / height - 0.5))
    photo = paper - (paper - 0.12) * canvas  # 잉크의 가장 진한 곳은 0.12
    if not light_paper:
        photo = 1 - photo
    photo += 0.015 * rng.standard_normal(photo.shape, dtype=np.float32)
    return Image.fromarray(np.clip(photo * 255 + 0.5, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def mnist_test():
    return helpers.load_tensors("MNIST", train=False)


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
        prepare_digit(tmp_path / "no_such.png")


def test_directory_is_a_korean_error(tmp_path):
    with pytest.raises(ImageInputError, match="폴더"):
        load_digit_image(tmp_path, MEAN, STD)


def test_truncated_png_is_a_korean_error(tmp_path):
    whole = save(draw_seven(0, 255, mode="L"), tmp_path).read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImageInputError, match="읽지 못했습니다"):
        load_digit_image(path, MEAN, STD)


def test_blank_or_uniform_images_have_no_digit(tmp_path):
    for name, image in [
        ("white.png", Image.new("L", (120, 90), 255)),
        ("black.png", Image.new("L", (120, 90), 0)),
        ("beige.png", Image.new("RGB", (120, 90), (200, 190, 170))),
    ]:
        with pytest.raises(ImageInputError, match="숫자를 찾지 못했습니다") as info:
            prepare_digit(save(image, tmp_path, name))
        assert name in str(info.value) and "그림을 주세요" in str(info.value)
    # 조명 때문에 한쪽이 어두운 빈 종이(잡음까지)도 숫자가 아니다
    rng = np.random.default_rng(0)
    paper = 0.9 - 0.3 * np.linspace(0, 1, 160)[None, :] + 0.01 * rng.standard_normal((120, 160))
    with pytest.raises(ImageInputError, match="숫자를 찾지 못했습니다"):
        prepare_digit(Image.fromarray(np.uint8(np.clip(paper, 0, 1) * 255)))
    with pytest.raises(ImageInputError, match="숫자를 찾지 못했습니다"):
        predict_digit(tiny_model(), save(Image.new("L", (50, 50), 255), tmp_path, "w.png"), MEAN, STD)


# ---- 색과 투명 ----

def test_black_strokes_on_transparent_background_are_not_blank(tmp_path):
    path = save(draw_seven((0, 0, 0, 0), (0, 0, 0, 255), mode="RGBA"), tmp_path)
    # 그냥 convert("L")는 알파를 버려서 온통 검은(빈) 그림이 된다: 이 테스트가 막으려는 일
    assert np.asarray(Image.open(path).convert("L")).std() == 0
    x = load_digit_image(path, MEAN, STD)
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    on_white = load_digit_image(save(draw_seven(255, 0, mode="L"), tmp_path, "white.png"), MEAN, STD)
    assert torch.allclose(x, on_white, atol=1e-5)  # 흰 종이에 검은 글씨와 같다
    assert pixels(x).std() > 0.2


def test_grayscale_with_alpha_is_composited_on_white(tmp_path):
    x = load_digit_image(save(draw_seven((0, 0), (0, 255), mode="LA"), tmp_path), MEAN, STD)
    on_white = load_digit_image(save(draw_seven(255, 0, mode="L"), tmp_path, "white.png"), MEAN, STD)
    assert torch.allclose(x, on_white, atol=1e-5)


def test_colour_image_becomes_one_channel(tmp_path):
    path = save(draw_seven((10, 20, 120), (255, 230, 40)), tmp_path)  # 짙은 파랑 바탕에 노란 글씨
    x = load_digit_image(path, MEAN, STD)
    assert x.shape == (1, 1, 28, 28)
    white_on_black = load_digit_image(save(draw_seven(0, 255, mode="L"), tmp_path, "wb.png"), MEAN, STD)
    assert correlation(x, white_on_black) > 0.98


def test_dark_on_white_is_inverted_automatically(tmp_path):
    on_black, steps_black = prepare_digit(save(draw_seven(0, 255, mode="L"), tmp_path, "a.png"), return_steps=True)
    on_white, steps_white = prepare_digit(save(draw_seven(255, 0, mode="L"), tmp_path, "b.png"), return_steps=True)
    assert "반전 안 함" in steps_black and "반전" in steps_white
    assert torch.allclose(on_white, on_black, atol=1e-5)
    assert on_white[0, 0, 0] == 0 and on_white.max() == 1  # MNIST처럼: 바탕 0, 가장 진한 잉크 1


def test_background_is_judged_by_the_border_not_the_mean():
    """흰 종이를 거의 다 덮은 굵은 검은 숫자: 그림 전체의 평균은 어둡지만 가장자리는 희다."""
    image = Image.new("L", (200, 200), 235)
    ImageDraw.Draw(image).rectangle([(25, 20), (175, 180)], fill=20)
    assert np.asarray(image).mean() / 255 < 0.5
    x, steps = prepare_digit(image, return_steps=True)
    assert "반전" in steps
    assert x[0, 14, 14] == 1 and x[0, 0, 0] == 0


def test_invert_can_be_forced_or_turned_off(tmp_path):
    path = save(draw_seven(255, 0, mode="L"), tmp_path)
    # 흰 종이를 뒤집지 않으면 종이보다 밝은 곳이 없다: 숫자가 없다고 알려 준다
    with pytest.raises(ImageInputError, match="밝은 곳이 없습니다"):
        prepare_digit(path, invert=False)
    x, steps = prepare_digit(save(draw_seven(0, 255, mode="L"), tmp_path, "wb.png"), invert=False, return_steps=True)
    assert "반전 안 함" in steps and np.array_equal(steps["반전 안 함"], steps["흑백"])
    with pytest.raises(ImageInputError, match="어두운 곳이 없습니다"):
        prepare_digit(tmp_path / "wb.png", invert=True)  # 검은 바탕을 뒤집으면 흰 종이: 그 위에 어두운 곳이 없다


def test_invert_must_be_auto_true_or_false(tmp_path):
    path = save(draw_seven(0, 255, mode="L"), tmp_path)
    with pytest.raises(ValueError, match="invert"):
        load_digit_image(path, MEAN, STD, invert="yes")


def test_phone_photo_is_turned_upright(tmp_path):
    image = draw_seven(255, 0, mode="L")  # 7의 가로획은 위에 있다
    exif = Image.Exif()
    exif[0x0112] = 3  # Orientation: 180° 돌려서 보여야 한다
    path = tmp_path / "photo.jpg"
    image.save(path, exif=exif, quality=95)
    p = pixels(load_digit_image(path, MEAN, STD))
    rows = p.sum(dim=1)
    assert rows[14:].max() > 2 * rows[:14].max()  # 세우면 가로획이 아래쪽


# ---- MNIST처럼 만들기 ----

@pytest.mark.parametrize("light_paper", [True, False], ids=["dark-on-light", "light-on-dark"])
def test_photo_of_an_mnist_digit_comes_back(mnist_test, light_paper):
    images, _ = mnist_test
    rng = np.random.default_rng(1)
    for i in range(5):
        original = images[i].float() / 255
        x, steps = prepare_digit(photo_like(images[i], rng, light_paper=light_paper), return_steps=True)
        assert list(steps)[2] == ("반전" if light_paper else "반전 안 함")
        assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and x.min() == 0 and x.max() == 1
        cy, cx = center_of_mass(x)
        assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5  # 정수 픽셀만큼 옮기므로 0.5픽셀 안
        oy, ox = center_of_mass(original)
        assert abs(cy - oy) <= 1 and abs(cx - ox) <= 1  # 원래 MNIST 숫자의 무게중심과 1픽셀 안
        assert best_shift_correlation(x, original) > 0.9


def test_many_photo_like_mnist_digits(mnist_test):
    """MNIST 테스트 숫자 200장을 사진처럼 바꿨다가 되돌린다.

    잰 값(테스트 세트의 처음 500장, 시드 0, 밝은 종이·어두운 종이 반씩): 1픽셀까지 옮긴 상관계수는 가장 낮은 것 0.848,
    평균 0.976. 옮기지 않은 상관계수는 평균 0.933. 같은 사진을 그냥 28×28로 줄이면(색은 맞춰 뒤집어도) 평균 0.344.
    """
    images, _ = mnist_test
    rng = np.random.default_rng(0)
    scores, naive = [], []
    for i in range(200):
        photo = photo_like(images[i], rng, light_paper=i % 2 == 0)
        original = images[i].float() / 255
        x = prepare_digit(photo)[0]
        scores.append(best_shift_correlation(x, original))
        resized = np.asarray(photo.resize((28, 28), Image.Resampling.BILINEAR), dtype=np.float32) / 255
        naive.append(correlation(1 - resized if i % 2 == 0 else resized, original))
        cy, cx = center_of_mass(x)
        assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert min(scores) > 0.8, min(scores)
    assert np.mean(scores) > 0.95, np.mean(scores)
    assert np.mean(naive) < 0.5, np.mean(naive)


def test_an_mnist_digit_stays_the_same(mnist_test):
    """MNIST 숫자는 이미 MNIST처럼 생겼으므로 거의 그대로 돌아온다 (잰 값: 500장에서 가장 낮은 것 0.993)."""
    images, _ = mnist_test
    for i in range(20):
        x = prepare_digit(Image.fromarray(images[i].numpy()))
        assert best_shift_correlation(x, images[i].float() / 255) > 0.98


def test_digit_fits_a_20_pixel_box_and_is_never_cut():
    bar = Image.new("L", (300, 100), 255)
    ImageDraw.Draw(bar).line([(20, 50), (280, 50)], fill=0, width=12)  # 가로로 긴 막대
    for image in (draw_seven(255, 0, mode="L"), bar):
        x, steps = prepare_digit(image, return_steps=True)
        assert max(steps["20×20"].shape) == 20
        rows, cols = np.nonzero(x[0].numpy() > 0)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 <= 20
        assert abs(x.sum().item() - steps["20×20"].sum()) < 1e-3  # 옮기면서 잘려 나간 픽셀이 없다


def test_marker_photo_becomes_a_centred_digit():
    path = helpers.asset_path("marker_digit_7.jpg")
    image = Image.open(path)
    gray = np.asarray(image.convert("L"), dtype=np.float64) / 255
    # 독자의 사진 같은 그림: JPEG, 480×360, 흰 종이에 어두운 숫자가 가운데에서 벗어나 있고, 조명이 고르지 않다
    assert image.format == "JPEG" and image.size == (480, 360) and image.mode == "RGB"
    assert path.stat().st_size < 60 * 1024
    assert np.median(gray) > 0.6 and gray.min() < 0.3
    ink_y, ink_x = center_of_mass(gray < 0.5)
    assert ink_x - 240 > 60  # 숫자가 가운데에서 60픽셀 넘게 오른쪽에 있다
    assert gray[:40, :40].mean() - gray[-40:, -40:].mean() > 0.1  # 왼쪽 위가 오른쪽 아래보다 밝다
    x, steps = prepare_digit(path, return_steps=True)
    assert list(steps) == STEP_NAMES
    cy, cx = center_of_mass(x)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert steps["20×20"].shape[0] == 20  # 세로로 긴 숫자: 높이가 20픽셀
    rows, cols = np.nonzero(x[0].numpy() > 0)
    # 7은 무게중심이 위쪽(가로획)에 있어서 아래로 옮겨진다: MNIST 학습 세트의 7도 65%가 맨 아래 두 줄에 닿는다
    assert rows.min() >= 4 and cols.min() >= 4 and cols.max() <= 23
    assert abs(x.sum().item() - steps["20×20"].sum()) < 1e-3  # 잘려 나간 픽셀이 없다
    assert (x > 0.5).sum() > 30  # 획이 끊기지 않고 굵다


def test_marker_photo_is_made_by_the_tool():
    """자산 그림은 tools/make_marker_digit.py가 만든 것이다 (JPEG로 저장하며 달라진 만큼만 다르다)."""
    spec = importlib.util.spec_from_file_location("make_marker_digit", ROOT / "tools" / "make_marker_digit.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    made = np.asarray(tool.make(), dtype=np.float64)
    stored = np.asarray(Image.open(helpers.asset_path("marker_digit_7.jpg")), dtype=np.float64)
    assert np.abs(made - stored).mean() < 2


def test_show_preprocessing_draws_every_step():
    _, steps = prepare_digit(helpers.asset_path("marker_digit_7.jpg"), return_steps=True)
    fig = show_preprocessing(steps)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "1. 원본\n480×360" and titles[-1] == "7. 28×28 중심 맞춤\n28×28"
    assert len(titles) == len(STEP_NAMES)
    plt.close(fig)
    with pytest.raises(ValueError, match="단계"):
        show_preprocessing({})


def test_every_asset_is_installed_with_the_package():
    """helpers/assets의 파일은 모두 pyproject.toml의 package-data에 들어 있어야 pip install로 함께 온다."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["helpers"]
    for path in (ROOT / "helpers" / "assets").iterdir():
        assert any(fnmatch(f"assets/{path.name}", pattern) for pattern in patterns), path.name


def test_chapter_png_is_already_mnist_like():
    """검은 바탕 가운데에 흰 숫자인 그림은 뒤집지 않고, 숫자만 20×20에 맞춘다."""
    path = helpers.asset_path("handwritten_3.png")
    x, steps = prepare_digit(path, return_steps=True)
    assert "반전 안 함" in steps
    resized = transforms.ToTensor()(transforms.Resize((28, 28), antialias=True)(Image.open(path)))
    assert correlation(x, resized) > 0.7


def test_accepts_a_pil_image():
    path = helpers.asset_path("marker_digit_7.jpg")
    assert torch.equal(load_digit_image(Image.open(path), MEAN, STD), load_digit_image(path, MEAN, STD))


def test_load_digit_image_is_prepare_digit_then_normalize():
    path = helpers.asset_path("marker_digit_7.jpg")
    x = load_digit_image(path, MEAN, STD)
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    assert torch.allclose(pixels(x), prepare_digit(path)[0], atol=1e-6)


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
    pred, probs = predict_digit(model, helpers.asset_path("marker_digit_7.jpg"), MEAN, STD)
    assert isinstance(pred, int) and 0 <= pred <= 9
    assert probs.shape == (10,) and probs.device.type == "cpu"
    assert abs(probs.sum().item() - 1) < 1e-5
    assert pred == int(probs.argmax())
    assert not model.training


def test_predict_digit_uses_the_mnist_style_input():
    model = tiny_model()
    path = helpers.asset_path("marker_digit_7.jpg")
    pred, probs = predict_digit(model, path, MEAN, STD)
    x = transforms.Normalize((MEAN,), (STD,))(prepare_digit(path)).unsqueeze(0)
    with torch.inference_mode():
        expected = model(x).softmax(dim=1)[0]
    assert torch.allclose(probs, expected) and pred == int(expected.argmax())


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
    for name in ("ImageInputError", "check_model_input", "load_digit_image", "predict_digit", "prepare_digit",
                 "show_preprocessing"):
        assert name in helpers.__all__ and getattr(helpers, name).__doc__
