"""helpers.checkpoint: 안전한 저장(임시 파일 → 이름 바꾸기), 한국어 오류, 이어서 학습하기."""
from __future__ import annotations

import io
import os
import random
import shlex
import zipfile
from collections import Counter

import numpy as np
import pytest
import torch
from torch import nn

import helpers
from helpers import checkpoint as ckpt
from tests.support import record_location_as


def small_net(hidden: int = 8) -> nn.Module:
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, 3))


def same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---------------------------------------------------------------------------
# save / load
# ---------------------------------------------------------------------------

def test_round_trip_into_a_model(tmp_path):
    torch.manual_seed(0)
    net = small_net()
    path = ckpt.save(net.state_dict(), tmp_path / "sub" / "w.pt")
    assert path == tmp_path / "sub" / "w.pt" and path.is_file()
    other = small_net()
    state = ckpt.load(path, other)
    assert same_state(other.state_dict(), net.state_dict())
    assert same_state(state, net.state_dict())
    assert leftovers(path.parent) == []


def test_load_finds_weights_under_model_key(tmp_path):
    net = small_net()
    ckpt.save({"model": net.state_dict(), "mean": 0.5}, tmp_path / "inference.pt")
    other = small_net()
    obj = ckpt.load(tmp_path / "inference.pt", other)
    assert obj["mean"] == 0.5 and same_state(other.state_dict(), net.state_dict())


def test_crash_while_writing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    """torch.save가 파일의 일부를 쓴 뒤 실패해도(디스크가 가득 참) 이전 파일이 그대로 남는다."""
    path = tmp_path / "last.pt"
    old = small_net()
    ckpt.save(old.state_dict(), path)
    before = path.read_bytes()

    real_save = torch.save

    def crashing_save(obj, f, *args, **kwargs):
        buffer = io.BytesIO()
        real_save(obj, buffer)
        f.write(buffer.getvalue()[:100])  # 반쯤 쓰다가
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", crashing_save)
    with pytest.raises(ckpt.CheckpointError) as info:
        ckpt.save(small_net(16).state_dict(), path)
    monkeypatch.undo()

    message = str(info.value)
    assert "저장하지 못했습니다" in message and "그대로 남아 있습니다" in message
    assert isinstance(info.value.__cause__, OSError)
    assert path.read_bytes() == before
    assert same_state(ckpt.load(path), old.state_dict())
    assert leftovers(tmp_path) == []


def test_interrupt_while_writing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    """Ctrl-C(KeyboardInterrupt)는 그대로 전하고, 임시 파일만 지운다."""
    path = tmp_path / "last.pt"
    ckpt.save({"x": torch.arange(5)}, path)
    before = path.read_bytes()

    def interrupted_save(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save({"x": torch.arange(10)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_unpicklable_object_keeps_the_previous_checkpoint(tmp_path):
    """plain torch.save는 이때 이전 파일을 망가뜨린다; save는 남긴다."""
    path = tmp_path / "last.pt"
    ckpt.save({"x": torch.ones(3)}, path)
    with pytest.raises(ckpt.CheckpointError, match="함수나 열린 파일"):
        ckpt.save({"x": torch.ones(3), "fn": lambda v: v}, path)
    assert torch.equal(ckpt.load(path)["x"], torch.ones(3))


@pytest.mark.parametrize("damage", ["half", "tail", "empty", "garbage"])
def test_truncated_or_corrupt_file_gives_a_clear_korean_error(tmp_path, damage):
    good = tmp_path / "good.pt"
    ckpt.save(small_net(64).state_dict(), good)
    data = good.read_bytes()
    bad = tmp_path / "bad.pt"
    bad.write_bytes({
        "half": data[: len(data) // 2],
        "tail": data[:-10],
        "empty": b"",
        "garbage": b"this is not a checkpoint at all",
    }[damage])
    with pytest.raises(ckpt.CheckpointError) as info:
        ckpt.load(bad)
    assert not isinstance(info.value, ckpt.UnsafeCheckpointError)
    message = str(info.value)
    assert "잘렸거나 손상되었습니다" in message
    assert "이전 체크포인트" in message and "다시 학습" in message  # 무엇을 하면 되는지
    assert str(bad) in message


def test_missing_file_names_what_is_there(tmp_path):
    ckpt.save({"x": torch.ones(1)}, tmp_path / "epoch_01.pt")
    with pytest.raises(ckpt.CheckpointNotFoundError) as info:
        ckpt.load(tmp_path / "epoch_1.pt")
    assert isinstance(info.value, FileNotFoundError)
    message = str(info.value)
    assert "체크포인트 파일이 없습니다" in message and "epoch_01.pt" in message
    with pytest.raises(ckpt.CheckpointNotFoundError, match="폴더 .* 없습니다"):
        ckpt.load(tmp_path / "no_such_dir" / "w.pt")


def test_wrong_architecture_names_missing_unexpected_and_misshaped_keys(tmp_path):
    torch.manual_seed(0)
    saved = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))            # 0, 2
    path = ckpt.save(saved.state_dict(), tmp_path / "w.pt")
    other = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.ReLU(), nn.Linear(3, 3))  # 0, 2, 4
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(ckpt.CheckpointMismatchError) as info:
        ckpt.load(path, other)
    err = info.value
    assert err.missing == ["4.weight", "4.bias"] and err.unexpected == []
    assert [k for k, _, _ in err.mismatched] == ["0.weight", "0.bias", "2.weight"]
    message = str(err)
    assert "맞지 않습니다" in message and "Sequential" in message
    assert "4.weight" in message and "0.weight: 체크포인트 [8, 4], 모델 [16, 4]" in message
    assert same_state(other.state_dict(), before)  # 실패하면 모델은 그대로

    with pytest.raises(ckpt.CheckpointMismatchError) as info:
        ckpt.load_state_dict(nn.Sequential(nn.Linear(4, 8)), saved.state_dict())
    assert info.value.unexpected == ["2.weight", "2.bias"]
    assert "체크포인트에는 있는데 모델에 없는 키 2개: 2.weight, 2.bias" in str(info.value)


def test_prefixed_keys_get_a_hint():
    net = small_net()
    wrapped = {f"module.{k}": v for k, v in net.state_dict().items()}
    with pytest.raises(ckpt.CheckpointMismatchError, match="'module.'"):
        ckpt.load_state_dict(small_net(), wrapped)


def test_unsafe_checkpoint_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "PWNED"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').close()",))

    path = tmp_path / "evil.pt"
    torch.save({"model": small_net().state_dict(), "x": Payload()}, path)
    with pytest.raises(ckpt.UnsafeCheckpointError) as info:
        ckpt.load(path, small_net())
    assert "builtins.exec" in info.value.names
    assert "builtins.exec" in str(info.value) and "safetensors" in str(info.value)
    assert not marker.exists()


# ---------------------------------------------------------------------------
# 손상된 파일과 위험한 파일을 가려내기
# ---------------------------------------------------------------------------

def checkpoint_bytes(obj, **save_kwargs) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **save_kwargs)
    return buffer.getvalue()


def load_error(tmp_path, data: bytes, name: str = "bad.pt") -> ckpt.CheckpointError:
    """``data``를 파일로 써서 ``load``하고, 일으킨 오류를 돌려준다 (CheckpointError가 아니면 테스트가 실패한다)."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ckpt.CheckpointError) as info:
        ckpt.load(path)
    return info.value


def damage_verdict(tmp_path, data: bytes) -> str | None:
    """``load``가 손상된 파일이라고 알맞게 말하면 ``None``, 아니면 무엇이 잘못되었는지."""
    path = tmp_path / "bad.pt"
    path.write_bytes(data)
    try:
        ckpt.load(path)
    except ckpt.UnsafeCheckpointError:
        return "위험하다고 했다"
    except ckpt.CheckpointError as exc:
        message = str(exc)
        if not all(words in message for words in ("잘렸거나 손상되었습니다", "사본", "다시 학습해서 저장")):
            return "무엇을 하면 되는지 말하지 않았다"
        if "Weights only load failed" in message:  # torch의 "weights_only=False로 다시 읽어 보라"는 안내
            return "torch의 weights_only 안내가 섞였다"
        return None if isinstance(exc, ckpt.DamagedCheckpointError) else type(exc).__name__
    except Exception as exc:
        return f"torch의 오류가 그대로 나왔다 ({type(exc).__name__})"
    return "읽혔다"


def assert_all_damaged(tmp_path, samples: dict) -> None:
    """``samples``(설명 → 바이트)가 모두 손상된 파일로 알려지는지. 아니면 어긋난 것을 모두 모아 보여 준다."""
    wrong = {what: verdict for what, data in samples.items() if (verdict := damage_verdict(tmp_path, data))}
    counts = Counter(wrong.values())
    assert not wrong, f"{len(wrong)}/{len(samples)}개가 어긋남: {dict(counts)}; 예: {list(wrong.items())[:5]}"


LEGACY = dict(_use_new_zipfile_serialization=False)  # torch 1.6 전의 (zip이 아닌) 형식
PROTOCOL_4_WARNING = pytest.mark.filterwarnings("ignore:Detected pickle protocol 4")  # torch.load가 내는 경고


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_a_checkpoint_cut_anywhere_is_damaged_never_unsafe(tmp_path, fmt):
    """진짜 체크포인트를 끝에서 1~64바이트, 앞의 1~64바이트만 남기고, 그 사이는 띄엄띄엄 잘라 본다."""
    torch.manual_seed(0)
    data = checkpoint_bytes(small_net(16).state_dict(), **(LEGACY if fmt == "legacy" else {}))
    assert len(data) > 1000
    lengths = {*range(1, 65), *range(len(data) - 64, len(data)), *range(65, len(data) - 64, 7)}
    assert_all_damaged(tmp_path, {f"{n}/{len(data)}바이트": data[:n] for n in sorted(lengths)})


def test_random_bytes_and_other_files_are_damaged(tmp_path):
    rng = random.Random(0)
    samples = {f"random {i}": rng.randbytes(rng.randint(1, 4096)) for i in range(50)}
    samples |= {f"zip header {i}": b"PK\x03\x04" + rng.randbytes(rng.randint(0, 4096)) for i in range(10)}
    samples |= {"empty": b"", "text": "체크포인트가 아닙니다\nnot a checkpoint\n".encode()}
    assert_all_damaged(tmp_path, samples)


class TrainerState:
    """사용자가 만든 클래스: 이 객체를 통째로 저장하면 weights_only=True로는 읽히지 않는다."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.step = torch.tensor(3)

    def __setstate__(self, state):  # weights_only=False로 읽으면 여기가 실행된다
        open(state["marker"], "w").close()
        self.__dict__.update(state)


class Exec:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


class System:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(self.marker)}",))


PAYLOADS = {  # 이름 → (만드는 함수, 오류에 나와야 하는 이름의 일부)
    "exec": (Exec, "builtins.exec"),
    "os.system": (System, ".system"),
    "user class": (TrainerState, "TrainerState"),
    "numpy array": (lambda marker: np.arange(3), "numpy"),
}


@PROTOCOL_4_WARNING
@pytest.mark.parametrize("fmt", ["zip", "legacy", "protocol 4"])
@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_malicious_checkpoints_are_always_unsafe_and_never_run(tmp_path, payload, fmt):
    marker = tmp_path / "PWNED"
    make, expected_name = PAYLOADS[payload]
    kwargs = {"zip": {}, "legacy": LEGACY, "protocol 4": dict(pickle_protocol=4)}[fmt]
    data = checkpoint_bytes({"model": small_net().state_dict(), "extra": make(str(marker))}, **kwargs)
    error = load_error(tmp_path, data, "evil.pt")
    assert isinstance(error, ckpt.UnsafeCheckpointError), f"{type(error).__name__}: {error}"
    assert any(expected_name in name for name in error.names), error.names
    assert all(name in str(error) for name in error.names)
    assert "만들라는 명령이 들어 있습니다" in str(error)
    if fmt == "zip":  # torch가 같은 파일에서 찾는 이름과 같다
        assert sorted(error.names) == sorted(torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "evil.pt"))
    assert not marker.exists()


def test_legacy_checkpoint_still_loads(tmp_path):
    net = small_net()
    path = tmp_path / "old.pt"
    path.write_bytes(checkpoint_bytes(net.state_dict(), **LEGACY))
    other = small_net(8)
    ckpt.load(path, other)
    assert same_state(other.state_dict(), net.state_dict())


@PROTOCOL_4_WARNING
def test_intact_file_in_a_newer_pickle_protocol_is_neither_damaged_nor_unsafe(tmp_path):
    data = checkpoint_bytes(small_net().state_dict(), pickle_protocol=4)
    error = load_error(tmp_path, data, "p4.pt")
    assert not isinstance(error, (ckpt.DamagedCheckpointError, ckpt.UnsafeCheckpointError))
    assert "손상되지 않았지만" in str(error) and "protocol 4" in str(error)


# ---------------------------------------------------------------------------
# GPU에서 저장한 체크포인트를 CPU에서
# ---------------------------------------------------------------------------

def recorded_locations(path) -> set[str]:
    seen: list[str] = []

    def note(storage, location):
        seen.append(location)
        return storage

    torch.load(path, map_location=note, weights_only=True)
    return set(seen)


def test_gpu_style_checkpoint_round_trips_on_cpu(tmp_path):
    """``record_location_as("cuda:0")``로 저장한 파일은 텐서마다 'cuda:0'이 적힌, GPU에서 저장한 것과 같은
    모양의 파일이다. GPU 없이도 map_location으로 CPU에 읽힌다."""
    net = small_net()
    path = tmp_path / "gpu.pt"
    with record_location_as("cuda:0"):
        torch.save({"model": net.state_dict(), "step": torch.tensor(7)}, path)
    assert recorded_locations(path) == {"cuda:0"}

    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)  # map_location이 없으면 GPU로 되돌리려 한다
        with pytest.raises(ckpt.CheckpointError, match="map_location='cpu'"):
            ckpt.load(path, map_location=None)

    for location in ("cpu", torch.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        obj = torch.load(path, map_location=location, weights_only=True)
        assert all(t.device.type == "cpu" for t in obj["model"].values())
        assert same_state(obj["model"], net.state_dict())
    other = small_net()
    assert ckpt.load(path, other)["step"].item() == 7
    assert same_state(other.state_dict(), net.state_dict())

    # 블록 밖에서는 원래대로 'cpu'가 적힌다
    ckpt.save(net.state_dict(), tmp_path / "cpu.pt")
    assert recorded_locations(tmp_path / "cpu.pt") == {"cpu"}


def test_test_only_tricks_are_not_in_the_package():
    """장치 이름을 바꿔 적는 요령은 torch 전체에 함수를 등록하므로 테스트에만 있다 (tests/support.py)."""
    assert "record_location_as" not in ckpt.__all__
    assert not hasattr(ckpt, "record_location_as")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="GPU가 있을 때만: 정말 GPU에서 저장한 파일과 비교")
def test_simulated_gpu_checkpoint_matches_a_real_one(tmp_path):
    torch.manual_seed(0)
    state = small_net().state_dict()
    torch.save({k: v.cuda() for k, v in state.items()}, tmp_path / "real.pt")
    with record_location_as("cuda:0"):
        torch.save(state, tmp_path / "fake.pt")

    def pickle_of(path):
        with zipfile.ZipFile(path) as z:
            return z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))

    assert pickle_of(tmp_path / "real.pt") == pickle_of(tmp_path / "fake.pt")


# ---------------------------------------------------------------------------
# 난수 상태와 이어서 학습하기
# ---------------------------------------------------------------------------

def draw(generator):
    return (random.random(), float(np.random.rand()), torch.rand(2).tolist(),
            torch.randperm(6, generator=generator).tolist())


def test_rng_state_survives_weights_only_round_trip(tmp_path):
    generator = torch.Generator().manual_seed(1)
    helpers.set_seed(5)
    draw(generator)
    np.random.randn()  # NumPy의 gauss 캐시도 채운다
    path = ckpt.save(ckpt.rng_state(generator), tmp_path / "rng.pt")
    expected = draw(generator)
    helpers.set_seed(99)
    generator.manual_seed(99)
    ckpt.set_rng_state(ckpt.load(path), generator)
    assert draw(generator) == expected


class FakeMPS:
    """MPS가 있는 기계인 척: ``torch.mps``의 난수 상태 함수 둘을 기록하는 가짜로 바꾼다."""

    def __init__(self, monkeypatch, available: bool = True) -> None:
        self.state = torch.tensor([1, 2, 3], dtype=torch.uint8)  # 텐서라서 weights_only=True로 읽힌다
        self.restored: list[torch.Tensor] = []
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: available)
        monkeypatch.setattr(torch.mps, "get_rng_state", lambda: self.state.clone())
        monkeypatch.setattr(torch.mps, "set_rng_state", self.restored.append)


def test_rng_state_carries_the_mps_generator(tmp_path, monkeypatch):
    mps = FakeMPS(monkeypatch)
    path = ckpt.save(ckpt.rng_state(), tmp_path / "rng.pt")
    state = ckpt.load(path)
    assert torch.equal(state["mps"], mps.state)
    ckpt.set_rng_state(state)
    assert len(mps.restored) == 1 and torch.equal(mps.restored[0], mps.state)


def test_old_checkpoint_without_mps_state_still_loads(monkeypatch):
    mps = FakeMPS(monkeypatch)
    state = ckpt.rng_state()
    del state["mps"]  # MPS를 저장하기 전의 체크포인트
    ckpt.set_rng_state(state)
    assert mps.restored == []


def test_mps_state_is_skipped_where_there_is_no_mps(monkeypatch):
    saved_on_mac = FakeMPS(monkeypatch).state
    state = ckpt.rng_state()
    state["mps"] = saved_on_mac
    mps = FakeMPS(monkeypatch, available=False)
    ckpt.set_rng_state(state)  # MPS가 없는 기계에서 열어도 된다
    assert mps.restored == []
    assert ckpt.rng_state()["mps"] is None


def make_run(seed: int, epochs: int):
    helpers.set_seed(seed)
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(96, 4, generator=g), torch.randint(0, 3, (96,), generator=g)
    model = small_net()
    loader = helpers.InMemoryLoader(x, y, 16, shuffle=True, generator=torch.Generator().manual_seed(seed))
    val = helpers.InMemoryLoader(x[:32], y[:32], 32)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=epochs * len(loader))
    return model, loader, val, optimizer, scheduler


def test_resume_from_training_state_is_bit_identical(tmp_path):
    """N 에폭을 쉬지 않고 vs k 에폭 → 저장 → 모두 새로 만들어 불러오기 → N−k 에폭 (드롭아웃이 torch 난수를 쓴다)."""
    n, k, loss_fn = 4, 2, nn.CrossEntropyLoss()
    kwargs = dict(restore_best=False, progress=False, verbose=False)

    model, loader, val, opt, sched = make_run(0, n)
    straight = helpers.fit(model, loader, val, opt, loss_fn, n, scheduler=sched, **kwargs)
    expected = {k_: v.clone() for k_, v in model.state_dict().items()}

    model, loader, val, opt, sched = make_run(0, n)
    saver = ckpt.epoch_saver(tmp_path / "state_{epoch:02d}.pt", model, opt, scheduler=sched, generator=loader.generator)
    helpers.fit(model, loader, val, opt, loss_fn, k, scheduler=sched, on_epoch_end=saver, **kwargs)
    assert sorted(p.name for p in tmp_path.glob("state_*.pt")) == ["state_01.pt", "state_02.pt"]
    del model, loader, val, opt, sched

    model, loader, val, opt, sched = make_run(0, n)
    torch.rand(10)  # 새 프로그램: 난수 상태가 다르다
    history = ckpt.load_training_state(tmp_path / "state_02.pt", model, opt, scheduler=sched,
                                       generator=loader.generator)
    assert len(history) == k
    resumed = helpers.fit(model, loader, val, opt, loss_fn, n, scheduler=sched, history=history, **kwargs)
    assert same_state(model.state_dict(), expected)
    assert resumed.train_loss == straight.train_loss and resumed.val_acc == straight.val_acc
    assert sched.last_epoch == n * len(loader)  # 스케줄러도 일정의 끝까지 왔다


def test_training_state_is_plain_and_loads_with_weights_only(tmp_path):
    model, loader, val, opt, sched = make_run(0, 2)
    history = helpers.fit(model, loader, val, opt, nn.CrossEntropyLoss(), 1, scheduler=sched,
                          progress=False, verbose=False)
    path = ckpt.save_training_state(tmp_path / "s.pt", model, opt, history, scheduler=sched,
                                    generator=loader.generator)
    state = torch.load(path, weights_only=True)  # 허락 목록 없이 그대로 읽힌다
    assert state["epoch"] == 1 and isinstance(state["history"], dict)
    assert isinstance(state["rng"]["python"]["internal"], list)
    assert isinstance(state["rng"]["numpy"]["key"], list)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == []


def test_load_training_state_explains_a_weights_only_file(tmp_path):
    model, _, _, opt, sched = make_run(0, 2)
    path = ckpt.save(model.state_dict(), tmp_path / "w.pt")
    with pytest.raises(ckpt.CheckpointError, match="학습 상태 체크포인트가 아닙니다"):
        ckpt.load_training_state(path, model, opt, scheduler=sched)


class BestAtFirstEpoch:
    """검증 '로더': 첫 에폭에는 모델의 예측을 정답으로(정확도 100%), 그 뒤에는 틀린 답을 내놓는다.

    그래서 가장 좋은 에폭은 언제나 1이고, ``fit(restore_best=True)``은 끝에서 에폭 1의 가중치로 바꿔 끼운다.
    ``evaluate`` 안(평가 모드, ``inference_mode``)에서 돌므로 난수를 쓰지 않아, 학습은 보통 검증 로더와 똑같다.
    """

    def __init__(self, model: nn.Module, x: torch.Tensor) -> None:
        self.model, self.x, self.epochs = model, x, 0

    def __iter__(self):
        self.epochs += 1
        predicted = self.model(self.x).argmax(dim=1)
        yield self.x, predicted if self.epochs == 1 else (predicted + 1) % 3


def test_resume_after_restore_best_continues_from_the_last_epoch(tmp_path):
    """restore_best가 가장 좋은(첫) 에폭의 가중치로 바꿔 끼운 뒤에 저장해도, 체크포인트의 가중치는
    옵티마이저·스케줄러·난수 상태와 같은 마지막 에폭의 것이다. 그래서 이어서 학습하면 쉬지 않은 것과 같다."""
    n, k, loss_fn = 5, 3, nn.CrossEntropyLoss()
    quiet = dict(progress=False, verbose=False)

    model, loader, val, opt, sched = make_run(0, n)
    straight = helpers.fit(model, loader, val, opt, loss_fn, n, scheduler=sched, restore_best=False, **quiet)
    expected = {k_: v.clone() for k_, v in model.state_dict().items()}

    model, loader, val, opt, sched = make_run(0, n)
    history = helpers.fit(model, loader, BestAtFirstEpoch(model, val.x), opt, loss_fn, k, scheduler=sched,
                          restore_best=True, **quiet)
    assert history.best_epoch == 1 and same_state(model.state_dict(), history.best_state)
    last = {k_: v.clone() for k_, v in history.last_state.items()}
    assert not same_state(last, history.best_state)
    path = ckpt.save_training_state(tmp_path / "s.pt", model, opt, history, scheduler=sched,
                                    generator=loader.generator)
    assert same_state(torch.load(path, weights_only=True)["best_model"], history.best_state)
    del model, loader, val, opt, sched

    model, loader, val, opt, sched = make_run(0, n)
    torch.rand(10)  # 새 프로그램: 난수 상태가 다르다
    resumed = ckpt.load_training_state(path, model, opt, scheduler=sched, generator=loader.generator)
    assert same_state(model.state_dict(), last)  # 가장 좋은 가중치가 아니라 마지막 에폭의 가중치
    helpers.fit(model, loader, val, opt, loss_fn, n, scheduler=sched, history=resumed, restore_best=False, **quiet)
    assert same_state(model.state_dict(), expected)
    assert resumed.train_loss == straight.train_loss
