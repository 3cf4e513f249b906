"""9장: torchrun이 프로세스마다 정해 주는 환경 변수를 찍고, 모든 프로세스의 rank를 all-reduce로 더해 본다."""
import os

import torch
import torch.distributed as dist

names = ["RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT"]
env = {name: os.environ.get(name) for name in names}
dist.init_process_group(backend="gloo")          # 주소·포트·rank·world_size는 환경 변수에서 읽는다
rank_sum = torch.tensor([float(dist.get_rank())])
dist.all_reduce(rank_sum)                        # 모든 프로세스의 값을 더해 모두에게 돌려준다
line = f"rank {dist.get_rank()}/{dist.get_world_size()} | {env} | rank의 합 {rank_sum.item():.0f}"
lines = [None] * dist.get_world_size()
dist.all_gather_object(lines, line)              # 모든 프로세스의 줄을 모은다 (함께 찍으면 줄이 섞일 수 있다)
if dist.get_rank() == 0:
    print("\n".join(lines), flush=True)
dist.destroy_process_group()
