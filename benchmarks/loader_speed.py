"""3장의 처리량 표를 셸에서: 데이터 파이프라인마다 같은 MLP로 한 에폭에 걸리는 시간.

준비 운동 에폭(재지 않음) 뒤에 잰 에폭들의 중앙값이다. num_workers > 0은 작업 프로세스를 에폭마다 다시 띄우지
않도록(persistent_workers=True) 만들어, 띄우는 시간은 준비 운동 에폭에만 들어간다.

    python benchmarks/loader_speed.py                      # Fashion-MNIST 전체, 준비 운동 1 + 3 에폭, 자동 장치
    python benchmarks/loader_speed.py --subset 6000 --epochs 5 --device cpu

측정 코드는 노트북과 같은 ``helpers.benchmark.loader_speed_table``이다.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.benchmark import loader_speed_table  # noqa: E402
from helpers.book import environment_line  # noqa: E402
from helpers.device import get_device  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="데이터 파이프라인별 한 에폭의 시간 (3장의 표)")
    parser.add_argument("--dataset", default="FashionMNIST", choices=["FashionMNIST", "MNIST"])
    parser.add_argument("--subset", type=int, default=None, help="학습 세트의 앞에서부터 쓸 이미지 수 (기본: 전부)")
    parser.add_argument("--epochs", type=int, default=3, help="파이프라인마다 잴 에폭 수 (중앙값을 낸다)")
    parser.add_argument("--warmup", type=int, default=1, help="재기 전에 돌리는 준비 운동 에폭 수")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-workers", type=int, nargs="+", default=[0, 2],
                        help="(a) ToTensor() DataLoader에 쓸 num_workers 값들")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (기본: 자동)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    device = get_device(args.device)
    table = loader_speed_table(
        args.dataset, subset=args.subset, batch_size=args.batch_size, num_workers=args.num_workers,
        device=device, warmup=args.warmup, epochs=args.epochs, seed=args.seed,
    )
    a = table.attrs
    print(f"{a['dataset']} 학습 이미지 {a['images']:,}장, 배치 {a['batch_size']}, "
          f"준비 운동 {a['warmup']}에폭 뒤 {a['epochs']}에폭의 중앙값")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    fastest = table["에폭당 초"].min()
    print(f"첫 줄 대비 가장 빠른 파이프라인: {table['에폭당 초'].iloc[0] / fastest:.1f}배")
    print(environment_line(device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
