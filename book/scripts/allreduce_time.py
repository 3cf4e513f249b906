"""9장: 기울기 크기의 텐서를 all-reduce하는 데 드는 시간 (준비 운동 뒤 여러 번 잰 중앙값, rank 0이 찍는다)."""
import argparse
import json
import statistics
import time

import torch
import torch.distributed as dist

parser = argparse.ArgumentParser()
parser.add_argument("--numel", type=int, required=True, help="all-reduce할 float32 값의 개수 (모델의 파라미터 수)")
parser.add_argument("--repeats", type=int, default=50)
args = parser.parse_args()

dist.init_process_group(backend="gloo")
grad = torch.ones(args.numel)
times = []
for k in range(5 + args.repeats):                # 처음 5번은 준비 운동
    grad.fill_(1.0)                              # 더한 값이 걸음마다 커지지 않게
    dist.barrier()
    start = time.perf_counter()
    dist.all_reduce(grad)
    if k >= 5:
        times.append(time.perf_counter() - start)
if dist.get_rank() == 0:
    print(json.dumps({"world_size": dist.get_world_size(), "numel": args.numel,
                      "median_ms": 1000 * statistics.median(times)}))
dist.destroy_process_group()
