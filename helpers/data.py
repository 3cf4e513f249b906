"""MNIST와 Fashion-MNIST를 데이터 폴더 하나에 준비하고, 메모리에 올려 빠르게 배치를 만든다.

데이터를 얻는 순서:

1. 이미 있는 파일 — MD5가 맞으면 아무것도 하지 않는다.
2. torchvision의 내려받기 (Colab과 보통의 PC).

이 패키지는 독자가 ``pip``으로 설치하는 것이므로 시스템에는 아무것도 하지 않는다: 파이썬 안에서 받고,
데이터 폴더에만 쓴다. 책의 저장소를 받은 사람은 ``make data``(``tools/fetch_data.py``)로 받을 수도 있다.
그 스크립트는 torchvision의 내려받기가 막힌 곳을 위해 패키지 저장소의 사본을 한 방법으로 더한다.

모든 파일은 MD5를 확인한 뒤 임시 파일에서 이름만 바꿔(``os.replace``) 제자리에 놓는다.
그래서 중간에 끊겨도 '완성된 것처럼 보이는' 파일은 남지 않는다.

셸에서: ``python -m helpers.data fetch [이름 ...] [--root 폴더]``
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

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
    """데이터 세트 하나: torchvision 클래스 이름과 원본 파일 네 개의 MD5."""

    name: str
    md5: dict[str, str]


DATASETS: dict[str, DatasetSpec] = {
    "MNIST": DatasetSpec(
        name="MNIST",
        md5={
            "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
            "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
            "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
            "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
        },
    ),
    "FashionMNIST": DatasetSpec(
        name="FashionMNIST",
        md5={
            "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
            "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
            "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
        },
    ),
}


class DatasetUnavailableError(RuntimeError):
    """어떤 방법으로도 데이터 세트를 준비하지 못했다.

    ``failures``: 준비하지 못한 데이터 세트의 이름 → 시도한 방법마다 실패한 이유(``"방법: 이유"``).
    """

    def __init__(self, message: str, failures: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.failures: dict[str, list[str]] = dict(failures or {})


# ---------------------------------------------------------------------------
# 데이터 폴더와 검사
# ---------------------------------------------------------------------------

def data_root() -> Path:
    """데이터 폴더: ``$BOOK_DATA_DIR``, 없으면 ``~/.cache/pytorch-basics-ko/data``."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "pytorch-basics-ko" / "data"


def _root(root: Path | str | None) -> Path:
    """주어진 데이터 폴더, 없으면 ``data_root()``."""
    return Path(root) if root is not None else data_root()


def raw_dir(name: str, root: Path | str | None = None) -> Path:
    """torchvision이 찾는 자리: ``<root>/<name>/raw``."""
    return _root(root) / name / "raw"


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
# 얻는 방법: 임시 폴더에 파일을 놓기만 한다 (검사·설치는 ensure_dataset이)
# ---------------------------------------------------------------------------

Route = Callable[[DatasetSpec, Path], None]
"""얻는 방법 하나: ``route(spec, 임시 폴더)``가 원본 파일(또는 ``.gz``)을 그 폴더 아래 어딘가에 놓는다."""


def route_torchvision(spec: DatasetSpec, workdir: Path) -> None:
    """torchvision의 내려받기를 임시 폴더에서 실행한다."""
    from torchvision import datasets

    cls = getattr(datasets, spec.name)
    with contextlib.redirect_stdout(sys.stderr):
        cls(workdir, train=True, download=True)
        cls(workdir, train=False, download=True)


DEFAULT_ROUTES: tuple[tuple[str, Route], ...] = (("torchvision", route_torchvision),)


# ---------------------------------------------------------------------------
# 준비하지 못했을 때의 안내: 이유는 여기서 한 번만 보여 준다
# ---------------------------------------------------------------------------

def _failure_lines(name: str, reasons: list[str], root: Path) -> str:
    """데이터 세트 하나: 시도한 방법과 실패한 이유, 네 파일이 놓여야 할 폴더."""
    tried = "\n".join(f"  - {reason}" for reason in reasons)
    files = "\n".join(f"      {fname}" for fname in _spec(name).md5)
    return (
        f"{name} — 시도한 방법과 실패한 이유:\n{tried}\n"
        f"  네 파일(압축을 푼 것)이 놓여야 할 폴더: {raw_dir(name, root)}\n{files}"
    )


def _help_message(failures: Mapping[str, list[str]], root: Path) -> str:
    """준비하지 못한 데이터 세트마다 실패한 이유를, 그 뒤에 무엇을 하면 되는지를 한 번 적는다."""
    names = ", ".join(failures)
    example = next(iter(failures), "MNIST")
    details = "\n".join(_failure_lines(name, reasons, root) for name, reasons in failures.items())
    return (
        f"데이터 세트를 준비하지 못했습니다: {names}\n"
        f"{details}\n"
        "이렇게 해 보세요:\n"
        "  1. 인터넷에 연결되어 있는지 확인하고 다시 실행합니다 "
        "(노트북에서는 이 셀을, 셸에서는 `python -m helpers.data fetch`를).\n"
        "  2. 또는 위의 네 파일(압축을 푼 것)을 다른 곳에서 구해 위의 폴더에 직접 넣습니다.\n"
        f"  3. 네 파일이 이미 다른 데이터 폴더에 있다면 환경 변수 {DATA_DIR_ENV}에 그 폴더를 지정합니다 "
        f"(그 폴더 아래 `{example}/raw/`처럼 데이터 세트마다 네 파일이 있어야 합니다).\n"
        "책의 저장소를 받아 두었다면, 저장소 폴더에서 `make data`를 실행해도 됩니다: "
        "torchvision의 내려받기가 막힌 곳에서는 패키지 저장소의 사본을 받아 씁니다."
    )


# ---------------------------------------------------------------------------
# 준비하기
# ---------------------------------------------------------------------------

def _remove_corrupt(name: str, folder: Path, needed: list[str], say: Callable[[str], None]) -> None:
    """잘리거나 손상된 파일은 지운다 (새로 받는다)."""
    for fname in needed:
        if (folder / fname).exists():
            say(f"{name}/{fname}: MD5가 맞지 않아 지우고 다시 받습니다.")
            (folder / fname).unlink()


def _try_route(route: Route, spec: DatasetSpec, folder: Path, needed: list[str]) -> None:
    """``route``로 임시 폴더에 받은 뒤, ``needed``의 파일을 하나씩 검사해 제자리에 놓는다. 실패하면 예외."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=folder.parent) as tmp:
        workdir = Path(tmp)
        route(spec, workdir)
        for fname in needed:
            source = _find(workdir, fname)
            if source is None:
                raise RuntimeError(f"{fname}을(를) 찾지 못했습니다")
            _install_atomically(source, folder / fname, spec.md5[fname])


def _reason(label: str, exc: BaseException) -> str:
    """실패한 이유 한 줄: ``"방법: 오류 메시지"`` (여러 줄이면 한 줄로 잇고, 300자까지)."""
    return " ".join(f"{label}: {exc}".split())[:300]


def _ready_line(name: str, label: str, folder: Path, failures: list[str]) -> str:
    """준비했다는 한 줄. 앞서 실패한 방법이 있으면 그 이유도 (여기서 한 번만) 붙인다."""
    line = f"{name}: {label} 경로로 준비했습니다 → {folder}"
    return line + (f" (앞서 실패한 방법 — {'; '.join(failures)})" if failures else "")


def ensure_dataset(
    name: str,
    root: Path | str | None = None,
    routes: Sequence[tuple[str, Route]] | None = None,
    verbose: bool = True,
) -> Path:
    """데이터 세트 ``name``의 원본 파일 네 개를 준비하고 데이터 폴더(root)를 돌려준다.

    이미 온전하면 아무 일도 하지 않는다. 돌려준 폴더는
    ``torchvision.datasets.MNIST(root, train=..., download=True)``에 그대로 쓸 수 있다.
    ``routes``는 ``(이름, 방법)``의 목록으로, 앞에서부터 차례로 시도한다 (기본: ``DEFAULT_ROUTES``).
    ``verbose=True``이면 진행을 표준 오류에 한 줄씩 쓴다. 모든 방법이 실패하면 실패한 이유와
    할 일을 담은 ``DatasetUnavailableError``를 일으킨다 (이유는 그 메시지에만 적는다).
    """
    spec = _spec(name)
    root = _root(root)
    folder = raw_dir(name, root)
    needed = missing_or_corrupt(name, root)
    if not needed:
        return root

    def say(msg: str) -> None:
        if verbose:
            print(msg, file=sys.stderr)

    _remove_corrupt(name, folder, needed, say)
    failures: list[str] = []
    for label, route in routes if routes is not None else DEFAULT_ROUTES:
        try:
            _try_route(route, spec, folder, needed)
        except Exception as exc:  # 다음 방법으로 넘어간다
            failures.append(_reason(label, exc))
            say(f"{name}: {label} 경로 실패 (이유는 끝에 한 번에 알립니다)")
        needed = missing_or_corrupt(name, root)
        if not needed:
            say(_ready_line(name, label, folder, failures))
            return root
    failed = {name: failures}
    raise DatasetUnavailableError(_help_message(failed, root), failed)


def fetch_all(
    root: Path | str | None = None,
    names: Iterable[str] | None = None,
    routes: Sequence[tuple[str, Route]] | None = None,
    verbose: bool = True,
) -> Path:
    """데이터 세트(기본: 책에 쓰이는 모두)를 하나씩 ``ensure_dataset``으로 준비하고 데이터 폴더를 돌려준다.

    하나가 실패해도 나머지를 모두 시도한 뒤, 실패한 것들을 ``DatasetUnavailableError`` 하나로 함께
    알린다. 모르는 이름이 있으면 아무것도 받기 전에 ``ValueError``를 일으킨다.
    """
    names = list(names) if names else list(DATASETS)
    for name in names:
        _spec(name)
    root = _root(root)
    failed: dict[str, list[str]] = {}
    for name in names:
        try:
            ensure_dataset(name, root, routes, verbose)
        except DatasetUnavailableError as exc:
            failed.update(exc.failures)
    if failed:
        raise DatasetUnavailableError(_help_message(failed, root), failed)
    return root


def fetch_command(
    names: Sequence[str],
    root: Path | str | None = None,
    routes: Sequence[tuple[str, Route]] | None = None,
) -> int:
    """명령줄의 ``fetch``: ``fetch_all``로 모두 시도하고, 준비된 것과 안내를 출력한다. 종료 코드를 돌려준다."""
    names = list(names) or list(DATASETS)
    root = _root(root)
    try:
        fetch_all(root, names, routes)
        failed: dict[str, list[str]] = {}
    except DatasetUnavailableError as exc:
        failed = exc.failures
        print(exc, file=sys.stderr)
    except ValueError as exc:  # 모르는 이름
        print(exc, file=sys.stderr)
        return 1
    for name in names:
        if name not in failed:
            print(f"{name}: 준비됨 ({raw_dir(name, root)})")
    return 1 if failed else 0


# ---------------------------------------------------------------------------
# 메모리에 올린 데이터와 빠른 로더 (3장에서 만들고 뒤의 장들이 쓴다)
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
    - 배치는 ``shuffle``과 상관없이 언제나 새 텐서(사본)다. 배치를 제자리에서 고쳐도
      (``x.sub_(mean)`` 등) 로더가 가진 데이터는 바뀌지 않는다.
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
            yield self._batch(i * self.batch_size, order)

    def _batch(self, start: int, order: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """``start``부터 한 배치의 사본. 섞지 않을 때는 잘라서(뷰) 복사하고, 섞을 때는 인덱싱이 이미 복사한다."""
        stop = start + self.batch_size
        if order is None:
            return self.x[start:stop].clone(), self.y[start:stop].clone()
        idx = order[start:stop]
        return self.x[idx], self.y[idx]

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
    fetch = sub.add_parser("fetch", help="MNIST와 Fashion-MNIST를 데이터 폴더에 준비한다 (torchvision의 내려받기)")
    fetch.add_argument("--root", default=None, help=f"데이터 폴더 (기본: ${DATA_DIR_ENV} 또는 {data_root()})")
    fetch.add_argument("names", nargs="*", help=f"데이터 세트 이름 (기본: 모두 — {', '.join(DATASETS)})")
    args = parser.parse_args(argv)
    return fetch_command(args.names, args.root)


if __name__ == "__main__":
    sys.exit(_main())
