"""7장의 '내 사진' 그림 ``helpers/assets/marker_digit_7.jpg``를 만든다.

    python tools/make_marker_digit.py              # helpers/assets/marker_digit_7.jpg를 다시 만든다
    python tools/make_marker_digit.py --out a.jpg  # 다른 곳에

이 책에는 카메라가 없으므로, 독자가 흰 종이에 굵은 마커로 숫자 7을 쓰고 휴대폰으로 찍은 사진처럼 보이는 그림을
프로그램으로 그린다. 글꼴의 글자를 찍지 않고, 손이 지나간 길을 흉내 낸다:

1. 획: 손으로 고른 점 몇 개(위 가로획, 꺾이는 곳, 아래로 내려오는 획)를 시드를 준 난수로 조금씩 흔들고,
   Catmull-Rom 곡선으로 잇는다. 곡선을 따라 원을 촘촘히 찍어 끝이 둥근 획을 만들고, 원의 반지름을
   천천히 바꿔 마커를 누르는 힘처럼 굵기가 달라지게 한다. 잉크의 진하기도 조금씩 다르다.
2. 매끄러운 가장자리: 네 배 크게 그린 뒤 LANCZOS로 줄인다.
3. 종이: 살짝 누런 흰색에 조명의 기울기(오른쪽 아래로 갈수록 어둡다), 한쪽 구석의 부드러운 그림자,
   종이 결(흐린 잡음)과 센서 잡음.
4. 480×360, 숫자는 가운데가 아니라 오른쪽으로 치우쳐 있다. 조금 흐리게 한 뒤 JPEG 품질 85로 저장한다.

난수는 모두 ``SEED``로 정해지므로 같은 Pillow(같은 libjpeg)에서는 언제나 같은 파일이 나온다.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "helpers" / "assets" / "marker_digit_7.jpg"

SEED = 7
WIDTH, HEIGHT = 480, 360   # 저장할 크기 (휴대폰 사진을 줄인 것쯤)
SCALE = 4                  # 이만큼 크게 그린 뒤 줄인다: 가장자리가 매끄러워진다
QUALITY = 85               # JPEG 품질

# 숫자 7을 쓰는 손의 길 (저장할 그림의 픽셀 좌표). 왼쪽에서 살짝 올라가며 가로획을 긋고,
# 오른쪽 끝에서 꺾어 왼쪽 아래로 조금 휘며 내려온다.
STROKE = [
    (268, 97), (281, 88), (310, 86), (342, 84), (372, 80), (393, 79),   # 가로획
    (391, 92), (378, 122), (363, 158), (349, 196), (338, 236), (331, 272), (328, 296),  # 내려오는 획
]
JITTER = 2.5               # 점마다 흔드는 정도 (픽셀, 표준편차)
PEN_WIDTH = 25.0           # 마커 굵기의 평균 (픽셀)
INK = np.array([34, 36, 50], dtype=np.float64)        # 검푸른 마커 잉크
PAPER = np.array([238, 234, 224], dtype=np.float64)   # 살짝 누런 종이


def catmull_rom(points: np.ndarray, samples_per_segment: int = 60) -> np.ndarray:
    """점들을 지나는 매끄러운 곡선 (중심 Catmull-Rom). 끝점은 한 번 더 세워 곡선이 끝점에서 멈추게 한다."""
    p = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, samples_per_segment, endpoint=False)[:, None]
    curve = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        curve.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                            + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    curve.append(p[-2:-1])
    return np.vstack(curve)


def gaussian_blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """2차원 배열의 가우스 흐림 (가로, 세로 차례로; 가장자리는 거울처럼 접는다)."""
    radius = max(1, int(3 * sigma))
    x = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    kernel /= kernel.sum()
    for axis in (0, 1):
        padded = np.pad(a, [(radius, radius) if ax == axis else (0, 0) for ax in (0, 1)], mode="reflect")
        a = np.apply_along_axis(lambda line: np.convolve(line, kernel, mode="valid"), axis, padded)
    return a


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], blur: float) -> np.ndarray:
    """흐린 잡음: 평균 0, 표준편차 1로 맞춘 낮은 주파수의 얼룩."""
    smooth = gaussian_blur(rng.normal(0, 1, shape), blur)
    return (smooth - smooth.mean()) / (smooth.std() + 1e-12)


def ink_coverage(rng: np.random.Generator) -> np.ndarray:
    """획이 덮은 정도 (0~1, 저장할 크기). 크게 그려서 줄인다."""
    points = np.array(STROKE, dtype=np.float64) + rng.normal(0, JITTER, (len(STROKE), 2))
    path = catmull_rom(points) * SCALE
    n = len(path)
    s = np.linspace(0, 1, n)
    # 굵기: 천천히 바뀌는 누르는 힘 + 시작에서 조금 가늘고, 끝에서 힘을 빼며 가늘어진다
    pressure = 1 + 0.08 * np.sin(2 * np.pi * (1.3 * s + rng.uniform())) + 0.05 * np.sin(2 * np.pi * (3.1 * s + rng.uniform()))
    taper = np.minimum(1, 0.8 + 0.2 * s / 0.04) * np.minimum(1, 0.75 + 0.25 * (1 - s) / 0.08)
    radius = 0.5 * PEN_WIDTH * SCALE * pressure * taper
    big = Image.new("L", (WIDTH * SCALE, HEIGHT * SCALE), 0)
    draw = ImageDraw.Draw(big)
    for (x, y), r in zip(path, radius):   # 원을 촘촘히 찍으면 끝이 둥근 획이 된다
        draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    small = big.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(small, dtype=np.float64) / 255, 0, 1)


def paper(rng: np.random.Generator) -> np.ndarray:
    """조명이 고르지 않은 종이 (RGB, 0~255 실수)."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    u, v = xx / WIDTH, yy / HEIGHT
    light = 1.0 - 0.16 * u - 0.10 * v                              # 창이 왼쪽 위에 있다
    light -= 0.10 * ((u - 0.5) ** 2 + (v - 0.5) ** 2)               # 렌즈 가장자리가 어둡다
    shadow = np.exp(-(((u - 0.02) / 0.28) ** 2 + ((v - 1.05) / 0.35) ** 2))
    light -= 0.12 * shadow                                          # 왼쪽 아래: 손이나 휴대폰의 그림자
    light += 0.012 * smooth_noise(rng, (HEIGHT, WIDTH), 18)         # 종이의 얼룩
    return PAPER[None, None, :] * light[:, :, None]


def make(seed: int = SEED) -> Image.Image:
    """사진처럼 보이는 마커 숫자 7 (RGB, 480×360)."""
    rng = np.random.default_rng(seed)
    coverage = ink_coverage(rng)
    opacity = 0.93 + 0.03 * smooth_noise(rng, (HEIGHT, WIDTH), 6)   # 잉크가 고르게 묻지 않는다
    alpha = (coverage * opacity)[:, :, None]
    rgb = paper(rng) * (1 - alpha) + INK[None, None, :] * alpha
    rgb += 0.8 * smooth_noise(rng, (HEIGHT, WIDTH), 1.2)[:, :, None]   # 종이 결
    rgb += rng.normal(0, 1.6, (HEIGHT, WIDTH, 1)) + rng.normal(0, 0.8, rgb.shape)   # 센서 잡음
    image = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), mode="RGB")
    return image.filter(ImageFilter.GaussianBlur(0.7))              # 초점이 살짝 어긋났다


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"저장할 경로 (기본: {OUT.relative_to(ROOT)})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"난수 시드 (기본: {SEED})")
    args = parser.parse_args(argv)
    make(args.seed).save(args.out, quality=QUALITY, optimize=True)
    print(f"{args.out}: {args.out.stat().st_size / 1024:.1f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
