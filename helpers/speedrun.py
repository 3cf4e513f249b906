"""8장의 사다리: MNIST 학습을 한 번에 한 가지씩 바꿔 가며 빠르게 만들고, 단마다 시간과 정확도를 잰다.

한 단(``Recipe``)은 "무엇으로 얼마나 학습하는가"를 적은 값이다. ``Recipe.but``으로 앞 단에서 한 가지만
바꾼 다음 단을 만든다. ``run_recipe``가 한 단을 시드 하나로 학습해 (학습 시간, 테스트 정확도)를 돌려주고,
``run_ladder``가 단마다 같은 시드들로 그것을 되풀이한다. 노트북(8장)과 셸(``benchmarks/mnist_speedrun.py``)이
모두 여기를 부른다.

시간 재기의 규칙 (1장, 3장과 같다):

- 재는 것은 **학습의 벽시계 시간**이다: 모델을 만들고, (``compile``이면) 컴파일하고, 정해진 에폭만큼 학습해
  마지막 걸음이 끝날 때까지. 디스크에서 데이터를 읽는 일(``MnistData.load``)은 따로 재고 넣지 않는다.
  ``DataLoader`` 단의 배치 만들기(샘플마다 변환)는 학습 중에 일어나므로 들어간다.
- GPU는 일을 미뤄 두고 먼저 돌아오므로 시계를 읽기 전에 동기화한다.
- 평가는 학습이 끝난 뒤 테스트 세트에서 한 번 하고, 시간에 넣지 않는다.
"""
from __future__ import annotations

import contextlib
import dataclasses
import statistics
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from helpers.benchmark import _synchronize  # GPU는 시계를 읽기 전에 기다린다 (3장의 처리량 측정과 같은 규칙)

__all__ = ["FINAL", "FastCNN", "MnistData", "Recipe", "RunResult", "amp_dtype", "compile_payback", "ladder_table", "run_ladder",
           "run_recipe", "step_breakdown", "training_flops"]


class FastCNN(nn.Module):
    """정해진 시간 안에 99%를 내려고 작게 만든 합성곱 신경망 (tuomaso/train_mnist_fast의 신경망과 같은 구조).

    합성곱 1→24(커널 5), 풀링, 24→32(커널 3), 풀링, 완전 연결 800→256→10. 패딩도 배치 정규화도 없다.
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 24, kernel_size=5),    # [N, 1, 28, 28] → [N, 24, 24, 24]
            nn.ReLU(),
            nn.MaxPool2d(2),                    # → [N, 24, 12, 12]
            nn.Conv2d(24, 32, kernel_size=3),   # → [N, 32, 10, 10]
            nn.ReLU(),
            nn.MaxPool2d(2),                    # → [N, 32, 5, 5]
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                       # → [N, 800]
            nn.Linear(32 * 5 * 5, 256),
            nn.ReLU(),
            nn.Linear(256, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@dataclass(frozen=True)
class Recipe:
    """사다리의 한 단. 기본값은 첫 단(6장의 깊은 CNN과 옵티마이저, 3장의 ``DataLoader``로 한 에폭)이다."""

    name: str = "6장의 모델 + DataLoader"
    model: str = "deep"               # "deep": helpers.DeepCNN (6장), "fast": FastCNN
    loader: str = "dataloader"        # "dataloader": datasets.MNIST + transforms + DataLoader, "memory": InMemoryLoader
    batch_size: int = 128
    optimizer: str = "adamw"          # "adamw": AdamW(weight_decay=1e-4) (6장), "adam": Adam
    lr: float = 3e-3                  # OneCycleLR의 가장 높은 학습률
    betas: tuple[float, float] = (0.9, 0.999)
    epochs: int = 1
    channels_last: bool = False       # 입력과 가중치를 채널이 마지막인 메모리 배치로
    autocast: bool = False            # 순전파를 낮은 정밀도로 (amp_dtype: CPU와 Ampere 이후 GPU는 bfloat16)
    compile: bool = False             # torch.compile
    sync_every_step: bool = True      # 배치마다 loss.item()으로 손실을 읽는다 (5장에서 직접 만든 train_one_epoch처럼)

    def but(self, name: str, **changes) -> "Recipe":
        """이 단에서 ``changes``만 바꾼 다음 단."""
        return dataclasses.replace(self, name=name, **changes)

    def changes_from(self, other: "Recipe") -> dict:
        """``other``(앞 단)와 다른 설정들: {이름: 이 단의 값}."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "name" and getattr(self, f.name) != getattr(other, f.name)}


# 8장이 사다리 끝에서 고른 조리법 (2코어 CPU, 검증 세트로 고른 설정 + channels_last + bfloat16 + 동기화 없음).
# 셸의 benchmarks/mnist_speedrun.py가 쓴다. 8장의 검사 셀이 원래 길이의 CPU 실행에서 장이 고른 것과 같은지 본다.
FINAL = Recipe(name="배치마다 동기화하지 않기", model="fast", loader="memory", batch_size=128, optimizer="adam", lr=0.01,
               betas=(0.7, 0.9), epochs=2, channels_last=True, autocast=True, sync_every_step=False)


@dataclass
class RunResult:
    """한 단을 시드 하나로 학습한 결과."""

    seconds: float          # 학습의 벽시계 시간 (컴파일 포함)
    test_acc: float         # 테스트 정확도 (%)
    steps: int              # 옵티마이저 걸음 수
    final_loss: float       # 마지막 에폭의 평균 학습 손실


class MnistData:
    """사다리가 쓰는 MNIST: 학습·테스트 텐서(정규화한 float ``[N, 1, 28, 28]``)와 데이터 폴더."""

    def __init__(self, root, x_train, y_train, x_test, y_test, mean: float, std: float) -> None:
        self.root, self.mean, self.std = root, mean, std
        self.x_train, self.y_train, self.x_test, self.y_test = x_train, y_train, x_test, y_test

    @classmethod
    def load(cls, train_subset: int | None = None, test_subset: int | None = None) -> "MnistData":
        """디스크에서 읽어 정규화한다. 평균과 표준편차는 (쓰는) 학습 이미지에서 잰다."""
        from helpers.data import ensure_dataset, load_tensors

        root = ensure_dataset("MNIST", verbose=False)
        train_images, y_train = load_tensors("MNIST", train=True)
        test_images, y_test = load_tensors("MNIST", train=False)
        train_images, y_train = train_images[:train_subset], y_train[:train_subset]
        test_images, y_test = test_images[:test_subset], y_test[:test_subset]
        pixels = train_images.float() / 255
        mean, std = pixels.mean().item(), pixels.std().item()

        def to_input(raw):
            return ((raw.float() / 255 - mean) / std).unsqueeze(1)

        return cls(root, to_input(train_images), y_train, to_input(test_images), y_test, mean, std)

    def holdout(self, val_size: int, seed: int) -> "MnistData":
        """학습 이미지에서 ``val_size``장을 떼어 검증 세트로 쓰는 사본. 돌려받은 것의 "테스트"가 검증 세트다.

        설정(배치 크기, 학습률)은 이것으로 고르고, 진짜 테스트 세트는 고른 뒤에 한 번만 쓴다.
        ``DataLoader`` 단은 쓸 수 없다(학습 이미지를 섞어 고르므로 데이터 폴더의 순서와 다르다).
        """
        if not 0 < val_size < len(self.y_train):
            raise ValueError(f"val_size는 1 이상 {len(self.y_train) - 1} 이하입니다: {val_size}")
        order = torch.randperm(len(self.y_train), generator=torch.Generator().manual_seed(seed))
        val, train = order[:val_size], order[val_size:]
        return MnistData(None, self.x_train[train], self.y_train[train], self.x_train[val], self.y_train[val],
                         self.mean, self.std)

    def train_loader(self, recipe: Recipe, seed: int, device: torch.device):
        """단의 ``loader`` 설정대로 학습 배치를 내는 로더. 섞는 순서는 ``seed``로 정해진다.

        마지막의 작은 배치는 버린다(``drop_last=True``): 모든 걸음의 배치 모양이 같아야 ``torch.compile``이 다시
        컴파일하지 않는다. 모든 단이 같은 규칙을 따른다.
        """
        generator = torch.Generator().manual_seed(seed)
        if recipe.loader == "memory":
            from helpers.data import InMemoryLoader
            return InMemoryLoader(self.x_train, self.y_train, recipe.batch_size, shuffle=True, drop_last=True,
                                  generator=generator, device=device)
        if recipe.loader == "dataloader":
            if self.root is None:
                raise ValueError("holdout()으로 나눈 데이터에는 DataLoader 단을 쓸 수 없습니다 (loader='memory'로)")
            from torch.utils.data import DataLoader, Subset
            from torchvision import datasets, transforms

            transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((self.mean,), (self.std,))])
            dataset = datasets.MNIST(self.root, train=True, download=True, transform=transform)
            if len(self.y_train) < len(dataset):
                dataset = Subset(dataset, range(len(self.y_train)))
            return DataLoader(dataset, batch_size=recipe.batch_size, shuffle=True, drop_last=True, generator=generator)
        raise ValueError(f"loader는 'dataloader'나 'memory'입니다: {recipe.loader!r}")


def amp_dtype(device: torch.device) -> torch.dtype | None:
    """``autocast``가 쓸 낮은 정밀도: CPU와 bfloat16을 빠르게 계산하는 GPU(Ampere 이후)는 bfloat16, 그 전의 GPU는
    float16(손실 크기 조절이 필요하다), 그 밖의 장치는 ``None``(쓰지 않음)."""
    device = torch.device(device)
    if device.type == "cpu":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.get_device_capability(device)[0] >= 8 else torch.float16
    return None


def _build(recipe: Recipe, device: torch.device, steps: int):
    """(모델, 옵티마이저, 스케줄러). 모델은 ``channels_last``·``compile`` 설정까지 적용한 것."""
    from helpers.models import DeepCNN

    models = {"deep": DeepCNN, "fast": FastCNN}
    if recipe.model not in models:
        raise ValueError(f"model은 {sorted(models)} 가운데 하나입니다: {recipe.model!r}")
    model = models[recipe.model]().to(device)
    if recipe.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if recipe.optimizer == "adamw":
        optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, betas=recipe.betas, weight_decay=1e-4)
    elif recipe.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, betas=recipe.betas)
    else:
        raise ValueError(f"optimizer는 'adamw'나 'adam'입니다: {recipe.optimizer!r}")
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=steps)
    trained = torch.compile(model) if recipe.compile else model
    return model, trained, optimizer, scheduler


def test_accuracy(model: nn.Module, data: MnistData, device: torch.device, batch_size: int = 1000) -> float:
    """테스트 세트 전체의 정확도 (%). ``model.eval()``과 ``inference_mode``로 한 번 센다."""
    model.eval()
    correct = 0
    with torch.inference_mode():
        for x, y in zip(data.x_test.split(batch_size), data.y_test.split(batch_size)):
            correct += (model(x.to(device)).argmax(dim=1).cpu() == y).sum().item()
    return 100 * correct / len(data.y_test)


class _Step:
    """조리법대로 학습 한 걸음을 하는 함수: 입력을 장치와 메모리 배치에 맞추고, (혼합 정밀도로) 순전파·역전파·step.

    ``run_recipe``, ``compile_payback``이 같은 걸음을 쓴다. 부르면 이 걸음의 손실(장치 위의 텐서)을 돌려준다.
    """

    def __init__(self, recipe: Recipe, device: torch.device, steps: int) -> None:
        self.recipe, self.device = recipe, device
        self.dtype = amp_dtype(device) if recipe.autocast else None
        if recipe.autocast and self.dtype is None:
            raise ValueError(f"{device.type} 장치에서는 이 책의 autocast 단을 쓰지 않습니다 (cpu나 cuda에서 실행하세요)")
        self.model, self.trained, self.optimizer, self.scheduler = _build(recipe, device, steps)
        # float16은 손실 크기를 조절한다. GradScaler.step()은 기울기에 inf가 있는지 읽느라 걸음마다 동기화한다
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.dtype == torch.float16)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, y = x.to(self.device), y.to(self.device)
        if self.recipe.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        autocast = torch.autocast(self.device.type, dtype=self.dtype) if self.dtype else contextlib.nullcontext()
        with autocast:
            loss = nn.functional.cross_entropy(self.trained(x), y)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return loss.detach()


def run_recipe(recipe: Recipe, data: MnistData, seed: int, device: torch.device | str) -> RunResult:
    """``recipe``를 시드 ``seed``로 처음부터 학습하고 테스트 세트에서 한 번 평가한다."""
    from helpers.seed import set_seed

    device = torch.device(device)
    set_seed(seed)
    loader = data.train_loader(recipe, seed, device)
    steps = recipe.epochs * len(loader)

    _synchronize(device)
    start = time.perf_counter()
    step = _Step(recipe, device, steps)      # 모델 만들기도 학습 시간에 넣는다
    step.trained.train()
    for _ in range(recipe.epochs):
        total, count = torch.zeros((), device=device), 0
        for x, y in loader:
            loss = step(x, y)
            if recipe.sync_every_step:
                total += loss.item() * len(y)   # .item(): GPU가 이 걸음을 끝낼 때까지 CPU가 기다린다
            else:
                total += loss * len(y)          # 장치 위에서 더하기만 하고, 읽는 것은 에폭 끝에서 한 번
            count += len(y)
        final_loss = total.item() / count
    _synchronize(device)
    seconds = time.perf_counter() - start
    return RunResult(seconds, test_accuracy(step.model, data, device), steps, final_loss)


@dataclass
class RungResult:
    """한 단을 여러 시드로 학습한 결과."""

    recipe: Recipe
    runs: list[RunResult]

    @property
    def seconds(self) -> float:
        """학습 시간의 중앙값 (1장의 규칙: 한 번 튄 값에 끌려가지 않게)."""
        return statistics.median(r.seconds for r in self.runs)

    @property
    def accuracy(self) -> float:
        return statistics.mean(r.test_acc for r in self.runs)

    @property
    def min_accuracy(self) -> float:
        return min(r.test_acc for r in self.runs)


def run_ladder(recipes: Sequence[Recipe], data: MnistData, seeds: Sequence[int], device: torch.device | str,
               report: Callable[[str], None] | None = print) -> list[RungResult]:
    """단마다 같은 ``seeds``로 ``run_recipe``를 돌린다. ``report``가 있으면 한 번 학습할 때마다 한 줄 알린다."""
    results = []
    for recipe in recipes:
        runs = []
        for seed in seeds:
            runs.append(run_recipe(recipe, data, seed, device))
            if report:
                report(f"{recipe.name:24s} 시드 {seed}: {runs[-1].seconds:6.1f}초, 테스트 {runs[-1].test_acc:.2f}%")
        results.append(RungResult(recipe, runs))
    return results


def ladder_table(results: Sequence[RungResult], bar: float):
    """사다리 표 (``pandas.DataFrame``): 단마다 학습 시간(중앙값), 테스트 정확도(평균, 최저), 목표를 넘었는지, 첫 단 대비 배속."""
    import pandas as pd

    first = results[0].seconds
    rows = []
    for result in results:
        rows.append({
            "단": result.recipe.name,
            "학습 시간 (초, 중앙값)": round(result.seconds, 1),
            "테스트 정확도 (%)": round(result.accuracy, 2),
            "가장 낮은 정확도 (%)": round(result.min_accuracy, 2),
            f"평균 {bar}% 이상": "✓" if result.accuracy >= bar else "✗",
            "첫 단 대비 배속": round(first / result.seconds, 1),
        })
    return pd.DataFrame(rows).set_index("단")


def training_flops(model: nn.Module, batch: torch.Tensor, labels: torch.Tensor) -> int:
    """학습 한 걸음(순전파 + 역전파)의 부동소수점 연산 수. ``torch.utils.flop_counter``가 합성곱과 행렬 곱을 센다."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        nn.functional.cross_entropy(model(batch), labels).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def step_breakdown(recipe: Recipe, data: MnistData, device: torch.device | str, steps: int = 30,
                   warmup: int = 5) -> dict[str, float]:
    """한 걸음의 시간이 어디에 쓰이는지: {"배치 만들기", "순전파", "역전파", "옵티마이저"} → 걸음당 밀리초.

    단계마다 동기화한 뒤 시계를 읽으므로(GPU가 일을 겹쳐 하지 못하게 한다) 합이 실제 걸음보다 조금 길 수 있다.
    처음 ``warmup``걸음은 재지 않는다. ``compile``은 보지 않는다(컴파일한 모델은 순전파와 역전파를 나누어 잴 수 없다).
    ``autocast``이면 순전파를 혼합 정밀도로 한다(손실 크기 조절은 하지 않는다: 시간만 잰다).
    """
    device = torch.device(device)
    torch.manual_seed(0)
    loader = data.train_loader(recipe, 0, device)
    model, _, optimizer, _ = _build(dataclasses.replace(recipe, compile=False), device, warmup + steps)
    model.train()
    dtype = amp_dtype(device) if recipe.autocast else None
    spent = dict.fromkeys(["배치 만들기", "순전파", "역전파", "옵티마이저"], 0.0)

    def endless():  # 데이터가 적어 한 에폭이 모자라면 처음부터 다시 돈다
        while True:
            yield from loader

    batches = endless()

    def tick(name: str, start: float, counted: bool) -> float:
        _synchronize(device)
        now = time.perf_counter()
        if counted:
            spent[name] += now - start
        return now

    for k in range(warmup + steps):
        counted = k >= warmup
        start = time.perf_counter()
        x, y = next(batches)
        x, y = x.to(device), y.to(device)
        if recipe.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        start = tick("배치 만들기", start, counted)
        with torch.autocast(device.type, dtype=dtype) if dtype else contextlib.nullcontext():
            loss = nn.functional.cross_entropy(model(x), y)
        start = tick("순전파", start, counted)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        start = tick("역전파", start, counted)
        optimizer.step()
        tick("옵티마이저", start, counted)
    return {name: 1000 * seconds / steps for name, seconds in spent.items()}


def compile_payback(recipe: Recipe, data: MnistData, device: torch.device | str,
                    min_run_time: float = 2.0) -> dict[str, float | None]:
    """``torch.compile``이 본전을 찾는 걸음 수.

    ``recipe``의 학습 한 걸음을 (1) 그대로, (2) 컴파일한 모델로 ``torch.utils.benchmark``로 잰다(준비 운동 뒤
    ``min_run_time``초 동안 되풀이한 중앙값). 컴파일 시간은 컴파일한 모델의 첫 걸음 시간에서 보통 걸음을 뺀 값이다.
    이 프로세스에서 처음 컴파일할 때 불러야 처음 컴파일하는 비용이 잡힌다(한 번 컴파일한 것은 캐시에 남는다).
    돌려주는 것: ``compile_seconds``, ``eager_ms``, ``compiled_ms``, ``breakeven_steps``(컴파일한 걸음이
    빠르지 않으면 ``None``: 본전을 찾지 못한다).
    """
    from torch.utils import benchmark

    device = torch.device(device)
    x, y = data.x_train[:recipe.batch_size].to(device), data.y_train[:recipe.batch_size].to(device)  # 옮기는 시간은 빼고 잰다
    timings = {}
    for compiled in (True, False):
        torch.manual_seed(0)
        # 스케줄러가 학습률을 끝까지 내리지 않도록 걸음 수를 넉넉히 준다 (여기서는 시간만 잰다)
        step = _Step(dataclasses.replace(recipe, compile=compiled), device, steps=1_000_000)
        step.trained.train()
        _synchronize(device)
        start = time.perf_counter()
        step(x, y)                   # 컴파일한 모델은 여기서 컴파일한다 (순전파와 역전파 모두)
        _synchronize(device)
        first = time.perf_counter() - start
        timer = benchmark.Timer("step(x, y)", globals={"step": step, "x": x, "y": y},
                                num_threads=torch.get_num_threads())
        timings[compiled] = (first, timer.blocked_autorange(min_run_time=min_run_time).median)
    (_, eager), (first, compiled_step) = timings[False], timings[True]
    saved = eager - compiled_step
    compile_seconds = first - compiled_step
    return {"compile_seconds": compile_seconds, "eager_ms": 1000 * eager, "compiled_ms": 1000 * compiled_step,
            "breakeven_steps": compile_seconds / saved if saved > 0 else None}
