"""9장: DistributedDataParallel(DDP)로 6장의 2층 CNN을 MNIST에서 학습한다. torchrun으로 실행한다.

    torchrun --standalone --nproc_per_node=2 ddp_train.py --epochs 1 --out ddp.pt

프로세스마다 데이터의 다른 조각(DistributedSampler)으로 순전파·역전파를 하고, backward가 기울기를 모든 프로세스에서
평균(all-reduce)하므로 모든 프로세스의 가중치가 언제나 같다. 평가와 저장은 rank 0만 한다.
GPU가 프로세스 수만큼 있으면 nccl과 GPU를, 아니면 gloo와 CPU를 쓴다. 마지막 줄에 결과를 JSON 한 줄로 찍는다.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

import helpers
import helpers.checkpoint
from helpers.models import TwoConvCNN


# %% 명령줄 인자
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="DDP로 MNIST 학습 (9장)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64, help="프로세스 하나의 배치 크기 B (실제 배치는 B × 프로세스 수)")
    parser.add_argument("--lr", type=float, default=0.05, help="실제 배치(B × 프로세스 수)에 맞춘 SGD 학습률")
    parser.add_argument("--accumulate", type=int, default=1, help="이 수만큼의 배치마다 한 번 all-reduce하고 step (no_sync)")
    parser.add_argument("--train-subset", type=int, default=None, help="학습 이미지 수 (기본: 60,000장 전부)")
    parser.add_argument("--test-subset", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="rank 0이 가중치(state_dict)를 저장할 파일")
    return parser.parse_args(argv)


# %% 데이터
def mnist_tensors(train_subset=None, test_subset=None):
    """정규화한 MNIST 텐서 (x_train, y_train, x_test, y_test). 평균·표준편차는 (쓰는) 학습 이미지에서 잰다."""
    train_images, y_train = helpers.load_tensors("MNIST", train=True)
    test_images, y_test = helpers.load_tensors("MNIST", train=False)
    train_images, y_train = train_images[:train_subset], y_train[:train_subset]
    pixels = train_images.float() / 255
    mean, std = pixels.mean(), pixels.std()

    def to_input(raw):
        return ((raw.float() / 255 - mean) / std).unsqueeze(1)

    return to_input(train_images), y_train, to_input(test_images[:test_subset]), y_test[:test_subset]


# %% 프로세스 그룹에 들어가기
def setup():
    """torchrun이 정한 환경 변수로 프로세스 그룹에 들어간다: (rank, local_rank, world_size, device)."""
    if "RANK" not in os.environ:
        sys.exit("이 스크립트는 torchrun으로 실행합니다: torchrun --standalone --nproc_per_node=2 ddp_train.py --out ddp.pt")
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    world_size, local_world_size = int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_WORLD_SIZE"])
    if torch.cuda.is_available() and torch.cuda.device_count() >= local_world_size:
        device, backend = torch.device("cuda", local_rank), "nccl"   # 프로세스마다 GPU 하나
        torch.cuda.set_device(device)
    else:
        device, backend = torch.device("cpu"), "gloo"                 # GPU가 모자라면 모두 CPU에서
    dist.init_process_group(backend=backend, device_id=device if backend == "nccl" else None)
    return rank, local_rank, world_size, device


# %% 학습
def train(args, rank, world_size, device):
    x_train, y_train, x_test, y_test = mnist_tensors(args.train_subset, args.test_subset)
    dataset = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=args.seed,
                                 drop_last=True)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler, drop_last=True)

    torch.manual_seed(args.seed)               # 모든 프로세스가 같은 초기 가중치 (DDP도 rank 0의 것을 나눠 준다)
    model = TwoConvCNN().to(device)
    ddp_model = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    epoch_seconds = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)               # 에폭마다 다르게 섞는다 (모든 프로세스가 같은 순서를 나눠 가진다)
        ddp_model.train()
        optimizer.zero_grad(set_to_none=True)  # 앞 에폭의 끝에서 step하지 못하고 남은 기울기를 버린다
        dist.barrier()
        start = time.perf_counter()
        for step, (x, y) in enumerate(loader):
            x, y = x.to(device), y.to(device)
            last_micro_step = (step + 1) % args.accumulate == 0
            if last_micro_step:
                loss_fn(ddp_model(x), y).div(args.accumulate).backward()   # 여기서 기울기를 all-reduce
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            else:
                with ddp_model.no_sync():                                 # 기울기를 쌓기만 하고 통신하지 않는다
                    loss_fn(ddp_model(x), y).div(args.accumulate).backward()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        epoch_seconds.append(time.perf_counter() - start)
    return model, epoch_seconds, (x_test, y_test), len(loader)


# %% 저장과 평가
def save_on_rank0(model, path: Path, rank: int):
    """rank 0만 저장하고, 다른 프로세스는 파일이 다 쓰일 때까지 기다린다 (barrier)."""
    if rank == 0:
        # 7장의 저장: 임시 파일에 끝까지 쓰고 디스크에 내린 뒤 이름을 바꾼다. DDP로 감싸기 전의 모델이라 키에 "module."이 없다
        helpers.checkpoint.save(model.state_dict(), path)
    dist.barrier()


def main(argv=None):
    args = parse_args(argv)
    rank, local_rank, world_size, device = setup()
    try:
        model, epoch_seconds, (x_test, y_test), steps = train(args, rank, world_size, device)
        save_on_rank0(model, args.out, rank)
        if rank == 0:
            model.eval()
            with torch.inference_mode():
                pred = torch.cat([model(x.to(device)).argmax(dim=1).cpu() for x in x_test.split(1000)])
            result = {"world_size": world_size, "backend": dist.get_backend(), "device": str(device),
                      "batch_per_process": args.batch_size,
                      "effective_batch": args.batch_size * world_size * args.accumulate,   # 한 걸음이 보는 이미지 수
                      "steps_per_epoch": steps // args.accumulate, "epoch_seconds": epoch_seconds,
                      "test_acc": 100 * (pred == y_test).float().mean().item(), "checkpoint": str(args.out)}
            print(json.dumps(result, ensure_ascii=False))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
