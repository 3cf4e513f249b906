"""학습 루프: 4장에서 3장의 루프를 함수 셋으로 나눈 것.

- ``train_one_epoch``: 학습 세트를 한 번 돈다 (``model.train()``, ``zero_grad``, ``backward``, ``step``).
- ``evaluate``: ``model.eval()`` + ``torch.inference_mode()``로 손실과 정확도만 잰다.
- ``fit``: 에폭마다 둘을 부르고, 검증 정확도가 가장 좋았던 모델을 기억했다가 되돌려 놓는다.

로더는 ``(x, y)`` 배치를 내놓는 것이면 무엇이든 된다 (``DataLoader``, ``InMemoryLoader`` …).
정확도는 모두 퍼센트(0~100)다.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

import torch
from torch import nn

__all__ = ["History", "evaluate", "fit", "train_one_epoch"]

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """에폭마다의 기록. ``best_epoch``는 검증 정확도가 가장 높았던 에폭(1부터 센다)."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def __len__(self) -> int:
        return len(self.train_loss)

    @property
    def best_val_acc(self) -> float | None:
        """``best_epoch``의 검증 정확도."""
        return None if self.best_epoch is None else self.val_acc[self.best_epoch - 1]

    def as_dict(self) -> dict:
        return asdict(self)


def _device_of(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def train_one_epoch(
    model: nn.Module,
    loader: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    device: torch.device | str | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    progress: bool = False,
    desc: str = "학습",
) -> tuple[float, float]:
    """학습 세트를 한 번 돌며 가중치를 고치고, (평균 손실, 정확도 %)를 돌려준다.

    ``scheduler``를 주면 배치마다 ``scheduler.step()``을 부른다 (``OneCycleLR``처럼
    배치 단위로 학습률을 바꾸는 스케줄러용). ``loss_fn``은 배치 평균을 돌려줘야 한다.
    """
    device = torch.device(device) if device is not None else _device_of(model)
    model.train()
    total_loss, correct, count = 0.0, 0, 0
    batches = loader
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(loader, desc=desc, leave=False)
    for x, y in batches:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        optimizer.zero_grad()
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        n = y.size(0)
        total_loss += loss.item() * n
        correct += (logits.argmax(dim=1) == y).sum().item()
        count += n
        if progress:
            batches.set_postfix(loss=f"{loss.item():.4f}")
    if count == 0:
        raise ValueError("학습 로더가 배치를 하나도 내놓지 않았습니다 (데이터가 비었거나 drop_last 때문일 수 있습니다).")
    return total_loss / count, 100.0 * correct / count


def evaluate(
    model: nn.Module,
    loader: Batches,
    loss_fn: LossFn,
    device: torch.device | str | None = None,
) -> tuple[float, float]:
    """가중치를 바꾸지 않고 (평균 손실, 정확도 %)를 잰다.

    ``model.eval()``은 드롭아웃과 배치 정규화를 평가 모드로 바꾸고,
    ``torch.inference_mode()``는 기울기 계산을 위한 그래프를 만들지 않게 한다. 둘은 하는 일이 다르다.
    """
    device = torch.device(device) if device is not None else _device_of(model)
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.inference_mode():
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            logits = model(x)
            n = y.size(0)
            total_loss += loss_fn(logits, y).item() * n
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += n
    if count == 0:
        raise ValueError("평가 로더가 배치를 하나도 내놓지 않았습니다.")
    return total_loss / count, 100.0 * correct / count


def fit(
    model: nn.Module,
    train_loader: Batches,
    val_loader: Batches,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn,
    epochs: int,
    device: torch.device | str | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    patience: int | None = None,
    restore_best: bool = True,
    progress: bool = True,
    verbose: bool = True,
    history: History | None = None,
    on_epoch_end: Callable[[int, History], None] | None = None,
) -> History:
    """``epochs``번 학습하고 에폭마다 검증한다. 기록(``History``)을 돌려준다.

    - 검증 정확도가 가장 높았던 에폭의 가중치를 기억해 두었다가, 끝나면 모델에 되돌려 놓는다
      (``restore_best=False``이면 마지막 에폭의 가중치를 그대로 둔다).
    - ``patience``를 주면 검증 정확도가 그만큼의 에폭 동안 나아지지 않을 때 일찍 멈춘다.
    - ``progress``: 에폭마다 진행 막대 하나(``tqdm``), ``verbose``: 에폭마다 한 줄 요약.
    - ``history``: 이어서 학습할 때 지난 기록. 에폭은 ``len(history) + 1``부터 ``epochs``까지 돈다.
    - ``on_epoch_end(epoch, history)``: 에폭이 끝날 때마다 불린다 (예: 체크포인트 저장).
    """
    if epochs < 1:
        raise ValueError(f"epochs는 1 이상이어야 합니다: {epochs}")
    if patience is not None and patience < 1:
        raise ValueError(f"patience는 1 이상이어야 합니다: {patience}")
    device = torch.device(device) if device is not None else _device_of(model)
    history = history if history is not None else History()
    best_state: dict[str, torch.Tensor] | None = None
    epochs_without_improvement = 0
    if history.best_epoch is not None:
        epochs_without_improvement = len(history) - history.best_epoch

    for epoch in range(len(history) + 1, epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = train_one_epoch(
            model, train_loader, loss_fn, optimizer, device, scheduler,
            progress=progress, desc=f"에폭 {epoch}/{epochs}",
        )
        val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        history.seconds.append(time.perf_counter() - start)

        improved = history.best_epoch is None or val_acc > history.best_val_acc
        if improved:
            history.best_epoch = epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
        if verbose:
            mark = " *" if improved else ""
            print(
                f"에폭 {epoch:>2}/{epochs}  학습 손실 {train_loss:.4f} 정확도 {train_acc:6.2f}%  |  "
                f"검증 손실 {val_loss:.4f} 정확도 {val_acc:6.2f}%  ({history.seconds[-1]:.1f}초){mark}"
            )
        if patience is not None and epochs_without_improvement >= patience:
            history.stopped_early = True
            if verbose:
                print(f"검증 정확도가 {patience}에폭 동안 나아지지 않아 멈춥니다.")
            break

    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
        if verbose:
            print(f"검증 정확도가 가장 높았던 에폭 {history.best_epoch}의 가중치로 되돌렸습니다 "
                  f"({history.best_val_acc:.2f}%).")
    return history
