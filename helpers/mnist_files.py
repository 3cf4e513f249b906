"""MNIST·Fashion-MNIST의 원본 IDX 파일을 직접 읽는 ``Dataset``과 Fashion-MNIST의 클래스 이름.

3장에서 한 줄씩 풀어 쓴 것과 같은 코드다. 노트북 안에서 정의한 클래스는 macOS·Windows에서
``DataLoader(num_workers=2)``의 작업 프로세스가 불러오지 못한다(이 운영체제들은 작업 프로세스를
``spawn``으로 새로 띄우고, 새 프로세스는 노트북에서 정의한 클래스를 찾을 수 없다). 그래서 작업
프로세스와 함께 쓸 때는 이 모듈의 것을 쓴다.
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Callable

import torch
from torch.utils.data import Dataset

from helpers.data import DATASETS, data_root, raw_dir

__all__ = ["FASHION_CLASSES", "FASHION_CLASSES_EN", "IDXFileError", "MNISTFiles", "read_idx"]

FASHION_CLASSES: tuple[str, ...] = (
    "티셔츠", "바지", "풀오버", "드레스", "코트", "샌들", "셔츠", "운동화", "가방", "앵클부츠",
)
"""Fashion-MNIST 레이블 0~9의 한국어 이름."""

FASHION_CLASSES_EN: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
"""Fashion-MNIST 레이블 0~9의 영어 이름 (``torchvision.datasets.FashionMNIST.classes``와 같다)."""


class IDXFileError(ValueError):
    """IDX 파일을 믿을 수 없다: 머리가 틀렸거나, 잘렸거나, 공식 파일과 내용이 다르다."""


def _idx_shape(data: bytes, path: Path) -> list[int]:
    """IDX 머리를 확인하고 모양을 돌려준다. 파일 길이가 머리가 말하는 길이와 다르면 ``IDXFileError``.

    IDX 파일의 머리: 0, 0, 자료형 코드(0x08 = uint8), 차원 수 — 네 바이트.
    그다음 차원마다 크기가 4바이트(big-endian) 정수로 오고, 나머지는 모두 픽셀(또는 레이블)이다.
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise IDXFileError(f"{path}: IDX 파일이 아니거나 손상되었습니다 "
                           f"(첫 4바이트가 {data[:4].hex(' ')}, 00 00 08 0N이어야 합니다).")
    if data[2] != 0x08:
        raise IDXFileError(f"{path}: uint8 IDX 파일이 아니거나 손상되었습니다 "
                           f"(자료형 코드 0x{data[2]:02x}, 0x08이어야 합니다).")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise IDXFileError(f"{path}: 머리가 손상되었거나 잘렸습니다 (차원 수 {ndim}, 파일 {len(data):,}바이트).")
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    expected = header + math.prod(shape)
    if len(data) != expected:
        what = "잘렸습니다" if len(data) < expected else "머리가 말하는 것보다 깁니다"
        raise IDXFileError(f"{path}: 파일이 {what} — 머리(모양 {shape})대로라면 {expected:,}바이트여야 하는데 "
                           f"{len(data):,}바이트입니다.")
    return shape


def _to_tensor(data: bytes, shape: list[int]) -> torch.Tensor:
    """머리를 뺀 나머지를 ``uint8`` 텐서로."""
    if math.prod(shape) == 0:  # torch.frombuffer는 빈 버퍼를 받지 않는다
        return torch.empty(shape, dtype=torch.uint8)
    buffer = bytearray(data)  # 쓸 수 있는 사본 (torch.frombuffer가 요구한다)
    return torch.frombuffer(buffer, dtype=torch.uint8, offset=4 + 4 * len(shape)).reshape(shape)


def read_idx(path: str | Path) -> torch.Tensor:
    """IDX 파일 하나를 ``uint8`` 텐서로 읽는다. 머리가 틀렸거나 잘린 파일이면 ``IDXFileError``."""
    path = Path(path)
    data = path.read_bytes()
    return _to_tensor(data, _idx_shape(data, path))


def _fix(name: str, root: Path) -> str:
    """파일을 고치는 법 (공식 데이터 세트면 다시 받는 명령, ``root``가 기본 데이터 폴더가 아니면 그 폴더도)."""
    if name not in DATASETS:
        return "고치는 법: 온전한 파일로 바꾸거나 파일을 다시 만드세요."
    default = root.expanduser().resolve() == data_root().expanduser().resolve()
    folder = json.dumps(str(root), ensure_ascii=False)  # 파이썬 문자열 그대로 (Windows 경로의 역슬래시도)
    call = f'helpers.ensure_dataset("{name}")' if default else f'helpers.ensure_dataset("{name}", {folder})'
    shell = f"python -m helpers.data fetch {name}" + ("" if default else f' --root "{root}"')
    make = "make data" if default else f'BOOK_DATA_DIR="{root}" make data'
    return (
        f"고치는 법: 노트북에서는 `{call}`, 셸에서는 `{shell}`를 실행하세요. "
        "이 명령은 없거나 MD5가 맞지 않는 파일을 지우고 새로 받습니다. "
        f"책의 저장소를 받아 두었다면 저장소 폴더에서 `{make}`를 실행해도 됩니다."
    )


def _read_checked(path: Path, name: str, root: Path, verify: bool) -> torch.Tensor:
    """파일 하나를 확인하며 읽는다: 있는지, 머리와 길이가 맞는지, (``verify``이면) 공식 파일과 MD5가 같은지."""
    if not path.is_file():
        raise FileNotFoundError(f"{name}의 {path.name} 파일이 {path.parent} 폴더에 없습니다.\n{_fix(name, root)}")
    data = path.read_bytes()
    try:
        shape = _idx_shape(data, path)
    except IDXFileError as exc:
        raise IDXFileError(f"{exc}\n{_fix(name, root)}") from None
    if verify:
        expected, actual = DATASETS[name].md5[path.name], hashlib.md5(data).hexdigest()
        if actual != expected:
            raise IDXFileError(
                f"{path}: 내용이 공식 {name} 파일과 다릅니다 (MD5 {actual}, 공식 파일은 {expected}).\n"
                f"{_fix(name, root)}\n"
                "직접 만든 IDX 파일이라면 MNISTFiles(..., verify=False)로 MD5 확인을 끄세요."
            )
    return _to_tensor(data, shape)


class MNISTFiles(Dataset):
    """``<root>/<name>/raw/``의 IDX 파일로 만든 데이터 세트. ``name``은 "MNIST" 또는 "FashionMNIST".

    ``dataset[i]``는 ``(이미지, 레이블)``: 이미지는 ``uint8 [1, 28, 28]`` 텐서에 ``transform``을
    적용한 것, 레이블은 ``int``다.

    만들 때 파일을 한 번 확인한다: 없으면 ``FileNotFoundError``, 머리가 틀렸거나 잘렸거나 MD5가
    공식 파일과 다르면 ``IDXFileError``이고, 메시지가 다시 받는 법을 알려 준다. 직접 만든 IDX 파일은
    공식 MD5가 없으므로 ``verify=False``로 MD5 확인만 끈다 (머리와 길이는 언제나 확인한다).
    """

    def __init__(
        self,
        root: str | Path,
        name: str = "MNIST",
        train: bool = True,
        transform: Callable | None = None,
        *,
        verify: bool = True,
    ) -> None:
        if verify and name not in DATASETS:
            raise ValueError(f"{name!r}의 공식 MD5를 모릅니다 (아는 데이터 세트: {', '.join(DATASETS)}). "
                             "직접 만든 IDX 파일이라면 verify=False를 주세요.")
        prefix = "train" if train else "t10k"
        root = Path(root) if root is not None else data_root()
        folder = raw_dir(name, root)
        images = _read_checked(folder / f"{prefix}-images-idx3-ubyte", name, root, verify)
        labels = _read_checked(folder / f"{prefix}-labels-idx1-ubyte", name, root, verify)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise IDXFileError(f"{folder}: 이미지 [N, 높이, 너비]와 레이블 [N]이어야 하는데 "
                               f"모양이 {list(images.shape)}와 {list(labels.shape)}입니다.")
        self.images = images          # [N, 28, 28]
        self.labels = labels.long()   # [N]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = self.images[index].unsqueeze(0)  # [28, 28] → [1, 28, 28] (채널 하나)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])
