"""3장이 학습을 상자에 맡기는 곳: 로더의 처리량 측정과, 변환 실험의 짧은 학습.

3장은 학습 루프를 가르치지 않는다. 학습 한 걸음(순전파 → 손실 → backward → step, 2장)은 여기의
``_train_step`` 하나가 맡고, 3장은 그 결과(에폭의 시간, 정확도와 손실)만 읽는다. 분류 손실은 4장에서 다룬다.

처리량 측정(``loader_speed_table``): 같은 작은 모델을 데이터 파이프라인만 바꿔 가며 학습하고 에폭의 시간을 잰다.
파이프라인 셋 (모두 같은 이미지, 같은 배치 크기, 같은 모델 784-256-128-10, 같은 SGD):

- (a) 샘플마다 변환하는, 널리 퍼진 예제의 방식: ``datasets.FashionMNIST(..., transform=ToTensor())``
  + ``DataLoader``. 샘플마다 PIL 이미지를 만들고 텐서로 바꾼 뒤 배치로 이어 붙인다 (``num_workers``를 바꿔 가며).
- (b) 이미지 전체를 한 번만 ``float`` 텐서로 바꿔 ``TensorDataset`` + ``DataLoader``.
- (c) 그 텐서를 장치에 올려 두고 인덱스로 잘라 배치를 만드는 ``helpers.InMemoryLoader``.

노트북(3장)과 셸(``benchmarks/loader_speed.py``)이 모두 ``loader_speed_table``을 부른다.

변환 실험(``train_briefly``, ``prediction_stats``): 입력의 변환만 바꿔 작은 모델을 한 에폭 학습하고,
정확도·평균 손실·고른 클래스의 확률을 잰다.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Iterable, Sequence

import torch
from torch import nn

__all__ = ["epoch_times", "loader_speed_table", "make_mlp", "prediction_stats", "seconds_per_epoch", "train_briefly"]

PER_SAMPLE = "(a) ToTensor() + DataLoader"
TENSOR_DATASET = "(b) 한 번 바꾼 텐서 + TensorDataset + DataLoader"
IN_MEMORY = "(c) 장치 위의 텐서 + InMemoryLoader"


def make_mlp() -> nn.Sequential:
    """측정에 쓰는 모델: 784-256-128-10 MLP (4장에서 자세히 다룬다)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def _train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
                y: torch.Tensor) -> torch.Tensor:
    """학습 한 걸음 (2장): 순전파 → 손실 → 기울기 지우기 → backward → step. 배치의 평균 손실을 돌려준다.

    손실은 분류 손실(``cross_entropy``, 4장)이다.
    """
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def _synchronize(device: torch.device) -> None:
    """GPU는 일을 미뤄 두고 먼저 돌아오므로, 시간을 재기 전에 끝날 때까지 기다린다."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def epoch_times(
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device | str,
    epochs: int = 3,
    seed: int = 0,
    lr: float = 0.01,
    warmup: int = 1,
) -> tuple[list[float], float]:
    """새 모델을 ``loader``로 학습하며 에폭마다 시간을 잰다: (잰 에폭들의 초 리스트, 마지막 에폭의 평균 손실).

    1장의 규칙을 따른다. 처음 ``warmup``번의 에폭은 준비 운동이라 재지 않고(작업 프로세스를 띄우는
    일 같은 일회성 비용이 여기에 들어간다), 이어서 ``epochs``번을 잰다. GPU는 시계를 읽기 전에 동기화한다.
    """
    if epochs < 1 or warmup < 0:
        raise ValueError(f"epochs는 1 이상, warmup은 0 이상이어야 합니다: epochs={epochs}, warmup={warmup}")
    device = torch.device(device)
    torch.manual_seed(seed)  # 모든 파이프라인이 같은 초기 가중치에서 시작한다
    model = make_mlp().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    times = []
    for epoch in range(warmup + epochs):
        _synchronize(device)
        start = time.perf_counter()
        total = torch.zeros((), device=device)
        count = 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = _train_step(model, optimizer, x, y)
            total += loss * len(y)  # .item()을 배치마다 부르지 않는다 (GPU를 기다리게 한다)
            count += len(y)
        _synchronize(device)
        if epoch >= warmup:
            times.append(time.perf_counter() - start)
    return times, total.item() / max(count, 1)


def seconds_per_epoch(loader: Iterable[tuple[torch.Tensor, torch.Tensor]], device: torch.device | str,
                      **options) -> tuple[float, float]:
    """(준비 운동 뒤 잰 에폭 시간의 중앙값(초), 마지막 에폭의 평균 손실). ``options``는 ``epoch_times``의 인자."""
    times, loss = epoch_times(loader, device, **options)
    return statistics.median(times), loss


def loader_speed_table(
    name: str = "FashionMNIST",
    root: str | Path | None = None,
    subset: int | None = None,
    batch_size: int = 64,
    num_workers: Sequence[int] = (0, 2),
    device: torch.device | str | None = None,
    epochs: int = 3,
    seed: int = 0,
    warmup: int = 1,
):
    """파이프라인마다 에폭의 시간을 재서 ``pandas.DataFrame``으로 돌려준다.

    파이프라인마다 준비 운동 ``warmup``번 뒤 ``epochs``번 잰 에폭 시간의 중앙값을 쓴다(``epoch_times``).
    ``num_workers > 0``인 로더는 ``persistent_workers=True``로 만들어, 작업 프로세스를 띄우는 시간이
    준비 운동 에폭에만 들어가게 한다. ``subset``: 학습 세트의 앞에서부터 쓸 이미지 수 (``None``이면 전부).
    열: ``num_workers``, ``에폭당 초``(중앙값), ``배속``(첫 줄, 곧 (a)의 ``num_workers[0]`` 대비), ``평균 손실``.
    잰 에폭마다의 초는 ``table.attrs["epoch_seconds"]``(줄마다 리스트)에 남는다.
    """
    import pandas as pd
    from torch.utils.data import DataLoader, RandomSampler, Subset, TensorDataset
    from torchvision import datasets, transforms

    from helpers.data import InMemoryLoader, ensure_dataset
    from helpers.device import get_device

    device = get_device(device)
    root = ensure_dataset(name, root, verbose=False)
    base = getattr(datasets, name)(root, train=True, download=True, transform=transforms.ToTensor())
    n = len(base) if subset is None else min(subset, len(base))
    per_sample = base if n == len(base) else Subset(base, range(n))
    # (b)와 (c)가 쓰는 텐서: ToTensor()와 같은 값(0~1)을 전체에 한 번에 만든다
    x = base.data[:n].unsqueeze(1).float().div(255)  # uint8 [N, 28, 28] → float32 [N, 1, 28, 28]
    y = base.targets[:n]

    def shuffled() -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    # (a)와 (b)는 섞는 생성기를 샘플러에 준다: 그래야 num_workers나 persistent_workers와 상관없이
    # 에폭마다 같은 순서가 나온다 (DataLoader의 generator는 반복자를 만들 때 작업 프로세스의 시드도 뽑는다)
    def per_sample_loader(workers: int) -> DataLoader:
        sampler = RandomSampler(per_sample, generator=shuffled())
        return DataLoader(per_sample, batch_size=batch_size, sampler=sampler,
                          num_workers=workers, persistent_workers=workers > 0)

    def tensor_loader() -> DataLoader:
        data = TensorDataset(x, y)
        return DataLoader(data, batch_size=batch_size, sampler=RandomSampler(data, generator=shuffled()))

    # 로더는 잴 차례에 만든다: 앞 줄의 작업 프로세스가 뒤 줄을 재는 동안 남아 있지 않게
    rows = [(PER_SAMPLE, w, lambda w=w: per_sample_loader(w)) for w in num_workers]
    rows.append((TENSOR_DATASET, 0, tensor_loader))
    rows.append((IN_MEMORY, 0, lambda: InMemoryLoader(x, y, batch_size=batch_size, shuffle=True,
                                                      generator=shuffled(), device=device)))

    records, all_times = [], []
    for label, workers, make_loader in rows:
        loader = make_loader()
        times, loss = epoch_times(loader, device, epochs=epochs, seed=seed, warmup=warmup)
        del loader  # persistent_workers의 작업 프로세스도 여기서 끝난다
        all_times.append(times)
        records.append({"파이프라인": label, "num_workers": workers, "에폭당 초": statistics.median(times),
                        "평균 손실": loss})
    table = pd.DataFrame.from_records(records)
    table.insert(3, "배속", table["에폭당 초"].iloc[0] / table["에폭당 초"])
    table.attrs.update({"dataset": name, "images": n, "batch_size": batch_size, "epochs": epochs,
                        "warmup": warmup, "device": str(device), "epoch_seconds": all_times})
    return table


def train_briefly(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    seed: int = 0,
    lr: float = 0.1,
    epochs: int = 1,
) -> nn.Module:
    """입력 ``x``(``[N, 1, 28, 28]``)와 레이블 ``y``로 784-128-10 모델을 새로 만들어 ``epochs``번 학습해 돌려준다.

    3장의 변환 실험용 상자다. 배치는 시드를 준 생성기로 섞고, 모델은 ``seed``로 초기화하므로
    같은 입력이면 언제나 같은 모델이 나온다. 배치마다 ``_train_step``(2장의 학습 한 걸음)을 돌린다.
    """
    from torch.utils.data import DataLoader, TensorDataset

    device = torch.device(device)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for images, labels in loader:
            _train_step(model, optimizer, images.to(device), labels.to(device))
    return model


def prediction_stats(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                     batch_size: int = 1000) -> tuple[float, float, float]:
    """(정확도(%), 평균 손실, 모델이 고른 클래스에 준 확률의 평균(%)). 모델은 평가 모드로 둔다.

    손실은 학습과 같은 분류 손실(``cross_entropy``), 확률은 ``softmax``로 구한다(둘 다 4장).
    """
    device = next(model.parameters()).device
    model.eval()
    correct, loss_sum, prob_sum = 0, 0.0, 0.0
    with torch.inference_mode():
        for start in range(0, len(y), batch_size):
            images, labels = x[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
            logits = model(images)
            loss_sum += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
            prob_sum += logits.softmax(dim=1).max(dim=1).values.sum().item()
            correct += (logits.argmax(dim=1) == labels).sum().item()
    return 100 * correct / len(y), loss_sum / len(y), 100 * prob_sum / len(y)
