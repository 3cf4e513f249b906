"""2장의 처리량 측정: 같은 작은 모델을 데이터 파이프라인만 바꿔 가며 한 에폭씩 학습하고 시간을 잰다.

파이프라인 셋 (모두 같은 이미지, 같은 배치 크기, 같은 모델 784-256-128-10, 같은 SGD):

- (a) 블로그 예제의 방식: ``datasets.FashionMNIST(..., transform=ToTensor())`` + ``DataLoader``.
  샘플마다 PIL 이미지를 만들고 텐서로 바꾼 뒤 배치로 이어 붙인다 (``num_workers``를 바꿔 가며).
- (b) 이미지 전체를 한 번만 ``float`` 텐서로 바꿔 ``TensorDataset`` + ``DataLoader``.
- (c) 그 텐서를 장치에 올려 두고 인덱스로 잘라 배치를 만드는 ``helpers.InMemoryLoader``.

노트북(2장)과 셸(``benchmarks/loader_speed.py``)이 모두 ``loader_speed_table``을 부른다.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Sequence

import torch
from torch import nn

__all__ = ["loader_speed_table", "make_mlp", "seconds_per_epoch"]

SEED_STYLE = "(a) ToTensor() + DataLoader"
TENSOR_DATASET = "(b) 한 번 바꾼 텐서 + TensorDataset + DataLoader"
IN_MEMORY = "(c) 장치 위의 텐서 + InMemoryLoader"


def make_mlp() -> nn.Sequential:
    """측정에 쓰는 모델: 784-256-128-10 MLP (3장에서 자세히 다룬다)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def _synchronize(device: torch.device) -> None:
    """GPU는 일을 미뤄 두고 먼저 돌아오므로, 시간을 재기 전에 끝날 때까지 기다린다."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def seconds_per_epoch(
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device | str,
    epochs: int = 1,
    seed: int = 0,
    lr: float = 0.01,
) -> tuple[float, float]:
    """새 모델을 ``loader``로 ``epochs``번 학습하고 (에폭당 평균 초, 마지막 에폭의 평균 손실)을 돌려준다."""
    device = torch.device(device)
    torch.manual_seed(seed)  # 모든 파이프라인이 같은 초기 가중치에서 시작한다
    model = make_mlp().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        _synchronize(device)
        start = time.perf_counter()
        total = torch.zeros((), device=device)
        count = 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(y)  # .item()을 배치마다 부르지 않는다 (GPU를 기다리게 한다)
            count += len(y)
        _synchronize(device)
        times.append(time.perf_counter() - start)
    return sum(times) / len(times), total.item() / max(count, 1)


def loader_speed_table(
    name: str = "FashionMNIST",
    root: str | Path | None = None,
    subset: int | None = None,
    batch_size: int = 64,
    num_workers: Sequence[int] = (0, 2),
    device: torch.device | str | None = None,
    epochs: int = 1,
    seed: int = 0,
):
    """파이프라인마다 한 에폭의 시간을 재서 ``pandas.DataFrame``으로 돌려준다.

    ``subset``: 학습 세트의 앞에서부터 쓸 이미지 수 (``None``이면 전부).
    열: ``num_workers``, ``에폭당 초``, ``배속``(첫 줄, 곧 (a)의 ``num_workers[0]`` 대비), ``평균 손실``.
    """
    import pandas as pd
    from torch.utils.data import DataLoader, Subset, TensorDataset
    from torchvision import datasets, transforms

    from helpers.data import InMemoryLoader, ensure_dataset
    from helpers.device import get_device

    device = get_device(device)
    root = ensure_dataset(name, root, verbose=False)
    base = getattr(datasets, name)(root, train=True, download=True, transform=transforms.ToTensor())
    n = len(base) if subset is None else min(subset, len(base))
    seed_style = base if n == len(base) else Subset(base, range(n))
    # (b)와 (c)가 쓰는 텐서: ToTensor()와 같은 값(0~1)을 전체에 한 번에 만든다
    x = base.data[:n].unsqueeze(1).float().div(255)  # uint8 [N, 28, 28] → float32 [N, 1, 28, 28]
    y = base.targets[:n]

    def shuffled() -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    rows = []
    for workers in num_workers:
        loader = DataLoader(seed_style, batch_size=batch_size, shuffle=True,
                            num_workers=workers, generator=shuffled())
        rows.append((SEED_STYLE, workers, loader))
    rows.append((TENSOR_DATASET, 0, DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                                               generator=shuffled())))
    rows.append((IN_MEMORY, 0, InMemoryLoader(x, y, batch_size=batch_size, shuffle=True,
                                              generator=shuffled(), device=device)))

    records = []
    for label, workers, loader in rows:
        seconds, loss = seconds_per_epoch(loader, device, epochs=epochs, seed=seed)
        records.append({"파이프라인": label, "num_workers": workers, "에폭당 초": seconds, "평균 손실": loss})
    table = pd.DataFrame.from_records(records)
    table.insert(3, "배속", table["에폭당 초"].iloc[0] / table["에폭당 초"])
    table.attrs.update({"dataset": name, "images": n, "batch_size": batch_size, "epochs": epochs,
                        "device": str(device)})
    return table
