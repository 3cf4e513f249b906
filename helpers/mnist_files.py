"""MNIST·Fashion-MNIST의 원본 IDX 파일을 직접 읽는 ``Dataset``과 Fashion-MNIST의 클래스 이름.

2장에서 한 줄씩 풀어 쓴 것과 같은 코드다. 노트북 안에서 정의한 클래스는 macOS·Windows에서
``DataLoader(num_workers=2)``의 작업 프로세스가 불러오지 못한다(이 운영체제들은 작업 프로세스를
``spawn``으로 새로 띄우고, 새 프로세스는 노트북에서 정의한 클래스를 찾을 수 없다). 그래서 작업
프로세스와 함께 쓸 때는 이 모듈의 것을 쓴다.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch.utils.data import Dataset

from helpers.data import raw_dir

__all__ = ["FASHION_CLASSES", "FASHION_CLASSES_EN", "MNISTFiles", "read_idx"]

FASHION_CLASSES: tuple[str, ...] = (
    "티셔츠", "바지", "풀오버", "드레스", "코트", "샌들", "셔츠", "운동화", "가방", "앵클부츠",
)
"""Fashion-MNIST 레이블 0~9의 한국어 이름."""

FASHION_CLASSES_EN: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
"""Fashion-MNIST 레이블 0~9의 영어 이름 (``torchvision.datasets.FashionMNIST.classes``와 같다)."""


def read_idx(path: str | Path) -> torch.Tensor:
    """IDX 파일 하나를 ``uint8`` 텐서로 읽는다.

    IDX 파일의 머리: 0, 0, 자료형 코드(0x08 = uint8), 차원 수 — 네 바이트.
    그다음 차원마다 크기가 4바이트(big-endian) 정수로 오고, 나머지는 모두 픽셀(또는 레이블)이다.
    """
    data = Path(path).read_bytes()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: uint8 IDX 파일이 아닙니다 (머리 {data[:4].hex()})")
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = bytearray(data[4 + 4 * ndim:])  # 쓸 수 있는 사본 (torch.frombuffer가 요구한다)
    return torch.frombuffer(body, dtype=torch.uint8).reshape(shape)


class MNISTFiles(Dataset):
    """``<root>/<name>/raw/``의 IDX 파일로 만든 데이터 세트. ``name``은 "MNIST" 또는 "FashionMNIST".

    ``dataset[i]``는 ``(이미지, 레이블)``: 이미지는 ``uint8 [1, 28, 28]`` 텐서에 ``transform``을
    적용한 것, 레이블은 ``int``다.
    """

    def __init__(
        self,
        root: str | Path,
        name: str = "MNIST",
        train: bool = True,
        transform: Callable | None = None,
    ) -> None:
        prefix = "train" if train else "t10k"
        folder = raw_dir(name, root)
        self.images = read_idx(folder / f"{prefix}-images-idx3-ubyte")          # [N, 28, 28]
        self.labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte").long()   # [N]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = self.images[index].unsqueeze(0)  # [28, 28] → [1, 28, 28] (채널 하나)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])
