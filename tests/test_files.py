"""helpers.files: 임시 파일 → 이름 바꾸기, 그리고 죽은 프로세스가 남긴 임시 파일 치우기."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path

import pytest
import torch

from helpers import checkpoint as ckpt
from helpers import files

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork와 SIGKILL이 있는 POSIX에서만")
needs_pid = pytest.mark.skipif(os.name == "nt", reason="pid로 프로세스를 물어볼 수 있는 POSIX에서만")


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def fork(job) -> int:
    """``job()``을 도는 자식 프로세스를 띄우고 pid를 돌려준다 (torch를 다시 불러오지 않아 빠르다).
    자식은 끝나면 0, 오류가 나면 그 내용을 찍고 1로 곧바로 나간다 (pytest로 돌아오지 않는다).
    fork한 자식에서 torch로 계산하면 스레드 풀이 멈출 수 있으므로, 텐서는 부모에서 만들어 두고
    자식은 저장만 한다."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: 스레드가 있는 프로세스의 fork
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            job()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def exit_code(pid: int, timeout: float = 30.0) -> int:
    """자식이 끝나기를 기다려 종료 코드를 돌려준다 (신호로 죽었으면 -신호). 멈춰 있으면 죽이고 실패한다."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"자식 프로세스 {pid}이(가) {timeout}초 안에 끝나지 않았다")


def stop(pid: int) -> None:
    """자식이 아직 돌고 있으면 죽이고 거둔다: 테스트가 중간에 실패해도 자식이 남아 돌지 않도록."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # 이미 거뒀다
        return
    if not done:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def wait_for_new_temp_file(folder: Path, before: set[str], timeout: float = 10.0) -> bool:
    """``before``에 없던 임시 파일이 생길 때까지 기다린다."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(temp_files(folder)) - before:
            return True
        time.sleep(0.001)
    return False


def dead_pid() -> int:
    """막 끝나서 거둬진 프로세스의 pid (이제 그런 프로세스는 없다)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def make_temp(folder: Path, name: str, age: float = 0.0) -> Path:
    tmp = folder / name
    tmp.write_bytes(b"half a checkpoint")
    if age:
        then = time.time() - age
        os.utime(tmp, (then, then))
    return tmp


# ---------------------------------------------------------------------------
# kill -9로 죽은 저장이 남긴 임시 파일
# ---------------------------------------------------------------------------

@needs_fork
def test_save_after_kill_9_removes_the_temp_files_left_behind(tmp_path):
    """저장을 되풀이하는 프로세스를 SIGKILL하기를 열 번. 임시 파일이 남아도, 다음 저장이 치운다.

    번갈아 아무 때나, 또는 임시 파일이 생기자마자(쓰는 도중에) 죽인다. 죽일 때마다 ``path``에는
    온전한 체크포인트가 있거나 아무것도 없어야 한다.
    """
    path = tmp_path / "last.pt"
    weights = {"w": torch.arange(8 * 2**20, dtype=torch.float32)}  # 32 MB: 쓰는 데 잠깐 걸린다
    rng = random.Random(0)

    def save_forever():
        while True:
            ckpt.save(weights, path)

    def kill_a_saver(while_writing: bool) -> list[str]:
        """저장하는 자식을 띄워 죽이고, 그 자식이 남긴 임시 파일들을 돌려준다."""
        before = set(temp_files(tmp_path))
        pid = fork(save_forever)
        try:
            if while_writing:
                assert wait_for_new_temp_file(tmp_path, before), "자식의 임시 파일이 보이지 않는다"
            else:
                time.sleep(rng.uniform(0.0, 0.4))
            os.kill(pid, signal.SIGKILL)
            assert exit_code(pid) == -signal.SIGKILL
        finally:
            stop(pid)
        if path.exists():
            assert torch.equal(ckpt.load(path)["w"], weights["w"])
        return sorted(set(temp_files(tmp_path)) - before)

    left_behind = [name for attempt in range(10) for name in kill_a_saver(while_writing=attempt % 2 == 1)]
    for _ in range(5):  # 마지막 저장 앞에 임시 파일이 남아 있도록 (기계가 바빠 쓰기가 끝난 뒤에 죽였으면 다시)
        if temp_files(tmp_path):
            break
        left_behind += kill_a_saver(while_writing=True)
    assert left_behind and temp_files(tmp_path), "죽인 프로세스가 임시 파일을 남기지 않았다: 이 테스트는 아무것도 보이지 못한다"

    ckpt.save(weights, path)
    assert temp_files(tmp_path) == []
    assert torch.equal(ckpt.load(path)["w"], weights["w"])


@needs_pid
def test_temp_files_of_running_processes_are_kept(tmp_path):
    """지금 쓰고 있는 프로세스(이 테스트, 자고 있는 다른 프로세스)의 임시 파일은 저장이 건드리지 않는다."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mine = make_temp(tmp_path, f".w.pt.{os.getpid()}.abcd1234.tmp")
        theirs = make_temp(tmp_path, f".w.pt.{sleeper.pid}.efgh5678.tmp")
        ckpt.save({"x": torch.ones(3)}, tmp_path / "w.pt")
        assert mine.exists() and theirs.exists()
        assert files.remove_stale_temp_files(tmp_path / "w.pt") == []
    finally:
        sleeper.kill()
        sleeper.wait()


@needs_pid
def test_remove_stale_temp_files_removes_only_what_dead_writers_left(tmp_path):
    path = tmp_path / "w.pt"
    dead = dead_pid()
    stale = make_temp(tmp_path, f".w.pt.{dead}.abcd1234.tmp")
    old_style = make_temp(tmp_path, ".w.pt.k3j_x9q2.tmp", age=2 * 3600)  # pid 없는 예전 이름, 두 시간 전
    kept = [
        make_temp(tmp_path, ".w.pt.q8w7e6r5.tmp"),                 # 예전 이름이지만 방금 쓴 것
        make_temp(tmp_path, f".w.pt.{os.getpid()}.zzzz0000.tmp"),  # 살아 있는 프로세스
        make_temp(tmp_path, f".v.pt.{dead}.abcd1234.tmp"),         # 다른 파일의 임시 파일
        make_temp(tmp_path, f".w.pt.1.{dead}.abcd1234.tmp"),       # 다른 파일(w.pt.1)의 임시 파일
        make_temp(tmp_path, f".w.pt.{dead}.abcd1234.bak"),         # 임시 파일이 아니다
    ]
    removed = files.remove_stale_temp_files(path)
    assert sorted(removed) == sorted([stale, old_style])
    assert not stale.exists() and not old_style.exists()
    assert all(p.exists() for p in kept)
    assert files.remove_stale_temp_files(path) == []
    assert files.remove_stale_temp_files(tmp_path / "no_such_dir" / "w.pt") == []


def test_where_pids_cannot_be_asked_only_old_temp_files_go(tmp_path, monkeypatch):
    """Windows처럼 pid를 물어볼 수 없으면, 한 시간 넘게 손대지 않은 임시 파일만 지운다."""
    monkeypatch.setattr(files, "_ASK_PID", False)
    monkeypatch.setattr(os, "kill", lambda *args: pytest.fail("os.kill을 부르면 안 된다"))
    fresh = make_temp(tmp_path, ".w.pt.999999.abcd1234.tmp")
    old = make_temp(tmp_path, ".w.pt.999998.abcd1234.tmp", age=2 * 3600)
    assert files.remove_stale_temp_files(tmp_path / "w.pt") == [old]
    assert fresh.exists()


def test_temp_file_is_named_after_the_target_and_this_process(tmp_path):
    path = tmp_path / "data.bin"
    with files.atomic_write(path) as f:
        f.write(b"123")
        (name,) = temp_files(tmp_path)
    assert name.startswith(f".data.bin.{os.getpid()}.") and name.endswith(".tmp")
    assert path.read_bytes() == b"123" and temp_files(tmp_path) == []


@needs_fork
def test_two_processes_saving_at_once_both_succeed(tmp_path):
    """두 프로세스가 같은 경로에 동시에 저장해도 서로의 임시 파일을 지우지 않는다: 둘 다 성공한다."""
    path = tmp_path / "shared.pt"
    ones, twos = torch.full((2**20,), 1.0), torch.full((2**20,), 2.0)  # 4 MB씩
    start = time.time() + 0.2  # 둘이 함께 시작하도록

    def saver(weights: torch.Tensor):
        def job():
            time.sleep(max(0.0, start - time.time()))
            for _ in range(8):
                ckpt.save({"w": weights}, path)
        return job

    pids = [fork(saver(ones)), fork(saver(twos))]
    try:
        assert [exit_code(pid) for pid in pids] == [0, 0]
    finally:
        for pid in pids:
            stop(pid)
    w = ckpt.load(path)["w"]
    assert torch.equal(w, ones) or torch.equal(w, twos)
    assert temp_files(tmp_path) == []
