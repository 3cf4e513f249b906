"""2장의 처리량 표를 셸에서: 데이터 파이프라인마다 같은 MLP로 한 에폭에 걸리는 시간.

    python benchmarks/loader_speed.py                      # Fashion-MNIST 전체, 1 에폭, 자동 장치
    python benchmarks/loader_speed.py --subset 6000 --epochs 2 --device cpu

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
    parser = argparse.ArgumentParser(description="데이터 파이프라인별 한 에폭의 시간 (2장의 표)")
    parser.add_argument("--dataset", default="FashionMNIST", choices=["FashionMNIST", "MNIST"])
    parser.add_argument("--subset", type=int, default=None, help="학습 세트의 앞에서부터 쓸 이미지 수 (기본: 전부)")
    parser.add_argument("--epochs", type=int, default=1, help="파이프라인마다 잴 에폭 수 (평균을 낸다)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-workers", type=int, nargs="+", default=[0, 2],
                        help="(a) ToTensor() DataLoader에 쓸 num_workers 값들")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (기본: 자동)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    device = get_device(args.device)
    table = loader_speed_table(
        args.dataset, subset=args.subset, batch_size=args.batch_size, num_workers=args.num_workers,
        device=device, epochs=args.epochs, seed=args.seed,
    )
    a = table.attrs
    print(f"{a['dataset']} 학습 이미지 {a['images']:,}장, 배치 {a['batch_size']}, 에폭 {a['epochs']}번의 평균")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    fastest = table["에폭당 초"].min()
    print(f"첫 줄 대비 가장 빠른 파이프라인: {table['에폭당 초'].iloc[0] / fastest:.1f}배")
    print(environment_line(device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
