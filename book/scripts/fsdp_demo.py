"""9장: FSDP2(fully_shard)로 모델의 파라미터를 프로세스들에 나눠 두고 한 걸음 학습한다 (CPU에서 gloo로)."""
import json

import torch
import torch.distributed as dist
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard

import helpers
from helpers.models import TwoConvCNN

dist.init_process_group(backend="gloo")
rank, world_size = dist.get_rank(), dist.get_world_size()
mesh = init_device_mesh("cpu", (world_size,))     # 프로세스들을 한 줄로 세운 장치 그물 (GPU라면 "cuda")

torch.manual_seed(0)
model = TwoConvCNN()
full_count = sum(p.numel() for p in model.parameters())
for layer in model.modules():
    if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
        fully_shard(layer, mesh=mesh)             # 층마다 나눈다: 그 층을 계산하는 동안만 모아서 쓴다
fully_shard(model, mesh=mesh)
local_count = sum(p.to_local().numel() for p in model.parameters())   # 이 프로세스가 가진 조각

images, labels = helpers.load_tensors("MNIST", train=True)
pixels = images.float() / 255
x = ((pixels[8 * rank:8 * rank + 8] - pixels.mean()) / pixels.std()).unsqueeze(1)   # 프로세스마다 다른 8장
y = labels[8 * rank:8 * rank + 8]
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss = torch.nn.functional.cross_entropy(model(x), y)
loss.backward()                                   # 기울기도 조각으로 나뉘어 모인다 (reduce-scatter)
optimizer.step()                                  # 옵티마이저 상태도 조각만큼만 가진다

full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
row = {"rank": rank, "full_params": full_count, "local_params": local_count, "loss": round(loss.item(), 4),
       "gathered_params": sum(v.numel() for v in full.values())}
rows = [None] * world_size
dist.all_gather_object(rows, row)                 # rank 0이 모두의 결과를 한 줄로 찍는다
if rank == 0:
    print(json.dumps(rows), flush=True)
dist.destroy_process_group()
