"""『파이토치 기초 실습서』의 장들이 함께 쓰는 도우미.

각 도우미는 어느 장에서 먼저 전부 풀어 쓴 뒤, 다음 장부터 여기서 가져다 쓴다.
``import helpers``만 해도 그림의 한글 글꼴이 맞춰진다. 데이터·학습·체크포인트 모듈은
처음 쓰일 때 불러온다(``python -m helpers.data``가 깔끔하게 돌도록).
"""
from __future__ import annotations

import importlib

from helpers.device import DeviceError, describe_device, get_device
from helpers.plots import plot_history, setup_style, show_images
from helpers.seed import set_seed

_LAZY = {  # 이름 → 처음 쓰일 때 불러올 모듈
    # 데이터 받기와 빠른 로더 (3장)
    "DatasetUnavailableError": "helpers.data",
    "InMemoryLoader": "helpers.data",
    "data_root": "helpers.data",
    "ensure_dataset": "helpers.data",
    "load_tensors": "helpers.data",
    # IDX 파일 Dataset과 클래스 이름 (3장)
    "FASHION_CLASSES": "helpers.mnist_files",
    "FASHION_CLASSES_EN": "helpers.mnist_files",
    "IDXFileError": "helpers.mnist_files",
    "MNISTFiles": "helpers.mnist_files",
    # 로더 속도 재기 (3장)
    "loader_speed_table": "helpers.benchmark",
    # 학습 루프 (5장)
    "History": "helpers.train",
    "evaluate": "helpers.train",
    "fit": "helpers.train",
    "to_device": "helpers.train",
    "train_one_epoch": "helpers.train",
    # CNN 세 가지 (6장)
    "DeepCNN": "helpers.models",
    "LeNet": "helpers.models",
    "TwoConvCNN": "helpers.models",
    # 저장과 불러오기 (7장)
    "CheckpointError": "helpers.checkpoint",
    "epoch_saver": "helpers.checkpoint",
    "load_training_state": "helpers.checkpoint",
    "save_training_state": "helpers.checkpoint",
    # 장에서 쓰는 파일 (7장의 그림)
    "asset_path": "helpers.assets",
    # 내 그림으로 예측하기 (7장)
    "ImageInputError": "helpers.images",
    "check_model_input": "helpers.images",
    "load_digit_image": "helpers.images",
    "predict_digit": "helpers.images",
    "prepare_digit": "helpers.images",
    "show_preprocessing": "helpers.images",
    # glue, 예상한 오류, 실행 환경 한 줄
    "CaughtError": "helpers.book",
    "environment_line": "helpers.book",
    "expect_error": "helpers.book",
    "glue": "helpers.book",
}

_SUBMODULES = ("diagrams",)  # 모듈째 쓰는 것: helpers.diagrams.convolution(...) (개념 그림, 여러 장)

__all__ = sorted(
    ["DeviceError", "describe_device", "get_device", "plot_history", "set_seed", "setup_style", "show_images",
     *_LAZY, *_SUBMODULES]
)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"helpers.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
