"""helpers.benchmark(3장의 처리량 표)의 단위 테스트: 1장의 시간 재기 규칙을 지키는지.

준비 운동 에폭은 재지 않고, 그 뒤 여러 번 잰 에폭 시간의 중앙값을 쓴다. 시계는 가짜로 바꿔
기계의 부하와 상관없이 확인한다.
"""
from __future__ import annotations

import pytest
import torch

from helpers import benchmark


class _ClockLoader:
    """에폭(반복자)마다 가짜 시계를 ``durations``의 다음 값만큼 돌리고, 작은 배치 하나를 내는 로더."""

    def __init__(self, clock: dict, durations: list[float]):
        self.clock = clock
        self.durations = iter(durations)
        self.x = torch.zeros(4, 1, 28, 28)
        self.y = torch.arange(4)

    def __iter__(self):
        self.clock["now"] += next(self.durations)
        yield self.x, self.y


@pytest.fixture
def clock(monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr(benchmark.time, "perf_counter", lambda: clock["now"])
    return clock


def test_warmup_epoch_is_not_timed(clock):
    loader = _ClockLoader(clock, [100.0, 3.0, 1.0, 2.0])  # 첫 에폭(작업 프로세스 띄우기 등)이 가장 느리다
    times, loss = benchmark.epoch_times(loader, "cpu", epochs=3)
    assert times == [3.0, 1.0, 2.0]
    assert loss > 0


def test_seconds_per_epoch_is_the_median_of_the_timed_epochs(clock):
    loader = _ClockLoader(clock, [100.0, 3.0, 1.0, 50.0])  # 잰 에폭 하나가 튀어도 중앙값은 흔들리지 않는다
    seconds, _ = benchmark.seconds_per_epoch(loader, "cpu", epochs=3)
    assert seconds == 3.0


def test_warmup_can_be_more_than_one_epoch(clock):
    loader = _ClockLoader(clock, [100.0, 90.0, 1.0])
    times, _ = benchmark.epoch_times(loader, "cpu", epochs=1, warmup=2)
    assert times == [1.0]


@pytest.mark.parametrize("epochs, warmup", [(0, 1), (3, -1)])
def test_bad_epoch_counts_are_refused(epochs, warmup):
    with pytest.raises(ValueError, match="epochs"):
        benchmark.epoch_times([], "cpu", epochs=epochs, warmup=warmup)


def test_loader_speed_table_times_every_pipeline_the_same_way():
    table = benchmark.loader_speed_table("FashionMNIST", subset=256, batch_size=64, num_workers=(0, 1),
                                         device="cpu", epochs=3, seed=0)
    assert list(table["num_workers"]) == [0, 1, 0, 0]
    assert table.attrs["epochs"] == 3 and table.attrs["warmup"] == 1 and table.attrs["images"] == 256
    assert [len(t) for t in table.attrs["epoch_seconds"]] == [3, 3, 3, 3]
    medians = [sorted(t)[1] for t in table.attrs["epoch_seconds"]]
    assert list(table["에폭당 초"]) == medians
    assert table["배속"].iloc[0] == 1.0
    # (a)는 num_workers와 상관없이(작업 프로세스를 살려 둬도) (b)와 같은 순서로 섞으므로, 마지막 에폭의 손실까지 같다
    losses = table["평균 손실"].iloc[:3]
    assert (losses - losses.iloc[0]).abs().max() < 1e-5, losses.tolist()


def _toy_digits(n: int = 200):
    """레이블마다 다른 픽셀 하나만 밝은 작은 데이터: 짧은 학습으로도 다 맞힐 수 있다."""
    y = torch.arange(n) % 10
    x = torch.zeros(n, 1, 28, 28)
    x[torch.arange(n), 0, 3 * y, 3 * y] = 1.0
    return x, y


def test_train_briefly_is_reproducible_and_learns():
    x, y = _toy_digits()
    first = benchmark.train_briefly(x, y, batch_size=16, seed=0, lr=0.5, epochs=5)
    again = benchmark.train_briefly(x, y, batch_size=16, seed=0, lr=0.5, epochs=5)
    for a, b in zip(first.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)
    acc, loss, prob = benchmark.prediction_stats(first, x, y)
    assert acc == 100.0 and loss < 0.5 and 50 < prob <= 100


def test_prediction_stats_counts_every_sample_in_uneven_batches():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    torch.nn.init.zeros_(model[1].weight)
    torch.nn.init.zeros_(model[1].bias)
    x, y = _toy_digits(25)
    acc, loss, prob = benchmark.prediction_stats(model, x, y, batch_size=10)  # 10, 10, 5
    # 모든 점수가 0이면 확률은 클래스마다 1/10, 고른 답은 언제나 0번 클래스
    assert acc == 100 * (y == 0).sum().item() / 25
    assert abs(loss - torch.log(torch.tensor(10.0)).item()) < 1e-5 and abs(prob - 10.0) < 1e-4
    assert not model.training
