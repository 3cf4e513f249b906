"""helpers.data의 데이터 받기: MD5 검사, 잘린 파일, 중단된 쓰기, 두 번째 실행, 한국어 오류.

받는 방법(route)은 작은 가짜 파일을 쓰는 함수로 바꿔 끼운다. 진짜 MNIST를 받는 길은
`make test`의 `python -m helpers.data fetch`와 마지막 테스트가 확인한다.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from helpers import data


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


CONTENT = {name: f"{name} 내용 ".encode() * 100 for name in data.RAW_FILES}


@pytest.fixture
def toy(monkeypatch):
    """네 파일짜리 작은 데이터 세트 'Toy'를 표에 넣는다."""
    spec = data.DatasetSpec(
        name="Toy",
        md5={name: md5(body) for name, body in CONTENT.items()},
        registry_route="npm",
        registry_package="toy@0",
    )
    monkeypatch.setitem(data.DATASETS, "Toy", spec)
    return spec


class Route:
    """호출 횟수를 세고, 지정한 내용(기본: 올바른 내용)을 작업 폴더에 쓰는 가짜 route."""

    def __init__(self, content=None, gz=False, fail=None):
        self.calls = 0
        self.content = content or CONTENT
        self.gz = gz
        self.fail = fail

    def __call__(self, spec, workdir: Path) -> None:
        self.calls += 1
        if self.fail:
            raise RuntimeError(self.fail)
        import gzip

        target = workdir / "Toy" / "raw"
        target.mkdir(parents=True)
        for name, body in self.content.items():
            if self.gz:
                (target / (name + ".gz")).write_bytes(gzip.compress(body))
            else:
                (target / name).write_bytes(body)


def test_fetch_installs_verified_files(tmp_path, toy):
    route = Route()
    root = data.ensure_dataset("Toy", tmp_path, routes=[("fake", route)], verbose=False)
    assert root == tmp_path
    for name, body in CONTENT.items():
        assert (tmp_path / "Toy" / "raw" / name).read_bytes() == body
    assert data.missing_or_corrupt("Toy", tmp_path) == []
    assert not list((tmp_path / "Toy").glob(".fetch-*")), "임시 폴더가 남았다"


def test_gzip_copies_are_unpacked(tmp_path, toy):
    data.ensure_dataset("Toy", tmp_path, routes=[("fake", Route(gz=True))], verbose=False)
    assert data.missing_or_corrupt("Toy", tmp_path) == []


def test_second_run_does_no_work(tmp_path, toy):
    route = Route()
    data.ensure_dataset("Toy", tmp_path, routes=[("fake", route)], verbose=False)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "Toy" / "raw").iterdir()}
    data.ensure_dataset("Toy", tmp_path, routes=[("fake", route)], verbose=False)
    assert route.calls == 1
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "Toy" / "raw").iterdir()} == before


def test_truncated_file_is_detected_and_fetched_again(tmp_path, toy):
    route = Route()
    data.ensure_dataset("Toy", tmp_path, routes=[("fake", route)], verbose=False)
    victim = tmp_path / "Toy" / "raw" / "train-images-idx3-ubyte"
    victim.write_bytes(victim.read_bytes()[:50])  # 받다가 끊긴 파일
    assert data.missing_or_corrupt("Toy", tmp_path) == ["train-images-idx3-ubyte"]
    data.ensure_dataset("Toy", tmp_path, routes=[("fake", route)], verbose=False)
    assert route.calls == 2
    assert victim.read_bytes() == CONTENT["train-images-idx3-ubyte"]


def test_wrong_checksum_falls_through_to_next_route(tmp_path, toy):
    bad = dict(CONTENT, **{"t10k-labels-idx1-ubyte": b"corrupted"})
    first, second = Route(content=bad), Route()
    data.ensure_dataset("Toy", tmp_path, routes=[("bad", first), ("good", second)], verbose=False)
    assert (first.calls, second.calls) == (1, 1)
    assert data.missing_or_corrupt("Toy", tmp_path) == []


def test_all_routes_fail_gives_korean_instructions(tmp_path, toy):
    bad = dict(CONTENT, **{"t10k-labels-idx1-ubyte": b"corrupted"})
    routes = [("offline", Route(fail="이름을 찾을 수 없음")), ("bad", Route(content=bad))]
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.ensure_dataset("Toy", tmp_path, routes=routes, verbose=False)
    message = str(info.value)
    assert "준비하지 못했습니다" in message
    assert "python -m helpers.data fetch" in message
    assert str(tmp_path / "Toy" / "raw") in message
    assert "t10k-labels-idx1-ubyte" in message and "BOOK_DATA_DIR" in message
    assert "offline" in message and "MD5" in message
    # 검사를 통과하지 못한 파일은 하나도 제자리에 놓이지 않는다
    assert not (tmp_path / "Toy" / "raw" / "t10k-labels-idx1-ubyte").exists()


def test_interrupted_write_leaves_no_file(tmp_path, toy, monkeypatch):
    """복사 도중 끊기면(예: 디스크가 꽉 참) 완성된 것처럼 보이는 파일도, 임시 파일도 남지 않는다."""
    real_copy = data.shutil.copyfileobj

    def copy_then_crash(src, dst, length=0):
        dst.write(src.read(10))
        raise OSError("디스크가 꽉 찼습니다 (흉내)")

    monkeypatch.setattr(data.shutil, "copyfileobj", copy_then_crash)
    with pytest.raises(data.DatasetUnavailableError):
        data.ensure_dataset("Toy", tmp_path, routes=[("fake", Route())], verbose=False)
    raw = tmp_path / "Toy" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == []
    monkeypatch.setattr(data.shutil, "copyfileobj", real_copy)
    data.ensure_dataset("Toy", tmp_path, routes=[("fake", Route())], verbose=False)
    assert data.missing_or_corrupt("Toy", tmp_path) == []


def test_unknown_dataset_name_is_a_clear_error():
    with pytest.raises(ValueError, match="모르는 데이터 세트"):
        data.ensure_dataset("CIFAR10")


def test_data_root_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOK_DATA_DIR", str(tmp_path / "d"))
    assert data.data_root() == tmp_path / "d"
    monkeypatch.delenv("BOOK_DATA_DIR")
    assert data.data_root().parts[-2:] == ("pytorch-basics-ko", "data")


def test_command_line_reports_failure_in_korean(tmp_path, toy, monkeypatch, capsys):
    monkeypatch.setattr(data, "DEFAULT_ROUTES", (("offline", Route(fail="연결 안 됨")),))
    assert data._main(["fetch", "--root", str(tmp_path), "Toy"]) == 1
    assert "준비하지 못했습니다" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_real_datasets_are_complete(name):
    """`make test`가 받아 둔 진짜 데이터: MD5와 이미지 수, 클래스별 개수."""
    if data.missing_or_corrupt(name):
        pytest.skip(f"{name}이(가) 없습니다: 먼저 `python -m helpers.data fetch`")
    x, y = data.load_tensors(name, train=True)
    xt, yt = data.load_tensors(name, train=False)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    counts = y.bincount().tolist()
    if name == "MNIST":
        assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    else:
        assert counts == [6000] * 10 and yt.bincount().tolist() == [1000] * 10
