"""helpers.plots의 단위 테스트: 한글이 글꼴로 그려지는지, 기록 그림의 모양."""
from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.plots import plot_history, setup_style, show_images  # noqa: E402
from helpers.train import History  # noqa: E402


def fake_history() -> History:
    return History(
        train_loss=[0.9, 0.6, 0.5, 0.45],
        train_acc=[70.0, 80.0, 84.0, 86.0],
        val_loss=[0.7, 0.55, 0.56, 0.6],
        val_acc=[75.0, 82.0, 81.5, 81.0],
        seconds=[1.0, 1.0, 1.0, 1.0],
        best_epoch=2,
    )


def render_png(fig) -> bytes:
    """경고를 오류로 바꿔 그린다: 글꼴에 없는 글자(네모)가 있으면 'Glyph missing' 경고로 실패한다."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png")
    return buf.getvalue()


def test_korean_font_is_set():
    setup_style()
    assert "NanumGothic" in matplotlib.rcParams["font.family"] or "NanumGothic" in str(
        matplotlib.rcParams.get("font.sans-serif")
    )
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_plot_history_two_panels_with_korean_labels():
    fig = plot_history(fake_history(), title="학습 기록")
    try:
        ax_loss, ax_acc = fig.axes
        assert ax_loss.get_title() == "손실" and ax_acc.get_title() == "정확도"
        assert ax_loss.get_xlabel() == ax_acc.get_xlabel() == "에폭"
        assert ax_acc.get_ylabel() == "정확도 (%)"
        labels = [t.get_text() for t in ax_acc.get_legend().get_texts()]
        assert labels == ["학습 정확도", "검증 정확도", "가장 좋은 에폭 (2)"]
        lines = [line for line in ax_loss.get_lines() if line.get_label() == "검증 손실"]
        assert list(lines[0].get_xdata()) == [1, 2, 3, 4]
        assert list(lines[0].get_ydata()) == [0.7, 0.55, 0.56, 0.6]
        assert fig.get_suptitle() == "학습 기록"
        assert render_png(fig).startswith(b"\x89PNG")
    finally:
        plt.close(fig)


def test_plot_history_accepts_dict_and_finds_best():
    d = fake_history().as_dict()
    d["best_epoch"] = None
    fig = plot_history(d)
    try:
        best = [line for line in fig.axes[1].get_lines() if line.get_label().startswith("가장 좋은")]
        assert best[0].get_label() == "가장 좋은 에폭 (2)"
    finally:
        plt.close(fig)
    fig = plot_history(d, mark_best=False)
    try:
        assert len(fig.axes[0].get_lines()) == 2
    finally:
        plt.close(fig)


def test_plot_history_rejects_empty():
    with pytest.raises(ValueError):
        plot_history(History())


def test_show_images_still_works():
    images = torch.rand(5, 1, 28, 28)
    fig = show_images(images, titles=["티셔츠", "바지", "풀오버", "드레스", "코트"], ncols=3, suptitle="예시")
    try:
        assert len(fig.axes) == 6
        assert render_png(fig).startswith(b"\x89PNG")
    finally:
        plt.close(fig)


def test_korean_font_without_distutils():
    """Python 3.12+(Colab의 3.13)에는 distutils가 없다: helpers는 그것 없이 한글 글꼴을 등록해야 한다."""
    import subprocess
    import sys

    code = (
        "import sys, io, warnings\n"
        "sys.modules['distutils'] = None  # 'import distutils'가 실패하게 한다 (3.12+와 같은 상황)\n"
        "sys.modules['setuptools'] = None\n"
        "import matplotlib; matplotlib.use('Agg')\n"
        "import helpers, matplotlib.pyplot as plt\n"
        "assert 'koreanize_matplotlib' not in sys.modules, '글꼴 패키지의 코드를 불러왔다'\n"
        "fig, ax = plt.subplots(); ax.set_title('한글 제목'); ax.plot([-1, 1], [-1, 1])\n"
        "warnings.simplefilter('error'); fig.savefig(io.BytesIO(), format='png')\n"
        "print(matplotlib.rcParams['font.family'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "NanumGothic" in result.stdout


def shown(fig) -> list:
    """그림의 각 칸에 그려진 배열 (빈 칸은 건너뛴다)."""
    return [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]


def test_show_images_gray_batches_look_as_before():
    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)  # 4장의 장처럼 uint8 [N, H, W]
    for batch in (images, images.unsqueeze(1)):
        fig = show_images(batch, titles=["a", "b", "c"], ncols=8)
        try:
            arrays = shown(fig)
            assert len(arrays) == 3 and all(a.shape == (28, 28) for a in arrays)
            assert (arrays[1] == images[1].numpy()).all()
            assert tuple(fig.get_size_inches()) == pytest.approx((1.3 * 3, 1.3 + 0.4))
        finally:
            plt.close(fig)


def test_show_images_three_dim_is_always_a_gray_batch():
    fig = show_images(torch.rand(3, 5, 5))  # 첫 축이 3이어도 흑백 3장 (6장의 커널 그림처럼)
    try:
        assert [a.shape for a in shown(fig)] == [(5, 5)] * 3
    finally:
        plt.close(fig)


def test_show_images_rgb_batch_is_drawn_in_colour():
    images = torch.zeros(2, 3, 8, 8)
    images[:, 0] = 1.0  # 빨강
    fig = show_images(images, titles=["빨강", "빨강"])
    try:
        arrays = shown(fig)
        assert [a.shape for a in arrays] == [(8, 8, 3)] * 2
        assert (arrays[0][..., 0] == 1).all() and (arrays[0][..., 1:] == 0).all()
        assert render_png(fig).startswith(b"\x89PNG")
    finally:
        plt.close(fig)


def test_show_images_normalized_rgb_draws_without_clipping_warning():
    fig = show_images(torch.randn(2, 3, 8, 8) * 2)  # 정규화한 컬러 이미지: 0~1 밖의 값
    try:
        assert render_png(fig).startswith(b"\x89PNG")
        assert all(0 <= a.min() and a.max() <= 1 for a in shown(fig))
    finally:
        plt.close(fig)


def test_show_images_single_image():
    fig = show_images(torch.rand(28, 28), titles=["한 장"])
    try:
        assert len(fig.axes) == 1 and shown(fig)[0].shape == (28, 28)
        assert fig.axes[0].get_title() == "한 장"
    finally:
        plt.close(fig)


def test_show_images_numpy_array():
    fig = show_images(np.random.rand(2, 1, 28, 28), titles=["가", "나"])
    try:
        assert [a.shape for a in shown(fig)] == [(28, 28)] * 2
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    ("images", "kwargs", "error", "message"),
    [
        (torch.zeros(0, 28, 28), {}, ValueError, "그릴 이미지가 없습니다"),
        (torch.zeros(3, 28, 28), {"titles": ["a", "b"]}, ValueError, "제목이 2개인데 이미지는 3장"),
        (torch.zeros(2, 28, 28), {"titles": ["a", "b", "c"]}, ValueError, "제목이 3개인데 이미지는 2장"),
        (torch.zeros(2, 28, 28), {"titles": "예시"}, TypeError, "suptitle="),
        (torch.zeros(2, 2, 28, 28), {}, ValueError, "1개(흑백)나 3개(RGB)"),
        (torch.zeros(2, 4, 28, 28), {}, ValueError, "1개(흑백)나 3개(RGB)"),
        (torch.zeros(2, 28, 28, 3), {}, ValueError, "permute(0, 3, 1, 2)"),
        (torch.zeros(28), {}, ValueError, "[H, W], [N, H, W]"),
        (torch.zeros(2, 28, 28), {"ncols": 0}, ValueError, "ncols는 1 이상"),
        ("images.png", {}, TypeError, "텐서나 NumPy 배열"),
    ],
    ids=["empty", "fewer-titles", "more-titles", "str-title", "2ch", "4ch", "channels-last", "1d", "ncols0", "str"],
)
def test_show_images_rejects_with_korean_message(images, kwargs, error, message):
    before = plt.get_fignums()
    with pytest.raises(error) as info:
        show_images(images, **kwargs)
    assert message in str(info.value)
    assert plt.get_fignums() == before  # 오류를 내기 전에 빈 그림을 만들어 두지 않는다
