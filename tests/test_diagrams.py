"""helpers.diagrams의 단위 테스트: 그림마다 적힌 글자(모양, 개수, 식의 숫자)와, 그림이 쓴 값이 torch와 같은지."""
from __future__ import annotations

import inspect
import io
import os
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from torch import nn  # noqa: E402

from helpers import diagrams  # noqa: E402


def drawn(fig) -> str:
    """그림을 그려 보고(글꼴에 없는 글자가 있으면 'Glyph missing' 경고로 실패) 그림의 글자를 모두 한 줄로."""
    assert isinstance(fig, Figure)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(io.BytesIO(), format="png")
    width, height = fig.get_size_inches()
    assert width <= 8.0 + 1e-6 and height <= 4.1, (width, height)
    texts = " | ".join(t.get_text() for t in fig.findobj(Text))
    plt.close(fig)
    return texts


@pytest.fixture(autouse=True)
def no_open_figures():
    yield
    assert plt.get_fignums() == [], "그림을 닫지 않았습니다"


@pytest.mark.parametrize("left,right", [
    (torch.tensor([[1.0, 2, 3], [4, 5, 6]]), torch.tensor([10.0, 20, 30])),
    (torch.tensor([[1, 2, 3], [4, 5, 6]]), torch.tensor([[100], [200]])),
    (torch.arange(3).view(3, 1), torch.tensor([0, 10, 20, 30])),
    (torch.tensor(5.0), torch.tensor([1.0, 2.0])),
])
def test_broadcasting_shows_shapes_and_torch_result(left, right):
    fig = diagrams.broadcasting(left, right)
    expected = left + right
    assert torch.equal(fig.result, expected)
    text = drawn(fig)
    shape = lambda t: "[" + ", ".join(map(str, t.shape)) + "]"  # noqa: E731
    assert f"{shape(left)} + {shape(right)} → {shape(expected)}" in text
    for value in expected.flatten().tolist():
        assert f"| {value:.3g} |" in text or f"| {value} |" in text


def test_broadcasting_marks_the_repeated_cells():
    fig = diagrams.broadcasting(torch.zeros(2, 3), torch.tensor([1.0, 2.0, 3.0]))
    dashed = [p for p in fig.axes[0].patches if p.get_linestyle() == "--"]
    assert len(dashed) == 3  # [3]을 [2, 3]으로 늘리면 둘째 행 3칸이 다시 읽는 자리
    plt.close(fig)


def test_broadcasting_error_names_the_clashing_dimension():
    with pytest.raises(ValueError, match=r"브로드캐스팅할 수 없는 모양.*\[2, 3\] \+ \[2\].*뒤에서 1번째 차원.*크기 3.*크기 2"):
        diagrams.broadcasting(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(RuntimeError):  # torch도 같은 경우를 거부한다
        torch.zeros(2, 3) + torch.zeros(2)
    with pytest.raises(ValueError, match="2차원까지"):
        diagrams.broadcasting(torch.zeros(2, 2, 2), torch.zeros(2))


def test_memory_layout_reads_storage_through_stride():
    v = torch.arange(6).view(2, 3)
    text = drawn(diagrams.memory_layout(v, v.T, titles=["v", "v.T"]))
    assert "stride (3, 1)" in text and "stride (1, 3)" in text
    assert "0 → 1 → 2 → 3 → 4 → 5" in text  # v는 저장소를 차례로 읽는다
    assert "0 → 3 → 1 → 4 → 2 → 5" in text  # v.T는 건너뛰며 읽는다: 값도 v.T를 행 순서로 펼친 것
    assert v.T.flatten().tolist() == [0, 3, 1, 4, 2, 5]
    assert "is_contiguous() = True" in text and "is_contiguous() = False" in text


def test_memory_layout_of_a_view_with_offset():
    base = torch.arange(12).view(3, 4)
    view = base[1:, 1:3]  # 저장소 앞부분을 건너뛰는 뷰
    storage, slots = diagrams._storage_slots(view)
    assert storage == list(range(12))
    assert [[storage[k] for k in row] for row in slots] == view.tolist()
    drawn(diagrams.memory_layout(view))


def test_memory_layout_rejects_bad_input():
    with pytest.raises(ValueError, match="2차원 텐서"):
        diagrams.memory_layout(torch.arange(6))
    with pytest.raises(ValueError, match="제목이 1개인데 텐서는 2개"):
        diagrams.memory_layout(torch.zeros(2, 2), torch.zeros(2, 2), titles=["a"])
    with pytest.raises(ValueError, match="크다|큽니다"):
        diagrams.memory_layout(torch.zeros(10, 10))


def test_mlp_counts_parameters_like_torch():
    sizes = [784, 256, 128, 10]
    fig = diagrams.mlp(sizes)
    layers = [nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
    assert fig.param_counts == [sum(p.numel() for p in layer.parameters()) for layer in layers]
    text = drawn(fig)
    for label in ("입력\n784", "은닉\n256", "은닉\n128", "출력\n10", "784×256 + 256\n= 200,960", "235,146", "⋮"):
        assert label in text
    with pytest.raises(ValueError, match="이름이 2개인데 층은 3개"):
        diagrams.mlp([4, 3, 2], names=["a", "b"])


def test_training_loop_names_every_step():
    text = drawn(diagrams.training_loop())
    for step in ("배치 가져오기", "순전파", "model(x)", "손실 계산", "loss_fn", "기울기 초기화", "optimizer.zero_grad()",
                 "역전파", "loss.backward()", "가중치 갱신", "optimizer.step()", "검증", "model.eval()",
                 "torch.inference_mode()", "에폭"):
        assert step in text, step


def test_data_split_counts_and_roles():
    text = drawn(diagrams.data_split({"학습": 55000, "검증": 5000, "테스트": 10000}))
    for piece in ("전체 70,000개", "55,000개 (78.6%)", "5,000개 (7.1%)", "10,000개 (14.3%)", "가중치 학습",
                  "설정·에폭 고르기", "마지막에 한 번"):
        assert piece in text, piece
    text = drawn(diagrams.data_split({"학습": 3, "검증": 1}, roles={"검증": "조기 종료"}))
    assert "조기 종료" in text and "가중치 학습" in text
    with pytest.raises(ValueError, match="1 이상의 개수"):
        diagrams.data_split({"학습": 0})


@pytest.mark.parametrize("n,batch_size", [(10, 4), (12, 4), (7, 3)])
def test_loader_batches_match_dataloader(n, batch_size):
    generator = torch.Generator().manual_seed(0)
    state = generator.get_state()
    fig = diagrams.loader_batches(n, batch_size, generator=generator)
    assert torch.equal(generator.get_state(), state)  # 그림을 그려도 생성기는 그대로
    loader = torch.utils.data.DataLoader(range(n), batch_size=batch_size, shuffle=True, generator=generator)
    assert fig.batches == [[b.tolist() for b in loader], [b.tolist() for b in loader]]
    assert fig.batches[0] != fig.batches[1]  # 에폭마다 다른 순서
    text = drawn(fig)
    last = n % batch_size
    assert (f"({last}개)" in text) == bool(last)
    assert f"DataLoader(range({n}), batch_size={batch_size}, shuffle=True)" in text


def test_loader_batches_without_generator_uses_and_keeps_global_state():
    torch.manual_seed(3)
    fig = diagrams.loader_batches(9, 4)
    loader = torch.utils.data.DataLoader(range(9), batch_size=4, shuffle=True)
    assert fig.batches[0] == [b.tolist() for b in loader]
    plt.close(fig)
    fig = diagrams.loader_batches(5, 2, shuffle=False)
    assert fig.batches == [[[0, 1], [2, 3], [4]]] * 2
    plt.close(fig)
    with pytest.raises(ValueError, match="n은 1~24"):
        diagrams.loader_batches(100, 4)


@pytest.mark.parametrize("n,k,p,s", [(5, 3, 0, 1), (5, 3, 1, 2), (28, 5, 0, 1), (28, 3, 1, 1), (7, 3, 0, 2),
                                     (6, 2, 0, 2), (4, 4, 0, 1), (9, 3, 2, 3)])
def test_convolution_output_size_matches_conv2d(n, k, p, s):
    fig = diagrams.convolution(n, k, padding=p, stride=s)
    out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=p, stride=s).shape[-1]
    assert fig.output_size == out
    text = drawn(fig)
    assert f"({n} + 2\\cdot{p} - {k})\\,/\\,{s} \\rfloor + 1 = {out}$" in text
    assert f"출력 {out}×{out}" in text


def test_convolution_rejects_a_kernel_larger_than_the_input():
    with pytest.raises(ValueError, match="커널"):
        diagrams.convolution(3, 5)


@pytest.mark.parametrize("x,k", [
    (torch.tensor([[1, 3, 2, 0], [4, 6, 5, 1], [7, 2, 9, 8], [0, 1, 3, 4]]), 2),
    (torch.randn(5, 5, generator=torch.Generator().manual_seed(0)), 2),
    (torch.arange(36.0).view(6, 6), 3),
])
def test_pooling_matches_max_pool2d(x, k):
    fig = diagrams.pooling(x, k)
    expected = F.max_pool2d(x[None, None].double(), k)[0, 0].to(x.dtype)
    assert torch.equal(fig.result, expected)
    text = drawn(fig)
    assert f"[{x.shape[0]}, {x.shape[1]}] → [{expected.shape[0]}, {expected.shape[1]}]" in text
    assert ("버려집니다" in text) == (x.shape[0] % k != 0)


def test_pooling_rejects_bad_kernel():
    with pytest.raises(ValueError, match="kernel_size"):
        diagrams.pooling(torch.zeros(3, 3), 4)


def test_checkpoint_contents_of_a_real_checkpoint():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10),
                        nn.ReLU(), nn.Linear(10, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    nn.functional.cross_entropy(net(torch.randn(4, 1, 28, 28)), torch.tensor([0, 1, 2, 3])).backward()
    opt.step()
    text = drawn(diagrams.checkpoint_contents({"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}))
    for piece in ('"model": state_dict (텐서 8개)', "1.weight  [32, 784]", "⋯ 외 2개", '"optimizer"',
                  "state: 파라미터 8개의 버퍼", "momentum_buffer [32, 784]", "lr: 0.1", "momentum: 0.9",
                  "params: [0, 1, 2, 3, …]", '"epoch"', "| 3 |", "키 3개"):
        assert piece in text, piece
    with pytest.raises(ValueError, match="dict"):
        diagrams.checkpoint_contents({})


def test_chapters_reach_the_diagrams_through_import_helpers():
    """장은 ``import helpers`` 다음 ``helpers.diagrams.mlp(...)``로 쓴다: 새 프로세스에서 그대로 해 본다."""
    import subprocess
    import sys

    code = "import helpers; import matplotlib.pyplot as plt; plt.close(helpers.diagrams.mlp([3, 2])); print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
    for name in diagrams.__all__:
        assert inspect.getdoc(getattr(diagrams, name)), f"helpers.diagrams.{name}에 설명이 없습니다"


@pytest.mark.parametrize(("launch", "compute", "free", "waiting"), [(1.0, 2.5, 11.0, 14.0), (3.0, 1.0, 13.0, 16.0)])
def test_host_sync_timelines(launch, compute, free, waiting):
    """기다리지 않으면 GPU가 쉬지 않거나(계산이 길 때) CPU가 쉬지 않고(넣기가 길 때), 기다리면 걸음마다 둘을 더한 만큼."""
    fig = diagrams.host_sync(steps=4, launch=launch, compute=compute)
    assert fig.totals == {"기다리지 않음": free, "걸음마다 .item()": waiting}
    text = drawn(fig)
    assert "기다림" in text and "계산 4" in text and "넣기 1" in text


def test_host_sync_rejects_bad_input():
    with pytest.raises(ValueError, match="steps는 1 이상"):
        diagrams.host_sync(steps=0)
