"""장에서 쓰는 작은 파일(그림 등): ``helpers`` 패키지와 함께 설치된다.

Colab에서 노트북만 열어도 ``pip install``한 패키지 안에 같은 파일이 있으므로, 인터넷 주소에서
따로 받아 올 필요가 없다.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["asset_path"]


def asset_path(name: str) -> Path:
    """패키지에 들어 있는 파일 ``name``의 경로 (예: ``asset_path("handwritten_3.png")``)."""
    folder = resources.files("helpers") / "assets"
    path = Path(str(folder / name))
    if not path.is_file():
        known = sorted(p.name for p in Path(str(folder)).iterdir() if p.is_file()) if Path(str(folder)).is_dir() else []
        raise FileNotFoundError(
            f"helpers 패키지에 {name!r} 파일이 없습니다. 들어 있는 파일: {', '.join(known) or '(없음)'}.\n"
            "helpers를 오래전에 설치했다면 다시 설치하세요: pip install --upgrade --force-reinstall <책 저장소>"
        )
    return path
