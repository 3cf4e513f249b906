"""파일을 안전하게 쓰기: 다 쓰기 전에는 제자리에 아무것도 놓지 않는다.

데이터 받기(``helpers.data``)와 체크포인트 저장(``helpers.checkpoint``)이 함께 쓴다.

임시 파일의 이름은 ``.이름.<pid>.<무작위>.tmp``다. 쓰는 도중에 프로세스가 죽으면(``kill -9``,
커널 재시작, 전원) 임시 파일이 남는데, 다음에 같은 경로에 쓸 때 ``remove_stale_temp_files``가
이름의 pid가 더는 돌고 있지 않은 것만 지운다. 그래서 두 프로세스가 같은 경로에 동시에 써도
서로의 임시 파일은 건드리지 않는다.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

__all__ = ["atomic_write", "remove_stale_temp_files"]

_ASK_PID = os.name != "nt"  # Windows의 os.kill(pid, 0)은 묻지 않고 프로세스를 끝내 버린다
_STALE_AFTER = 60 * 60  # 초: 주인(pid)을 알 수 없는 임시 파일은 이만큼 손대지 않았으면 남은 것으로 본다
_WITH_PID = re.compile(r"(\d+)\.[a-z0-9_]+")  # 이름과 .tmp 사이: <pid>.<무작위>
_WITHOUT_PID = re.compile(r"[a-z0-9_]+")      # 예전 이름: <무작위>만


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, check: Callable[[Path], None] | None = None) -> Iterator[BinaryIO]:
    """``path`` 옆의 임시 파일(``.이름.<pid>.<무작위>.tmp``)을 쓰기용으로 열어 준다.

    블록이 오류 없이 끝나면 디스크에 내린(``fsync``) 뒤, ``check(임시 파일)``가 있으면 불러 확인하고,
    ``os.replace``로 한 번에 이름을 바꾼다. 블록이나 ``check``가 실패하면(Ctrl-C 같은 중단 포함)
    임시 파일만 지우므로, ``path``에는 이전 파일이 그대로 남거나 아무것도 생기지 않는다.
    임시 파일을 같은 폴더에 만드는 것은 ``os.replace``가 같은 파일 시스템 안에서만 한 번에 일어나기 때문이다.

    쓰기 전에 ``remove_stale_temp_files(path)``로, 같은 경로에 쓰다가 죽은 프로세스가 남긴 임시 파일을 지운다.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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


def remove_stale_temp_files(path: str | os.PathLike) -> list[Path]:
    """``path``에 쓰다가 죽은 프로세스가 남긴 임시 파일(``.이름.<pid>.<무작위>.tmp``)을 지우고 그 목록을 돌려준다.

    이름의 pid인 프로세스가 더는 돌고 있지 않을 때만 지운다: 지금 쓰고 있는 프로세스의 임시 파일은
    그대로 둔다. pid가 없는 예전 이름의 임시 파일과, pid를 물어볼 수 없는 Windows에서는
    한 시간 넘게 손대지 않은 것만 지운다. 지우지 못한 것은 조용히 건너뛴다.
    다른 기계(또는 컨테이너)의 프로세스는 pid로 알아볼 수 없으므로, 여러 기계가 공유 폴더의 같은 파일에
    동시에 쓰면 한쪽의 저장이 실패할 수 있다 (그래도 ``path``에는 온전한 파일만 놓인다).
    """
    path = Path(path)
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return []
    removed = []
    for tmp in candidates:
        if not _is_stale_temp(tmp, path.name):
            continue
        try:
            tmp.unlink()
        except OSError:  # 그새 다른 프로세스가 지웠거나, 쓰는 중이라 지울 수 없다 (Windows)
            continue
        removed.append(tmp)
    return removed


def _is_stale_temp(tmp: Path, name: str) -> bool:
    """``tmp``가 ``name``에 쓰다가 남은 임시 파일이고, 그 주인이 더는 쓰고 있지 않은지."""
    prefix, suffix = f".{name}.", ".tmp"
    if not (tmp.name.startswith(prefix) and tmp.name.endswith(suffix)):
        return False
    middle = tmp.name[len(prefix):-len(suffix)]
    owner = _WITH_PID.fullmatch(middle)
    if owner and _ASK_PID:
        return not _process_alive(int(owner.group(1)))
    if owner or _WITHOUT_PID.fullmatch(middle):
        return _untouched_for(tmp, _STALE_AFTER)
    return False  # 다른 파일(예: ``이름.1``)의 임시 파일이거나, 우리가 만든 것이 아니다


def _process_alive(pid: int) -> bool:
    """pid인 프로세스가 아직 있는지 (POSIX). 알 수 없으면 있다고 본다."""
    try:
        os.kill(pid, 0)  # 신호 0: 보내지 않고, 보낼 수 있는지만 묻는다
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: 다른 사용자의 프로세스라 살아 있다
        return True
    return True


def _untouched_for(tmp: Path, seconds: float) -> bool:
    """``tmp``를 ``seconds``초 넘게 고치지 않았는지."""
    try:
        return time.time() - tmp.stat().st_mtime > seconds
    except OSError:
        return False
