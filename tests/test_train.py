"""helpers.train의 단위 테스트: 작은 합성 텐서로 빠르게."""
from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

from helpers import train as train_module
from helpers.data import InMemoryLoader
from helpers.train import History, evaluate, fit, train_one_epoch

HISTORY_LISTS = ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")


def make_data(n: int = 96, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """두 덩어리로 나뉜 8차원 점들: 배우기 쉬운 3개 클래스 문제."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = torch.randn(n, 8, generator=g) + 2.0 * nn.functional.one_hot(y, 8).float()
    return x, y


def make_model(seed: int = 0, dropout: bool = False, batch_norm: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(8, 16)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(16))
    layers.append(nn.ReLU())
    if dropout:
        layers.append(nn.Dropout(0.5))
    layers.append(nn.Linear(16, 3))
    return nn.Sequential(*layers)


def batches(x: torch.Tensor, y: torch.Tensor, size: int = 16) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def setup(seed: int):
    """같은 시드면 똑같은 (모델, 섞는 학습 로더, 검증 로더, 옵티마이저)."""
    x, y = make_data()
    model = make_model(seed, dropout=True)
    train = InMemoryLoader(x[:64], y[:64], 16, shuffle=True, generator=torch.Generator().manual_seed(seed))
    val = InMemoryLoader(x[64:], y[64:], 16)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, train, val, opt


def run_fit(seed: int = 0, epochs: int = 4, **kwargs) -> tuple[nn.Module, History]:
    model, train, val, opt = setup(seed)
    kwargs.setdefault("progress", False)
    kwargs.setdefault("verbose", False)
    history = fit(model, train, val, opt, nn.CrossEntropyLoss(), epochs, **kwargs)
    return model, history


def without_seconds(history: History) -> dict:
    d = history.as_dict()
    d.pop("seconds")
    return d


def test_history_shape_and_keys():
    _, history = run_fit(epochs=3)
    d = history.as_dict()
    assert set(d) == {*HISTORY_LISTS, "best_epoch", "stopped_early"}
    assert len(history) == 3
    for key in HISTORY_LISTS:
        assert len(d[key]) == 3 and all(isinstance(v, float) for v in d[key])
    assert all(0.0 <= a <= 100.0 for a in d["train_acc"] + d["val_acc"])
    assert all(s >= 0 for s in d["seconds"])
    assert 1 <= history.best_epoch <= 3
    assert history.best_val_acc == max(history.val_acc)
    assert history.stopped_early is False
    assert History.from_dict(d).as_dict() == d


def test_same_seed_same_history_and_weights():
    model_a, hist_a = run_fit(seed=3)
    model_b, hist_b = run_fit(seed=3)
    assert without_seconds(hist_a) == without_seconds(hist_b)
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        assert torch.equal(pa, pb)
    _, hist_c = run_fit(seed=4)
    assert without_seconds(hist_c) != without_seconds(hist_a)


def test_fit_equals_train_one_epoch_and_evaluate():
    """fit은 train_one_epoch과 evaluate를 차례로 부른 것과 똑같다 (restore_best=False일 때)."""
    model_fit, hist = run_fit(seed=1, epochs=3, restore_best=False)
    model, train, val, opt = setup(1)
    by_hand = []
    for _ in range(3):
        by_hand.append((*train_one_epoch(model, train, nn.CrossEntropyLoss(), opt),
                        *evaluate(model, val, nn.CrossEntropyLoss())))
    assert by_hand == list(zip(hist.train_loss, hist.train_acc, hist.val_loss, hist.val_acc))
    for pa, pb in zip(model_fit.parameters(), model.parameters()):
        assert torch.equal(pa, pb)


def test_restore_best_loads_best_weights():
    seen: dict[int, dict] = {}

    def remember(epoch: int, history: History) -> None:
        seen[epoch] = copy.deepcopy(history.best_state)

    # 학습률이 지나치게 커서 검증 정확도가 오르내린다: 가장 좋은 에폭이 마지막이 아니다
    x, y = make_data()
    model = make_model(0)
    train = InMemoryLoader(x[:64], y[:64], 16, shuffle=True, generator=torch.Generator().manual_seed(0))
    val = InMemoryLoader(x[64:], y[64:], 16)
    opt = torch.optim.SGD(model.parameters(), lr=5.0)
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, train, val, opt, loss_fn, 8, progress=False, verbose=False, on_epoch_end=remember)
    assert history.best_epoch < len(history), "테스트 가정: 가장 좋은 에폭이 마지막이 아니어야 한다"
    best = seen[history.best_epoch]
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, best[name])
    assert evaluate(model, val, loss_fn)[1] == history.best_val_acc
    assert history.best_val_acc == max(history.val_acc)
    assert history.best_epoch == history.val_acc.index(max(history.val_acc)) + 1


def test_restore_best_false_keeps_last_weights():
    model, history = run_fit(seed=2, epochs=3, restore_best=False)
    again, _ = run_fit(seed=2, epochs=3, restore_best=False)
    for pa, pb in zip(model.parameters(), again.parameters()):
        assert torch.equal(pa, pb)
    x, y = make_data()
    assert evaluate(model, InMemoryLoader(x[64:], y[64:], 16), nn.CrossEntropyLoss())[1] == history.val_acc[-1]


def test_early_stopping_stops():
    x, y = make_data()
    model = make_model(0)
    train = InMemoryLoader(x[:64], y[:64], 16)
    val = InMemoryLoader(x[64:], y[64:], 16)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # 배우지 않는다: 검증 정확도가 그대로다
    history = fit(model, train, val, opt, nn.CrossEntropyLoss(), 20, patience=2, progress=False, verbose=False)
    assert history.stopped_early is True
    assert len(history) == 3  # 에폭 1이 최고, 2·3에서 나아지지 않아 멈춘다
    assert history.best_epoch == 1


def test_no_early_stop_without_patience():
    x, y = make_data()
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    history = fit(model, batches(x[:64], y[:64]), batches(x[64:], y[64:]), opt, nn.CrossEntropyLoss(), 5,
                  progress=False, verbose=False)
    assert len(history) == 5 and history.stopped_early is False


def test_continue_with_history():
    """5에폭 한 번 = 3에폭 + 이어서 2에폭 (같은 모델·옵티마이저·로더)."""
    _, whole = run_fit(seed=5, epochs=5, restore_best=False)
    model, train, val, opt = setup(5)
    args = (model, train, val, opt, nn.CrossEntropyLoss())
    history = fit(*args, 3, restore_best=False, progress=False, verbose=False)
    returned = fit(*args, 5, restore_best=False, progress=False, verbose=False, history=history)
    assert returned is history
    assert without_seconds(history) == without_seconds(whole)


def test_continue_restores_best_from_earlier_call():
    x, y = make_data()
    model = make_model(0)
    val = InMemoryLoader(x[64:], y[64:], 16)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, batches(x[:64], y[:64]), val, opt, loss_fn, 2, progress=False, verbose=False)
    best = copy.deepcopy(history.best_state)
    # 학습률 0으로 되돌리고 망가뜨린 뒤 이어서: 새 최고가 없으므로 앞 호출의 최고로 되돌아가야 한다
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    for group in opt.param_groups:
        group["lr"] = 0.0
    fit(model, batches(x[:64], y[:64]), val, opt, loss_fn, 4, patience=1, history=history,
        progress=False, verbose=False)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, best[name])


def test_evaluate_changes_nothing_and_builds_no_graph():
    x, y = make_data()
    model = make_model(0, dropout=True, batch_norm=True)
    model.train()
    model(x)  # 배치 정규화의 통계를 한 번 쌓아 둔다
    before = copy.deepcopy(model.state_dict())
    outputs: list[torch.Tensor] = []
    model[-1].register_forward_hook(lambda module, inputs, output: outputs.append(output))

    first = evaluate(model, batches(x, y), nn.CrossEntropyLoss())
    second = evaluate(model, batches(x, y), nn.CrossEntropyLoss())

    assert first == second  # 평가 모드: 드롭아웃이 꺼지고 저장된 통계를 쓴다
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[name]), name  # 가중치도, running_mean 같은 버퍼도 그대로
    assert all(p.grad is None for p in model.parameters())
    assert outputs and all(o.grad_fn is None and not o.requires_grad for o in outputs)
    assert not model.training


def test_eval_mode_alone_still_builds_a_graph():
    """5장의 요점: model.eval()만으로는 기울기 추적이 꺼지지 않는다."""
    x, _ = make_data()
    model = make_model(0).eval()
    out = model(x)
    assert out.requires_grad and out.grad_fn is not None
    with torch.inference_mode():
        assert model(x).grad_fn is None


@pytest.mark.parametrize("kind", ["list", "dataloader", "in_memory"])
def test_any_loader_of_pairs(kind):
    x, y = make_data()
    if kind == "list":
        train, val = batches(x[:64], y[:64]), batches(x[64:], y[64:])
    elif kind == "dataloader":
        train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True,
                           generator=torch.Generator().manual_seed(0))
        val = DataLoader(TensorDataset(x[64:], y[64:]), batch_size=16)
    else:
        train = InMemoryLoader(x[:64], y[:64], 16, shuffle=True, generator=torch.Generator().manual_seed(0))
        val = InMemoryLoader(x[64:], y[64:], 16)
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, train, val, opt, nn.CrossEntropyLoss(), 5, progress=False, verbose=False)
    assert len(history) == 5
    assert history.best_val_acc > 60.0  # 쉬운 문제: 실제로 배운다


def test_same_batches_same_numbers_across_loader_kinds():
    x, y = make_data()
    results = []
    for make in (lambda: batches(x[:64], y[:64]),
                 lambda: DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16),
                 lambda: InMemoryLoader(x[:64], y[:64], 16)):
        model = make_model(0)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        results.append(train_one_epoch(model, make(), nn.CrossEntropyLoss(), opt))
    assert results[0] == results[1] == results[2]


def test_one_shot_generator_fails_clearly():
    x, y = make_data()
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    once = iter(batches(x[:64], y[:64]))
    with pytest.raises(ValueError, match="제너레이터"):
        fit(model, once, batches(x[64:], y[64:]), opt, nn.CrossEntropyLoss(), 2, progress=False, verbose=False)


def test_bad_arguments():
    x, y = make_data()
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = batches(x, y)
    with pytest.raises(ValueError):
        fit(model, data, data, opt, nn.CrossEntropyLoss(), 0, progress=False, verbose=False)
    with pytest.raises(ValueError):
        fit(model, data, data, opt, nn.CrossEntropyLoss(), 2, patience=0, progress=False, verbose=False)
    with pytest.raises(ValueError):
        evaluate(model, [], nn.CrossEntropyLoss())


def test_silent_when_asked(capsys):
    run_fit(epochs=2, progress=False, verbose=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_and_progress(capsys):
    run_fit(epochs=2, progress=True, verbose=True)
    captured = capsys.readouterr()
    assert captured.out.count("에폭") >= 2 and "검증" in captured.out
    assert "에폭 1/2" in captured.err  # 진행 막대 (tqdm은 stderr에 그린다)


def test_scheduler_steps_per_batch():
    x, y = make_data()
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train = batches(x[:64], y[:64])  # 배치 4개
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=4 * 3)
    fit(model, train, batches(x[64:], y[64:]), opt, nn.CrossEntropyLoss(), 3, scheduler=sched,
        progress=False, verbose=False)
    assert sched.last_epoch == 12


def test_on_epoch_end_called_each_epoch():
    calls = []
    _, history = run_fit(epochs=3, on_epoch_end=lambda epoch, h: calls.append((epoch, len(h))))
    assert calls == [(1, 1), (2, 2), (3, 3)]


# --- 배치를 장치로 옮기기: CPU → CUDA만 non_blocking ---------------------------------------------


class RecordingTensor:
    """``.device``와 ``.to``만 있는 가짜 텐서: GPU 없이 ``to_device``가 넘긴 인자를 본다."""

    def __init__(self, device: str):
        self.device = torch.device(device)
        self.calls: list[tuple[tuple, dict]] = []

    def to(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self


@pytest.mark.parametrize("source, target, non_blocking", [
    ("cpu", "cuda", True),
    ("cpu", "cuda:1", True),
    ("cuda", "cpu", False),  # 다 오기 전에 CPU에서 읽을 수 있다
    ("cpu", "mps", False),  # pytorch#139550
    ("mps", "cpu", False),
    ("cuda:0", "cuda:1", False),
    ("cpu", "cpu", False),
])
def test_to_device_is_non_blocking_only_from_cpu_to_cuda(source, target, non_blocking):
    tensor = RecordingTensor(source)
    assert train_module.to_device(tensor, torch.device(target)) is tensor
    [(args, kwargs)] = tensor.calls
    assert args == (torch.device(target),)
    assert kwargs.get("non_blocking", False) is non_blocking


def test_to_device_with_real_cpu_tensor_and_device_name():
    x = torch.arange(3)
    assert train_module.to_device(x, "cpu") is x


def test_every_batch_copy_goes_through_to_device(monkeypatch):
    copies = []

    def recording(tensor, device):
        copies.append(device)
        return tensor.to(device)

    monkeypatch.setattr(train_module, "to_device", recording)
    x, y = make_data()
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train_one_epoch(model, batches(x[:64], y[:64]), nn.CrossEntropyLoss(), opt)  # 배치 4개
    assert copies == [torch.device("cpu")] * 8
    copies.clear()
    evaluate(model, batches(x[64:], y[64:]), nn.CrossEntropyLoss())  # 배치 2개
    assert copies == [torch.device("cpu")] * 4


# --- 손실과 정확도는 장치 위에 쌓고 에폭 끝에 한 번 읽는다 ---------------------------------------


@pytest.fixture
def device_reads(monkeypatch) -> list[str]:
    """텐서 값을 파이썬으로 읽는 호출(GPU라면 장치를 기다리는 곳)을 센다."""
    reads: list[str] = []
    for name in ("item", "tolist", "__float__", "__int__"):
        original = getattr(torch.Tensor, name)

        def counting(self, *args, _name=name, _original=original, **kwargs):
            reads.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counting)
    return reads


@pytest.mark.parametrize("progress", [False, True])
def test_device_is_read_per_epoch_not_per_batch(device_reads, progress):
    x, y = make_data(n=256)
    loss_fn = nn.CrossEntropyLoss()
    for size in (64, 8):  # 배치 4개, 32개: 읽는 횟수가 배치 수와 함께 늘면 안 된다
        model = make_model(0)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        device_reads.clear()
        train_one_epoch(model, batches(x, y, size), loss_fn, opt, progress=progress)
        # 손실 합과 맞힌 개수를 한 번씩; 진행 막대는 0.5초에 한 번만 읽는다 (느린 기계를 위해 한 번 여유)
        assert len(device_reads) <= (3 if progress else 2), (size, device_reads)
        device_reads.clear()
        evaluate(model, batches(x, y, size), loss_fn)
        assert len(device_reads) <= 2, (size, device_reads)


def test_progress_bar_shows_batch_loss_when_it_redraws(monkeypatch, capsys, device_reads):
    """막대를 다시 그리는 간격마다 배치 손실을 읽어 막대 옆에 보인다 (간격 0: 배치마다)."""
    monkeypatch.setattr(train_module, "_PROGRESS_INTERVAL", 0.0)
    x, y = make_data()
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train_one_epoch(model, batches(x[:64], y[:64]), nn.CrossEntropyLoss(), opt, progress=True, desc="막대")
    assert device_reads.count("item") == 4 + 2  # 배치 4개마다 한 번 + 에폭 끝에 두 번
    err = capsys.readouterr().err
    assert "막대" in err and "loss=" in err


# --- 스케줄러: 배치마다(OneCycleLR, CyclicLR) 또는 에폭마다(나머지) ------------------------------


def fit_with_scheduler(make_scheduler, epochs: int = 3, **kwargs):
    """배치 4개짜리 학습 세트로 ``epochs``에폭. 에폭이 끝날 때마다의 학습률도 돌려준다."""
    x, y = make_data()
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = make_scheduler(opt)
    lrs: list[float] = []
    history = fit(model, batches(x[:64], y[:64]), batches(x[64:], y[64:]), opt, nn.CrossEntropyLoss(), epochs,
                  scheduler=sched, progress=False, verbose=False,
                  on_epoch_end=lambda epoch, h: lrs.append(opt.param_groups[0]["lr"]), **kwargs)
    return sched, history, lrs


def test_step_lr_steps_once_per_epoch():
    sched, _, lrs = fit_with_scheduler(lambda opt: lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
    assert sched.last_epoch == 3
    assert lrs == [0.05, 0.025, 0.0125]  # 에폭마다 정확히 한 번 반으로 (on_epoch_end 전에)


@pytest.mark.parametrize("make_scheduler", [
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=3),
    lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
    lambda opt: lr_scheduler.LambdaLR(opt, lambda epoch: 1.0 / (epoch + 1)),
], ids=["cosine", "exponential", "lambda"])
def test_other_schedulers_step_per_epoch(make_scheduler):
    sched, _, _ = fit_with_scheduler(make_scheduler)
    assert sched.last_epoch == 3


def test_reduce_on_plateau_gets_val_loss_each_epoch():
    class Recording(lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics, *args, **kwargs):
            self.seen = [*getattr(self, "seen", []), metrics]
            return super().step(metrics, *args, **kwargs)

    sched, history, _ = fit_with_scheduler(lambda opt: Recording(opt, patience=0))
    assert sched.seen == history.val_loss


def test_reduce_on_plateau_lowers_lr_when_val_loss_stalls():
    x, y = make_data()
    model = make_model(0)
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)  # 모델을 고치지 않는다: 검증 손실이 그대로다
    sched = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    fit(model, batches(x[:64], y[:64]), batches(x[64:], y[64:]), opt, nn.CrossEntropyLoss(), 3,
        scheduler=sched, progress=False, verbose=False)
    assert opt.param_groups[0]["lr"] == 0.1 * 0.5 * 0.5  # 에폭 2, 3에서 나아지지 않아 두 번 줄었다


@pytest.mark.parametrize("make_scheduler", [
    lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=4 * 3),
    lambda opt: lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2),
], ids=["one_cycle", "cyclic"])
def test_cyclic_schedulers_step_per_batch(make_scheduler):
    sched, _, _ = fit_with_scheduler(make_scheduler)
    assert sched.last_epoch == 4 * 3


def test_scheduler_interval_overrides_the_default():
    sched, _, _ = fit_with_scheduler(lambda opt: lr_scheduler.StepLR(opt, step_size=1), scheduler_interval="batch")
    assert sched.last_epoch == 4 * 3
    sched, _, _ = fit_with_scheduler(lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3),
                                     scheduler_interval="epoch")
    assert sched.last_epoch == 3


def test_bad_scheduler_interval():
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        fit_with_scheduler(lambda opt: lr_scheduler.ReduceLROnPlateau(opt), scheduler_interval="batch")
    with pytest.raises(ValueError, match="scheduler_interval"):
        fit_with_scheduler(lambda opt: lr_scheduler.StepLR(opt, step_size=1), scheduler_interval="step")
    with pytest.raises(ValueError, match="scheduler_interval"):
        fit_with_scheduler(lambda opt: None, scheduler_interval="Epoch")


# --- 가장 좋은 가중치로 바꿔 끼우면 마지막 에폭의 가중치는 history.last_state에 ---------------


def erratic_setup():
    """학습률이 지나치게 커서 가장 좋은 에폭이 마지막이 아닌 학습 (test_restore_best_loads_best_weights와 같다)."""
    x, y = make_data()
    model = make_model(0)
    train = InMemoryLoader(x[:64], y[:64], 16, shuffle=True, generator=torch.Generator().manual_seed(0))
    opt = torch.optim.SGD(model.parameters(), lr=5.0)
    return model, train, InMemoryLoader(x[64:], y[64:], 16), opt, nn.CrossEntropyLoss()


def run_erratic(restore_best: bool) -> tuple[nn.Module, History]:
    args = erratic_setup()
    history = fit(*args, 8, restore_best=restore_best, progress=False, verbose=False)
    return args[0], history


def test_last_state_holds_last_epoch_weights_after_restoring_best():
    model, history = run_erratic(restore_best=True)
    assert history.best_epoch < len(history), "테스트 가정: 가장 좋은 에폭이 마지막이 아니어야 한다"
    last_model, last_history = run_erratic(restore_best=False)
    assert last_history.last_state is None
    assert history.last_state is not None and history.last_state.keys() == last_model.state_dict().keys()
    for name, tensor in last_model.state_dict().items():
        assert torch.equal(history.last_state[name], tensor), name
    for name, tensor in model.state_dict().items():  # 모델에는 가장 좋은 가중치
        assert torch.equal(tensor, history.best_state[name]), name


def test_last_state_is_none_when_nothing_was_swapped():
    _, history = run_fit(epochs=1)  # 가장 좋은 에폭이 마지막 에폭
    assert history.best_epoch == len(history) and history.last_state is None


def test_last_state_is_reset_by_each_fit_call():
    args = erratic_setup()
    history = fit(*args, 8, progress=False, verbose=False)
    assert history.best_epoch < len(history) and history.last_state is not None
    fit(*args, 9, restore_best=False, history=history, progress=False, verbose=False)
    assert history.last_state is None


def test_last_state_is_memory_only_like_best_state():
    _, history = run_erratic(restore_best=True)
    assert history.last_state is not None
    assert "last_state" not in history.as_dict() and "last_state" not in repr(history)
    restored = History.from_dict({**history.as_dict(), "last_state": {"w": torch.zeros(1)}})
    assert restored.last_state is None and restored == history
