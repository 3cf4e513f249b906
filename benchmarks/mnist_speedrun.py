"""8장의 마지막 조리법을 셸에서: MNIST를 한 에폭 학습해 테스트 정확도 99%에 닿는 시간.

디스크에서 데이터를 읽는 시간은 따로 알리고 학습 시간에 넣지 않는다. 학습 시간은 모델을 만들 때부터 마지막 걸음이
끝날 때까지의 벽시계 시간이다(컴파일을 쓰면 컴파일 포함). 시드마다 처음부터 학습하고 테스트 세트로 한 번 평가한다.

    python benchmarks/mnist_speedrun.py --seeds 5              # 마지막 단, 시드 0~4
    python benchmarks/mnist_speedrun.py --seeds 3 --first      # 첫 단(6장의 모델 + DataLoader)도 재서 배속을 낸다
    python benchmarks/mnist_speedrun.py --device cuda

조리법은 노트북과 같은 ``helpers.speedrun``의 ``FINAL``(8장이 사다리 끝에서 고른 것)과 ``Recipe()``(첫 단)이다.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.book import environment_line  # noqa: E402
from helpers.device import get_device  # noqa: E402
from helpers.speedrun import FINAL, MnistData, Recipe, run_ladder  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MNIST 99%에 닿는 학습 시간 (8장의 마지막 단)")
    parser.add_argument("--seeds", type=int, default=5, help="시드 0부터 몇 개로 잴지")
    parser.add_argument("--first", action="store_true", help="첫 단(6장의 모델 + DataLoader)도 같은 시드로 재서 배속을 낸다")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (기본: 자동)")
    parser.add_argument("--train-subset", type=int, default=None, help="학습 이미지 수 (기본: 60,000장 전부)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds는 1 이상입니다")

    device = get_device(args.device)
    start = time.perf_counter()
    data = MnistData.load(args.train_subset)
    print(f"데이터 읽기: {time.perf_counter() - start:.1f}초 (학습 시간에 넣지 않음)")
    print("조리법:", FINAL)
    seeds = range(args.seeds)
    recipes = [Recipe(), FINAL] if args.first else [FINAL]
    results = run_ladder(recipes, data, seeds, device)
    final = results[-1]
    mean_seconds = statistics.mean(r.seconds for r in final.runs)
    print(f"마지막 단: 학습 시간 평균 {mean_seconds:.2f}초 (중앙값 {final.seconds:.2f}초, 시드 {args.seeds}개), "
          f"테스트 정확도 평균 {final.accuracy:.2f}%, 가장 낮은 값 {final.min_accuracy:.2f}%, "
          f"시드마다 {[round(r.seconds, 2) for r in final.runs]}초")
    if args.first:
        print(f"첫 단 대비 {results[0].seconds / final.seconds:.1f}배 빠름 (시간 중앙값의 비)")
    print(environment_line(device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
