"""학습 루프: 4장에서 3장의 루프를 함수 셋으로 나눈 것.

- ``train_one_epoch``: 학습 세트를 한 번 돈다 (``model.train()``, ``zero_grad``, ``backward``, ``step``).
- ``evaluate``: ``model.eval()`` + ``torch.inference_mode()``로 손실과 정확도만 잰다.
- ``fit``: 에폭마다 둘을 부르고, 검증 정확도가 가장 좋았던 모델을 기억했다가 되돌려 놓는다.

로더는 ``(x, y)`` 배치를 내놓고 에폭마다 처음부터 다시 돌 수 있는 것이면 무엇이든 된다
(``DataLoader``, ``InMemoryLoader``, 배치의 리스트 …; 한 번 돌면 끝나는 제너레이터는 안 된다).
정확도는 모두 퍼센트(0~100)다.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable, Mapping

import torch
from torch import nn

__all__ = ["History", "evaluate", "fit", "train_one_epoch"]

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
StateDict = dict[str, torch.Tensor]


@dataclass
class History:
    """에폭마다의 기록. 목록 다섯 개는 길이가 같고, i번째 값이 에폭 i+1의 값이다.

    - ``train_loss``, ``val_loss``: 평균 손실, ``train_acc``, ``val_acc``: 정확도(%),
      ``seconds``: 그 에폭(학습 + 검증)에 걸린 초.
    - ``best_epoch``: 검증 정확도가 가장 높았던 에폭(1부터 센다). 같은 값이면 먼저 나온 에폭.
    - ``stopped_early``: 마지막 ``fit``이 조기 종료로 멈췄는지.
    - ``best_state``: 그 에폭의 가중치 사본(메모리에만 둔다; ``as_dict``에는 넣지 않는다).
      ``fit(..., history=history)``로 이어서 학습할 때 가장 좋은 가중치를 되돌리는 데 쓴다.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    best_state: StateDict | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.train_loss)

    @property
    def best_val_acc(self) -> float | None:
        """``best_epoch``의 검증 정확도."""
        return None if self.best_epoch is None else self.val_acc[self.best_epoch - 1]

    def as_dict(self) -> dict[str, Any]:
        """숫자만 담은 dict (``best_state`` 제외). ``torch.save``나 JSON으로 저장하기 좋다."""
        return {f.name: _plain_copy(getattr(self, f.name)) for f in fields(self) if f.name != "best_state"}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        """``as_dict()``로 만든 dict에서 기록을 되살린다 (``best_state``는 비어 있다)."""
        names = {f.name for f in fields(cls)} - {"best_state"}
        return cls(**{k: _plain_copy(v) for k, v in data.items() if k in names})


def _plain_copy(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def _device_of(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _progress_bar(loader: Batches, desc: str):
    """``tqdm.auto``의 진행 막대. ipywidgets가 없는 Jupyter에서 나는 경고는 숨긴다(글자 막대로 대신 그린다).

    글자 막대는 고칠 때마다 출력이 한 줄씩 쌓이므로(저장된 노트북이 커진다) 0.5초에 한 번만 고친다.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    return tqdm(loader, desc=desc, leave=False, mininterval=0.5)


def _snapshot(model: nn.Module) -> StateDict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


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

    손실과 정확도는 배치마다 그 순간의 가중치로 잰 값의 평균이다(에폭 동안 가중치가 바뀐다).
    ``loss_fn``은 배치 평균을 돌려줘야 한다(``nn.CrossEntropyLoss()``의 기본값).
    ``scheduler``를 주면 배치마다 ``scheduler.step()``을 부른다 (``OneCycleLR``처럼
    배치 단위로 학습률을 바꾸는 스케줄러용). ``progress=True``이면 진행 막대 하나를 그리고
    그 옆에 지금 배치의 손실을 보여 준다.
    """
    device = torch.device(device) if device is not None else _device_of(model)
    model.train()
    total_loss, correct, count = 0.0, 0, 0
    batches = _progress_bar(loader, desc) if progress else loader
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
        batch_loss = loss.item()
        total_loss += batch_loss * n
        correct += (logits.argmax(dim=1) == y).sum().item()
        count += n
        if progress:
            batches.set_postfix(loss=f"{batch_loss:.4f}", refresh=False)
    if progress:
        batches.close()
    if count == 0:
        raise ValueError(
            "학습 로더가 배치를 하나도 내놓지 않았습니다 (데이터가 비었거나, drop_last 때문이거나, "
            "한 번 돌면 끝나는 제너레이터를 넘겼을 수 있습니다)."
        )
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
    모델은 평가 모드로 남는다(다음 ``train_one_epoch``가 학습 모드로 되돌린다).
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

    Args:
        model: 학습할 모델. ``device``를 주지 않으면 모델의 파라미터가 있는 장치를 쓴다.
        train_loader, val_loader: ``(x, y)`` 배치를 내놓고 에폭마다 다시 돌 수 있는 것.
        optimizer: ``model.parameters()``로 만든 옵티마이저.
        loss_fn: ``loss_fn(logits, y)``가 배치 평균 손실을 돌려주는 함수 (예: ``nn.CrossEntropyLoss()``).
        epochs: 마지막 에폭의 번호. 새로 시작하면 학습할 에폭 수와 같다.
        device: 배치를 옮길 장치 (``None``이면 모델의 장치).
        scheduler: 배치마다 ``step()``을 부를 학습률 스케줄러 (없으면 ``None``).
        patience: 검증 정확도가 이만큼의 에폭 동안 나아지지 않으면 일찍 멈춘다 (``None``이면 멈추지 않는다).
        restore_best: 끝날 때 검증 정확도가 가장 높았던 에폭의 가중치로 되돌린다.
            ``False``이면 마지막 에폭의 가중치를 그대로 둔다.
        progress: 에폭마다 진행 막대 하나(``tqdm.auto``; 막대 옆에 배치 손실).
        verbose: 에폭마다 한 줄 요약을 출력한다. ``progress=False, verbose=False``이면 아무것도 출력하지 않는다.
        history: 이어서 학습할 때 지난 기록. 에폭은 ``len(history) + 1``부터 ``epochs``까지 돌고,
            기록은 이 객체에 덧붙는다.
        on_epoch_end: 에폭이 끝날 때마다 ``on_epoch_end(epoch, history)``로 불린다 (예: 체크포인트 저장).

    Returns:
        ``History``: 에폭마다의 학습·검증 손실과 정확도(%), 걸린 초, 가장 좋았던 에폭.

    같은 시드로 만든 모델·옵티마이저·로더라면 CPU에서 몇 번을 돌려도 똑같은 기록과 가중치가 나온다.
    """
    if epochs < 1:
        raise ValueError(f"epochs는 1 이상이어야 합니다: {epochs}")
    if patience is not None and patience < 1:
        raise ValueError(f"patience는 1 이상이어야 합니다: {patience}")
    device = torch.device(device) if device is not None else _device_of(model)
    history = history if history is not None else History()
    history.stopped_early = False
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
            history.best_state = _snapshot(model)
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
        if verbose:
            mark = " *" if improved else ""
            print(
                f"에폭 {epoch:>2}/{epochs}  학습 손실 {train_loss:.4f} 정확도 {train_acc:6.2f}%  |  "
                f"검증 손실 {val_loss:.4f} 정확도 {val_acc:6.2f}%  ({history.seconds[-1]:.1f}초){mark}",
                flush=True,
            )
        if patience is not None and epochs_without_improvement >= patience and epoch < epochs:
            history.stopped_early = True
            if verbose:
                print(f"검증 정확도가 {patience}에폭 동안 나아지지 않아 멈춥니다.")
            break

    if restore_best and history.best_epoch is not None:
        if history.best_state is None:
            warnings.warn(
                f"에폭 {history.best_epoch}의 가중치 사본이 없어 되돌리지 못했습니다 "
                "(as_dict/from_dict로 되살린 기록에는 가중치가 없습니다). 마지막 가중치를 그대로 둡니다.",
                RuntimeWarning,
                stacklevel=2,
            )
        elif history.best_epoch != len(history):
            model.load_state_dict(history.best_state)
            if verbose:
                print(f"검증 정확도가 가장 높았던 에폭 {history.best_epoch}의 가중치로 되돌렸습니다 "
                      f"({history.best_val_acc:.2f}%).")
    return history
