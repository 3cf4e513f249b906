"""9장의 DDP 스크립트(book/scripts/ddp_train.py)를 torchrun으로, gloo 프로세스 2개와 줄인 데이터로 돌려 본다.

- 프로세스 2개 × 배치 B의 가중치 = 프로세스 1개 × 배치 2B의 가중치 (float32 반올림 차이 안에서)
- rank 0이 저장한 체크포인트는 DDP를 모르는 평범한 모델에 그대로 들어가고, 스크립트가 잰 정확도를 다시 낸다.
- torchrun 없이 실행하면 어떻게 실행할지 알려 주고 끝난다.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from helpers.models import TwoConvCNN
from tools.notebooks import BOOK

SCRIPT = BOOK / "scripts" / "ddp_train.py"
SUBSET, TEST_SUBSET, BATCH = 512, 500, 16


def torchrun(nproc: int, batch: int, out, accumulate: int = 1) -> dict:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", str(SCRIPT),
               "--batch-size", str(batch), "--train-subset", str(SUBSET), "--test-subset", str(TEST_SUBSET),
               "--accumulate", str(accumulate), "--lr", "0.05", "--out", str(out)]
    env = dict(os.environ)
    if torch.cuda.device_count() < 2:      # 9장처럼: GPU가 2개보다 적으면 모두 CPU에서 (프로세스 1개만 GPU를 쓰지 않게)
        env["CUDA_VISIBLE_DEVICES"] = ""
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=BOOK, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    paths = {name: folder / f"{name}.pt" for name in ("two", "one", "accumulated")}
    results = {"two": torchrun(2, BATCH, paths["two"]), "one": torchrun(1, 2 * BATCH, paths["one"]),
               "accumulated": torchrun(2, BATCH // 2, paths["accumulated"], accumulate=2)}
    return results, {name: torch.load(p, weights_only=True) for name, p in paths.items()}


def test_two_processes_match_one_process_with_twice_the_batch(runs):
    results, states = runs
    assert results["two"]["backend"] == "gloo" or torch.cuda.device_count() >= 2
    assert results["two"]["world_size"] == 2 and results["one"]["world_size"] == 1
    assert results["two"]["steps_per_epoch"] == results["one"]["steps_per_epoch"] == SUBSET // (2 * BATCH)
    for name in ("two", "accumulated"):
        diff = max((states[name][k] - states["one"][k]).abs().max().item() for k in states["one"])
        assert 0 <= diff < 1e-3, (name, diff)   # float32 반올림 차이 (9장과 같은 허용 오차)
    # 검사가 헛돌지 않게: 학습이 가중치를 처음 값에서 충분히 옮겼다 (허용 오차보다 훨씬 크게)
    torch.manual_seed(0)
    start = TwoConvCNN().state_dict()
    assert max((states["one"][k] - start[k]).abs().max().item() for k in start) > 1e-2


def test_rank0_checkpoint_loads_into_a_plain_model(runs):
    results, states = runs
    model = TwoConvCNN()
    model.load_state_dict(states["two"])          # 키에 "module."이 붙지 않았다
    assert not any(k.startswith("module.") for k in states["two"])
    from helpers.speedrun import MnistData
    data = MnistData.load(SUBSET, TEST_SUBSET)   # 스크립트와 같은 정규화 (쓰는 학습 이미지에서 잰다)
    model.eval()
    with torch.inference_mode():
        accuracy = 100 * (model(data.x_test).argmax(dim=1) == data.y_test).float().mean().item()
    assert accuracy == pytest.approx(results["two"]["test_acc"], abs=1e-6)


def test_running_without_torchrun_says_how_to_run():
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", "x.pt"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "torchrun --standalone --nproc_per_node=2" in done.stderr
