"""파일을 안전하게 쓰기: 다 쓰기 전에는 제자리에 아무것도 놓지 않는다.

데이터 받기(``helpers.data``)와 체크포인트 저장(``helpers.checkpoint``)이 함께 쓴다.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

__all__ = ["atomic_write"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, check: Callable[[Path], None] | None = None) -> Iterator[BinaryIO]:
    """``path`` 옆의 임시 파일(``.이름.….tmp``)을 쓰기용으로 열어 준다.

    블록이 오류 없이 끝나면 디스크에 내린(``fsync``) 뒤, ``check(임시 파일)``가 있으면 불러 확인하고,
    ``os.replace``로 한 번에 이름을 바꾼다. 블록이나 ``check``가 실패하면(Ctrl-C 같은 중단 포함)
    임시 파일만 지우므로, ``path``에는 이전 파일이 그대로 남거나 아무것도 생기지 않는다.
    임시 파일을 같은 폴더에 만드는 것은 ``os.replace``가 같은 파일 시스템 안에서만 한 번에 일어나기 때문이다.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if check is not None:
            check(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
