"""학습 루프: 5장에서 4장의 루프를 함수 셋으로 나눈 것.

5장 본문이 ``train_one_epoch``, ``evaluate``, ``fit``(가장 좋은 에폭의 가중치로 되돌리기, ``patience``로 조기 종료,
``on_epoch_end(epoch, history)`` 콜백)을 직접 쓰고, 같은 출발점에서 여기 함수들과 기록·가중치가 비트까지 같은지
견준다(5장의 검사 셀은 스케줄러·조기 종료·콜백을 모두 쓰는 작은 학습으로도 견준다). 여기 것이 5장의 것에 더한 것:

- ``device`` 인자(``None``이면 모델의 장치)와 ``to_device``(CPU → CUDA 복사만 ``non_blocking``).
- ``progress``(진행 막대)와 ``verbose``(에폭마다 한 줄 요약, 멈춤·되돌림 알림).
- ``scheduler_interval``: 에폭 단위 스케줄러와 ``ReduceLROnPlateau``도 부른다(5장의 것은 배치마다만).
- ``restore_best=False``, ``History.last_state``, ``history=``로 이어서 학습하기(7장).
- dict 대신 ``History``(``seconds``, ``best_val_acc``, ``stopped_early``; 콜백도 이것을 받는다).
- 손실과 맞힌 개수를 장치 위에 쌓아 에폭 끝에 한 번 읽기(아래), 잘못된 인자와 빈 로더에 알아듣기 쉬운 오류.

이 목록을 바꾸면 5장의 표와 검사 셀(``helpers.fit``에만 있는 인자 목록)도 함께 고친다.

- ``train_one_epoch``: 학습 세트를 한 번 돈다 (``model.train()``, ``zero_grad``, ``backward``, ``step``).
- ``evaluate``: ``model.eval()`` + ``torch.inference_mode()``로 손실과 정확도만 잰다.
- ``fit``: 에폭마다 둘을 부르고, 검증 정확도가 가장 좋았던 모델을 기억했다가 되돌려 놓는다.
- ``to_device``: 배치를 장치로 옮긴다 (기다리지 않아도 안전한 CPU → CUDA 복사만 ``non_blocking``).

손실과 정확도는 배치마다 읽지 않고 장치 위에 쌓아 두었다가 에폭 끝에 한 번 읽는다
(GPU에서 ``.item()``은 그때까지의 계산이 끝나기를 기다린다).

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

__all__ = ["History", "evaluate", "fit", "to_device", "train_one_epoch"]

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
StateDict = dict[str, torch.Tensor]
Scheduler = torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau

_MEMORY_ONLY = ("best_state", "last_state")  # History에서 as_dict/from_dict가 다루지 않는 가중치 사본
_PROGRESS_INTERVAL = 0.5  # 진행 막대를 고치고 배치 손실을 읽는 간격(초)
_PER_BATCH_SCHEDULERS = (torch.optim.lr_scheduler.OneCycleLR, torch.optim.lr_scheduler.CyclicLR)


@dataclass
class History:
    """에폭마다의 기록. 목록 다섯 개는 길이가 같고, i번째 값이 에폭 i+1의 값이다.

    - ``train_loss``, ``val_loss``: 평균 손실, ``train_acc``, ``val_acc``: 정확도(%),
      ``seconds``: 그 에폭(학습 + 검증)에 걸린 초.
    - ``best_epoch``: 검증 정확도가 가장 높았던 에폭(1부터 센다). 같은 값이면 먼저 나온 에폭.
    - ``stopped_early``: 마지막 ``fit``이 조기 종료로 멈췄는지.
    - ``best_state``: 그 에폭의 가중치 사본(메모리에만 둔다; ``as_dict``에는 넣지 않는다).
      ``fit(..., history=history)``로 이어서 학습할 때 가장 좋은 가중치를 되돌리는 데 쓴다.
    - ``last_state``: ``fit``이 끝에서 가장 좋은 가중치로 바꿔 끼웠다면, 바꾸기 직전(마지막 에폭)의
      가중치 사본(메모리에만 둔다). 옵티마이저와 스케줄러는 마지막 에폭의 상태이므로, 이어서 학습할
      체크포인트에는 모델의 지금 가중치 대신 이것을 저장해야 셋이 맞는다. 바꿔 끼우지 않았으면 ``None``이고,
      ``fit``을 부를 때마다 ``None``으로 돌아간다.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    best_state: StateDict | None = field(default=None, repr=False, compare=False)
    last_state: StateDict | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.train_loss)

    @property
    def best_val_acc(self) -> float | None:
        """``best_epoch``의 검증 정확도."""
        return None if self.best_epoch is None else self.val_acc[self.best_epoch - 1]

    def as_dict(self) -> dict[str, Any]:
        """숫자만 담은 dict (``best_state``, ``last_state`` 제외). ``torch.save``나 JSON으로 저장하기 좋다."""
        return {f.name: _plain_copy(getattr(self, f.name)) for f in fields(self) if f.name not in _MEMORY_ONLY}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        """``as_dict()``로 만든 dict에서 기록을 되살린다 (``best_state``, ``last_state``는 비어 있다)."""
        names = {f.name for f in fields(cls)} - set(_MEMORY_ONLY)
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
    return tqdm(loader, desc=desc, leave=False, mininterval=_PROGRESS_INTERVAL)


def _show_batch_loss(bar, loss: torch.Tensor, shown_at: float) -> float:
    """막대 옆의 배치 손실을 ``_PROGRESS_INTERVAL``초에 한 번만 고치고, 고친 시각을 돌려준다.

    손실을 읽는 ``.item()``은 GPU를 기다리게 하므로 막대를 다시 그릴 때만큼만 읽는다.
    """
    now = time.perf_counter()
    if now - shown_at < _PROGRESS_INTERVAL:
        return shown_at
    bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
    return now


def _snapshot(model: nn.Module) -> StateDict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def to_device(tensor: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """``tensor``를 ``device``로 옮긴다. CPU → CUDA 복사만 기다리지 않고(``non_blocking=True``) 한다.

    CPU → CUDA는 뒤따르는 계산이 같은 CUDA 스트림에서 복사를 기다려 주므로 안전하다(고정 메모리면
    복사와 계산이 겹친다). CUDA → CPU나 CPU → MPS를 ``non_blocking``으로 하면 다 오기 전의 값을
    읽을 수 있으므로 나머지는 모두 보통 복사로 한다.
    """
    device = torch.device(device)
    non_blocking = tensor.device.type == "cpu" and device.type == "cuda"
    return tensor.to(device, non_blocking=non_blocking)


class _Totals:
    """배치마다의 손실 합과 맞힌 개수를 장치 위에 쌓아 두었다가 끝에 한 번만 읽는다.

    손실 합은 float64로 쌓는다(배치마다 ``.item()``으로 읽어 파이썬 float로 더한 것과 비트까지 같다).
    float64가 없는 MPS에서만 float32로 쌓는다.
    """

    def __init__(self) -> None:
        self.loss: torch.Tensor | None = None
        self.correct: torch.Tensor | None = None
        self.count = 0

    def add(self, loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor) -> None:
        """배치 하나의 (평균) 손실과 맞힌 개수를 더한다. 장치를 기다리지 않는다."""
        if self.loss is None:
            dtype = torch.float32 if loss.device.type == "mps" else torch.float64
            self.loss = torch.zeros((), dtype=dtype, device=loss.device)
            self.correct = torch.zeros((), dtype=torch.int64, device=logits.device)
        n = y.size(0)
        self.loss += loss.detach().to(self.loss.dtype) * n
        self.correct += (logits.argmax(dim=1) == y).sum()
        self.count += n

    def result(self) -> tuple[float, float]:
        """(평균 손실, 정확도 %). 여기서 처음으로 장치를 기다린다."""
        return self.loss.item() / self.count, 100.0 * self.correct.item() / self.count


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
    그 옆에 지금 배치의 손실을 보여 준다(막대를 다시 그리는 0.5초에 한 번만 읽는다).
    """
    device = torch.device(device) if device is not None else _device_of(model)
    model.train()
    totals = _Totals()
    batches = _progress_bar(loader, desc) if progress else loader
    shown_at = time.perf_counter()
    for x, y in batches:
        x, y = to_device(x, device), to_device(y, device)
        optimizer.zero_grad()
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        totals.add(loss, logits, y)
        if progress:
            shown_at = _show_batch_loss(batches, loss, shown_at)
    if progress:
        batches.close()
    if totals.count == 0:
        raise ValueError(
            "학습 로더가 배치를 하나도 내놓지 않았습니다 (데이터가 비었거나, drop_last 때문이거나, "
            "한 번 돌면 끝나는 제너레이터를 넘겼을 수 있습니다)."
        )
    return totals.result()


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
    totals = _Totals()
    with torch.inference_mode():
        for x, y in loader:
            x, y = to_device(x, device), to_device(y, device)
            logits = model(x)
            totals.add(loss_fn(logits, y), logits, y)
    if totals.count == 0:
        raise ValueError("평가 로더가 배치를 하나도 내놓지 않았습니다.")
    return totals.result()


def _scheduler_interval(scheduler: Scheduler | None, interval: str | None) -> str | None:
    """스케줄러를 언제 부를지: ``"batch"``(배치마다), ``"epoch"``(에폭마다), 스케줄러가 없으면 ``None``.

    ``interval``이 ``None``이면 종류로 정한다: ``OneCycleLR``, ``CyclicLR``은 배치마다, 나머지는 에폭마다.
    """
    if interval not in (None, "batch", "epoch"):
        raise ValueError(f'scheduler_interval은 "batch", "epoch", None 가운데 하나여야 합니다: {interval!r}')
    if scheduler is None:
        return None
    if interval is None:
        return "batch" if isinstance(scheduler, _PER_BATCH_SCHEDULERS) else "epoch"
    if interval == "batch" and isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        raise ValueError(
            "ReduceLROnPlateau는 에폭마다 검증 손실을 보고 학습률을 바꾸므로 배치마다 부를 수 없습니다 "
            '(scheduler_interval="epoch"이나 None을 쓰세요).'
        )
    return interval


def _step_per_epoch(scheduler: Scheduler, val_loss: float) -> None:
    """에폭이 끝날 때 스케줄러를 한 번 부른다. ``ReduceLROnPlateau``에는 검증 손실을 넘긴다."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(val_loss)
    else:
        scheduler.step()


def _restore_best(model: nn.Module, history: History, verbose: bool) -> None:
    """가장 좋았던 에폭의 가중치로 되돌리고, 바꾸기 전의 마지막 가중치는 ``history.last_state``에 남긴다."""
    if history.best_state is None:
        warnings.warn(
            f"에폭 {history.best_epoch}의 가중치 사본이 없어 되돌리지 못했습니다 "
            "(as_dict/from_dict로 되살린 기록에는 가중치가 없습니다). 마지막 가중치를 그대로 둡니다.",
            RuntimeWarning,
            stacklevel=3,
        )
    elif history.best_epoch != len(history):
        history.last_state = _snapshot(model)
        model.load_state_dict(history.best_state)
        if verbose:
            print(f"검증 정확도가 가장 높았던 에폭 {history.best_epoch}의 가중치로 되돌렸습니다 "
                  f"({history.best_val_acc:.2f}%).")


def fit(
    model: nn.Module,
    train_loader: Batches,
    val_loader: Batches,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn,
    epochs: int,
    device: torch.device | str | None = None,
    scheduler: Scheduler | None = None,
    patience: int | None = None,
    restore_best: bool = True,
    progress: bool = True,
    verbose: bool = True,
    history: History | None = None,
    on_epoch_end: Callable[[int, History], None] | None = None,
    scheduler_interval: str | None = None,
) -> History:
    """``epochs``번 학습하고 에폭마다 검증한다. 기록(``History``)을 돌려준다.

    Args:
        model: 학습할 모델. ``device``를 주지 않으면 모델의 파라미터가 있는 장치를 쓴다.
        train_loader, val_loader: ``(x, y)`` 배치를 내놓고 에폭마다 다시 돌 수 있는 것.
        optimizer: ``model.parameters()``로 만든 옵티마이저.
        loss_fn: ``loss_fn(logits, y)``가 배치 평균 손실을 돌려주는 함수 (예: ``nn.CrossEntropyLoss()``).
        epochs: 마지막 에폭의 번호. 새로 시작하면 학습할 에폭 수와 같다.
        device: 배치를 옮길 장치 (``None``이면 모델의 장치).
        scheduler: 학습률 스케줄러 (없으면 ``None``). 언제 부를지는 ``scheduler_interval``이 정한다.
        patience: 검증 정확도가 이만큼의 에폭 동안 나아지지 않으면 일찍 멈춘다 (``None``이면 멈추지 않는다).
        restore_best: 끝날 때 검증 정확도가 가장 높았던 에폭의 가중치로 되돌린다(마지막 에폭의
            가중치는 ``history.last_state``에 남는다). ``False``이면 마지막 에폭의 가중치를 그대로 둔다.
        progress: 에폭마다 진행 막대 하나(``tqdm.auto``; 막대 옆에 배치 손실).
        verbose: 에폭마다 한 줄 요약을 출력한다. ``progress=False, verbose=False``이면 아무것도 출력하지 않는다.
        history: 이어서 학습할 때 지난 기록. 에폭은 ``len(history) + 1``부터 ``epochs``까지 돌고,
            기록은 이 객체에 덧붙는다.
        on_epoch_end: 에폭이 끝날 때마다 ``on_epoch_end(epoch, history)``로 불린다 (예: 체크포인트 저장).
            에폭마다 부르는 스케줄러는 그 전에 이미 불렸다.
        scheduler_interval: ``"batch"``이면 배치마다 ``scheduler.step()``, ``"epoch"``이면 검증이 끝난 뒤
            에폭마다 한 번 (``ReduceLROnPlateau``는 ``scheduler.step(검증 손실)``). ``None``이면 종류로 정한다:
            ``OneCycleLR``과 ``CyclicLR``은 배치마다, ``StepLR``, ``CosineAnnealingLR``, ``ReduceLROnPlateau`` 등
            나머지는 에폭마다.

    Returns:
        ``History``: 에폭마다의 학습·검증 손실과 정확도(%), 걸린 초, 가장 좋았던 에폭.

    같은 시드로 만든 모델·옵티마이저·로더라면 CPU에서 몇 번을 돌려도 똑같은 기록과 가중치가 나온다.
    """
    if epochs < 1:
        raise ValueError(f"epochs는 1 이상이어야 합니다: {epochs}")
    if patience is not None and patience < 1:
        raise ValueError(f"patience는 1 이상이어야 합니다: {patience}")
    interval = _scheduler_interval(scheduler, scheduler_interval)
    device = torch.device(device) if device is not None else _device_of(model)
    history = history if history is not None else History()
    history.stopped_early = False
    history.last_state = None
    epochs_without_improvement = 0
    if history.best_epoch is not None:
        epochs_without_improvement = len(history) - history.best_epoch

    for epoch in range(len(history) + 1, epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = train_one_epoch(
            model, train_loader, loss_fn, optimizer, device, scheduler if interval == "batch" else None,
            progress=progress, desc=f"에폭 {epoch}/{epochs}",
        )
        val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
        if interval == "epoch":
            _step_per_epoch(scheduler, val_loss)
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
        _restore_best(model, history, verbose)
    return history
