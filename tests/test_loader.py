"""helpers.data.InMemoryLoader와 helpers.mnist_files(3장)의 단위 테스트.

InMemoryLoader는 ``DataLoader(TensorDataset(x, y), ...)``를 대신한다. 그래서 둘을 나란히 두고
한 에폭의 샘플, 배치 모양, 배치 수가 같은지 확인한다. 섞는 순서만은 서로 다르다.
"""
from __future__ import annotations

import re

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from helpers.data import InMemoryLoader, missing_or_corrupt
from helpers.mnist_files import FASHION_CLASSES, FASHION_CLASSES_EN, MNISTFiles, read_idx


def _toy(n: int = 103):
    """샘플마다 다른 값을 가진 작은 데이터: x[i]는 모두 i, y[i] = i % 10."""
    x = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous()
    y = torch.arange(n) % 10
    return x, y


def _epoch(loader):
    xs, ys, shapes = [], [], []
    for xb, yb in loader:
        xs.append(xb)
        ys.append(yb)
        shapes.append((tuple(xb.shape), tuple(yb.shape)))
    if not xs:  # drop_last=True이고 배치 하나보다 샘플이 적으면 한 배치도 없다
        return torch.empty(0, 1, 2, 2), torch.empty(0, dtype=torch.long), shapes
    return torch.cat(xs), torch.cat(ys), shapes


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 10, 64, 103, 200])
def test_matches_dataloader(shuffle, drop_last, batch_size):
    x, y = _toy()
    ref = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                     generator=torch.Generator().manual_seed(0))
    ours = InMemoryLoader(x, y, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                          generator=torch.Generator().manual_seed(0))
    assert len(ours) == len(ref)
    rx, ry, rshapes = _epoch(ref)
    ox, oy, oshapes = _epoch(ours)
    assert oshapes == rshapes  # 같은 배치 모양 (마지막 작은 배치까지)
    if drop_last and shuffle:
        # 버려지는 샘플이 순서에 따라 달라지므로, 개수와 짝(x, y)만 비교한다
        assert len(ox) == len(rx)
    else:
        order_r, order_o = rx[:, 0, 0, 0].argsort(), ox[:, 0, 0, 0].argsort()
        assert torch.equal(rx[order_r], ox[order_o])
        assert torch.equal(ry[order_r], oy[order_o])
    # 이미지와 레이블의 짝이 섞이면서 깨지지 않는다
    assert torch.equal(oy, ox[:, 0, 0, 0].long() % 10)
    if not shuffle:
        assert torch.equal(ox, rx) and torch.equal(oy, ry)


@pytest.mark.parametrize("shuffle", [False, True])
def test_changing_a_batch_in_place_leaves_the_data_alone(shuffle):
    """배치는 언제나 사본이다: ``xb.sub_(mean)`` 같은 제자리 연산이 로더의 데이터(와 넘겨준 텐서)를 바꾸지 않는다."""
    x, y = _toy(50)
    x_before, y_before = x.clone(), y.clone()
    loader = InMemoryLoader(x, y, batch_size=16, shuffle=shuffle, generator=torch.Generator().manual_seed(0))
    first, _, _ = _epoch(loader)
    for xb, yb in loader:
        xb.sub_(1000)
        yb.add_(1)
    assert torch.equal(loader.x, x_before) and torch.equal(loader.y, y_before)
    assert torch.equal(x, x_before) and torch.equal(y, y_before)
    if not shuffle:  # 다시 돌면 처음과 같은 배치
        assert torch.equal(_epoch(loader)[0], first)


def test_shuffle_covers_every_sample_once():
    x, y = _toy(1000)
    loader = InMemoryLoader(x, y, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(1))
    seen, _, _ = _epoch(loader)
    assert torch.equal(seen[:, 0, 0, 0].sort().values, torch.arange(1000, dtype=torch.float32))
    assert not torch.equal(seen[:, 0, 0, 0], torch.arange(1000, dtype=torch.float32))


def test_seeded_reproducible_and_new_order_each_epoch():
    x, y = _toy(500)
    a = InMemoryLoader(x, y, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(7))
    b = InMemoryLoader(x, y, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(7))
    a1, b1 = _epoch(a)[0], _epoch(b)[0]
    a2, b2 = _epoch(a)[0], _epoch(b)[0]
    assert torch.equal(a1, b1) and torch.equal(a2, b2)  # 같은 시드 → 같은 순서
    other = InMemoryLoader(x, y, 32, shuffle=True, generator=torch.Generator().manual_seed(8))
    assert not torch.equal(a1, _epoch(other)[0])  # 다른 시드 → 다른 순서
    loader = InMemoryLoader(x, y, 32, shuffle=True, generator=torch.Generator().manual_seed(7))
    first, second = _epoch(loader)[0], _epoch(loader)[0]
    assert not torch.equal(first, second)  # 에폭마다 새 순서


def test_without_generator_follows_global_seed():
    x, y = _toy(300)
    torch.manual_seed(3)
    a = _epoch(InMemoryLoader(x, y, 16, shuffle=True))[0]
    torch.manual_seed(3)
    b = _epoch(InMemoryLoader(x, y, 16, shuffle=True))[0]
    torch.manual_seed(4)
    c = _epoch(InMemoryLoader(x, y, 16, shuffle=True))[0]
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("n, batch_size, full, dropped", [(60_000, 64, 938, 937), (10_000, 64, 157, 156),
                                                           (10_000, 100, 100, 100), (5, 10, 1, 0)])
def test_len_arithmetic(n, batch_size, full, dropped):
    x, y = torch.zeros(n, 1), torch.zeros(n, dtype=torch.long)
    keep = InMemoryLoader(x, y, batch_size)
    drop = InMemoryLoader(x, y, batch_size, drop_last=True)
    assert len(keep) == full == len(DataLoader(TensorDataset(x, y), batch_size=batch_size))
    assert len(drop) == dropped == len(DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=True))
    assert sum(len(b) for b, _ in keep) == n
    assert sum(len(b) for b, _ in drop) == dropped * batch_size
    assert keep.dataset_size == n


def test_device_and_validation():
    x, y = _toy(10)
    loader = InMemoryLoader(x, y, batch_size=4, device="cpu")
    xb, yb = next(iter(loader))
    assert xb.device.type == "cpu" and yb.dtype == torch.long
    assert "batch_size=4" in repr(loader)
    with pytest.raises(ValueError):
        InMemoryLoader(x, y[:5], batch_size=4)
    with pytest.raises(ValueError):
        InMemoryLoader(x, y, batch_size=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA GPU가 없다")
def test_cuda_batches_live_on_gpu():  # pragma: no cover - GPU에서만
    x, y = _toy(100)
    loader = InMemoryLoader(x, y, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0),
                            device="cuda")
    xb, yb = next(iter(loader))
    assert xb.is_cuda and yb.is_cuda
    assert torch.equal(_epoch(loader)[0].cpu()[:, 0, 0, 0].sort().values, torch.arange(100.0))


# ---------------------------------------------------------------------------
# helpers.mnist_files: 원본 IDX 파일을 직접 읽는 Dataset
# ---------------------------------------------------------------------------

def test_read_idx_small_file(tmp_path):
    path = tmp_path / "tiny-idx3-ubyte"
    body = bytes(range(2 * 3 * 4))
    path.write_bytes(bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
                     + (4).to_bytes(4, "big") + body)
    t = read_idx(path)
    assert t.dtype == torch.uint8 and t.shape == (2, 3, 4)
    assert t.flatten().tolist() == list(body)
    bad = tmp_path / "bad"
    bad.write_bytes(bytes([0, 0, 0x0D, 1]) + (1).to_bytes(4, "big") + b"\0\0\0\0")
    with pytest.raises(ValueError):
        read_idx(bad)


def test_fashion_class_names():
    assert len(FASHION_CLASSES) == len(FASHION_CLASSES_EN) == 10
    from torchvision import datasets

    assert list(FASHION_CLASSES_EN) == list(datasets.FashionMNIST.classes)


@pytest.fixture(scope="module")
def data_root():
    from helpers.data import data_root as root

    if missing_or_corrupt("MNIST", root()):
        pytest.skip("MNIST 파일이 없다 (python -m helpers.data fetch)")
    return root()


def test_mnist_files_matches_torchvision(data_root):
    from torchvision import datasets

    for train, n in [(True, 60_000), (False, 10_000)]:
        ours = MNISTFiles(data_root, "MNIST", train=train)
        ref = datasets.MNIST(data_root, train=train, download=False)
        assert len(ours) == n
        assert torch.equal(ours.images, ref.data) and torch.equal(ours.labels, ref.targets)
        image, label = ours[0]
        assert image.shape == (1, 28, 28) and image.dtype == torch.uint8 and isinstance(label, int)
    counts = torch.bincount(MNISTFiles(data_root).labels).tolist()
    assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_mnist_files_with_transform_and_workers(data_root):
    from torchvision.transforms import v2

    to_float = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
    ds = MNISTFiles(data_root, "MNIST", train=False, transform=to_float)
    loader = DataLoader(ds, batch_size=50, num_workers=2)
    xb, yb = next(iter(loader))
    assert xb.shape == (50, 1, 28, 28) and xb.dtype == torch.float32
    assert 0.0 <= xb.min() and xb.max() <= 1.0
    assert torch.allclose(xb, ds.images[:50].unsqueeze(1).float() / 255)
    assert yb.tolist()[:4] == [7, 2, 1, 0]


# ---------------------------------------------------------------------------
# MNISTFiles는 읽는 파일을 확인한다: 없는 파일, 잘린 파일, 머리가 망가진 파일, 한 바이트가 바뀐 파일
# ---------------------------------------------------------------------------

TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
TEST_IMAGES_BYTES = 16 + 10_000 * 28 * 28  # 머리 16바이트 + 픽셀


@pytest.fixture
def copied(data_root, tmp_path):
    """진짜 MNIST 테스트 파일 두 개의 사본이 든 데이터 폴더 (사본만 망가뜨린다)."""
    import shutil

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for fname in (TEST_IMAGES, TEST_LABELS):
        shutil.copyfile(data_root / "MNIST" / "raw" / fname, raw / fname)
    return tmp_path


def _fix_in(message: str, root) -> None:
    """메시지가 다시 받는 법을 이 데이터 폴더와 함께 알려 준다."""
    assert f'helpers.ensure_dataset("MNIST", "{root}")' in message
    assert f'python -m helpers.data fetch MNIST --root "{root}"' in message
    assert "make data" in message


def _is_idx_error(exc: BaseException) -> bool:
    """손상·잘림·MD5 불일치는 모두 ``IDXFileError`` (``ValueError``의 한 가지)."""
    from helpers.mnist_files import IDXFileError

    return isinstance(exc, IDXFileError)


def _idx(shape, body: bytes) -> bytes:
    return bytes([0, 0, 8, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape) + body


def test_idx_file_error_is_a_value_error():
    from helpers.mnist_files import IDXFileError

    assert issubclass(IDXFileError, ValueError)


def test_missing_file_names_file_folder_and_fix(copied):
    (copied / "MNIST" / "raw" / TEST_LABELS).unlink()
    with pytest.raises(FileNotFoundError) as info:
        MNISTFiles(copied, "MNIST", train=False)
    message = str(info.value)
    assert message.startswith(f"MNIST의 {TEST_LABELS} 파일이 {copied / 'MNIST' / 'raw'} 폴더에 없습니다.")
    _fix_in(message, copied)


def test_missing_file_in_default_folder_gives_plain_commands(copied, monkeypatch):
    monkeypatch.setenv("BOOK_DATA_DIR", str(copied))
    (copied / "MNIST" / "raw" / TEST_IMAGES).unlink()
    with pytest.raises(FileNotFoundError) as info:
        MNISTFiles(copied, "MNIST", train=False)
    message = str(info.value)
    assert '`helpers.ensure_dataset("MNIST")`' in message
    assert "`python -m helpers.data fetch MNIST`" in message and "`make data`" in message


def test_truncated_file_says_expected_and_actual_bytes(copied):
    path = copied / "MNIST" / "raw" / TEST_IMAGES
    path.write_bytes(path.read_bytes()[:3_000_000])
    with pytest.raises(ValueError) as info:
        MNISTFiles(copied, "MNIST", train=False)
    message = str(info.value)
    assert "잘렸습니다" in message.splitlines()[0]
    assert f"{TEST_IMAGES_BYTES:,}바이트여야 하는데 3,000,000바이트입니다" in message
    _fix_in(message, copied)
    assert _is_idx_error(info.value)
    with pytest.raises(ValueError, match="잘렸습니다"):  # read_idx만 써도 같은 확인
        read_idx(path)


def test_extra_bytes_are_refused(copied):
    path = copied / "MNIST" / "raw" / TEST_LABELS
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="10,008바이트여야 하는데 10,009바이트입니다"):
        MNISTFiles(copied, "MNIST", train=False)


@pytest.mark.parametrize(
    "offset, value, expected",
    [
        (0, 0x1F, "IDX 파일이 아니거나 손상되었습니다"),       # 매직 넘버의 첫 바이트
        (2, 0x0D, "자료형 코드 0x0d, 0x08이어야 합니다"),     # float32 IDX라고 말하는 머리
        (3, 2, "머리가 말하는 것보다 깁니다"),                 # 차원 수 3 → 2
        (7, 0xFF, "잘렸습니다"),                               # 이미지 수 10000 → 더 큰 수
    ],
)
def test_damaged_header_is_refused(copied, offset, value, expected):
    path = copied / "MNIST" / "raw" / TEST_IMAGES
    data = bytearray(path.read_bytes())
    data[offset] = value
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError) as info:
        MNISTFiles(copied, "MNIST", train=False)
    assert expected in str(info.value).splitlines()[0]
    _fix_in(str(info.value), copied)
    assert _is_idx_error(info.value)
    with pytest.raises(ValueError, match=re.escape(expected)):  # MD5를 끄고도 머리에서 잡는다
        MNISTFiles(copied, "MNIST", train=False, verify=False)


def test_one_flipped_byte_is_caught_by_md5(data_root, copied):
    from helpers.data import DATASETS

    path = copied / "MNIST" / "raw" / TEST_IMAGES
    data = bytearray(path.read_bytes())
    data[16 + 5_000 * 784 + 400] ^= 0xFF  # 5000번째 이미지의 한가운데 픽셀
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError) as info:
        MNISTFiles(copied, "MNIST", train=False)
    message = str(info.value)
    assert "내용이 공식 MNIST 파일과 다릅니다" in message.splitlines()[0]
    assert DATASETS["MNIST"].md5[TEST_IMAGES] in message
    assert "verify=False" in message
    _fix_in(message, copied)
    assert _is_idx_error(info.value)
    # verify=False이면 MD5만 건너뛴다: 파일을 그대로(바뀐 한 픽셀까지) 읽는다
    loose = MNISTFiles(copied, "MNIST", train=False, verify=False)
    real = MNISTFiles(data_root, "MNIST", train=False)
    differ = (loose.images != real.images).nonzero().tolist()
    assert differ == [[5_000, 14, 8]]


def test_the_fix_in_the_message_works(data_root, tmp_path):
    """메시지가 시키는 대로 ensure_dataset을 실행하면 MD5가 틀린 파일을 새로 받아 다시 읽을 수 있다."""
    import shutil

    from helpers.data import ensure_dataset

    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(data_root / "MNIST" / "raw", raw, ignore=shutil.ignore_patterns("*.gz"))
    path = raw / TEST_IMAGES
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError):
        MNISTFiles(tmp_path, "MNIST", train=False)

    def copy_route(spec, workdir):  # 내려받기 대신 진짜 파일을 복사해 온다
        shutil.copyfile(data_root / "MNIST" / "raw" / TEST_IMAGES, workdir / TEST_IMAGES)

    ensure_dataset("MNIST", tmp_path, routes=[("복사", copy_route)], verbose=False)
    assert len(MNISTFiles(tmp_path, "MNIST", train=False)) == 10_000


def test_custom_idx_files_with_verify_false(tmp_path):
    raw = tmp_path / "MyDigits" / "raw"
    raw.mkdir(parents=True)
    pixels = bytes(range(3 * 5 * 4))
    (raw / "train-images-idx3-ubyte").write_bytes(_idx([3, 5, 4], pixels))
    (raw / "train-labels-idx1-ubyte").write_bytes(_idx([3], bytes([7, 1, 9])))
    ds = MNISTFiles(tmp_path, "MyDigits", train=True, verify=False)
    assert len(ds) == 3 and ds.images.shape == (3, 5, 4)
    image, label = ds[2]
    assert image.shape == (1, 5, 4) and label == 9
    assert image.flatten().tolist() == list(pixels[40:])
    # 공식 MD5가 없는 이름에 verify를 켜 두면, 무엇을 하면 되는지 알려 준다
    with pytest.raises(ValueError, match="공식 MD5를 모릅니다.*verify=False"):
        MNISTFiles(tmp_path, "MyDigits", train=True)
    # 이미지와 레이블의 수가 다르면 읽지 않는다
    (raw / "train-labels-idx1-ubyte").write_bytes(_idx([2], bytes([7, 1])))
    with pytest.raises(ValueError, match=r"모양이 \[3, 5, 4\]와 \[2\]입니다"):
        MNISTFiles(tmp_path, "MyDigits", train=True, verify=False)
    # 없는 파일: 공식 데이터 세트가 아니므로 받는 명령 대신 파일을 고치라고 한다
    (raw / "train-images-idx3-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="MyDigits의 train-images-idx3-ubyte 파일이") as info:
        MNISTFiles(tmp_path, "MyDigits", train=True, verify=False)
    assert "ensure_dataset" not in str(info.value)


def test_fashion_mnist_files_pass_the_md5_check():
    from torchvision import datasets

    from helpers.data import data_root as root

    if missing_or_corrupt("FashionMNIST", root()):
        pytest.skip("Fashion-MNIST 파일이 없다 (python -m helpers.data fetch)")
    ours = MNISTFiles(root(), "FashionMNIST", train=False)
    ref = datasets.FashionMNIST(root(), train=False, download=False)
    assert torch.equal(ours.images, ref.data) and torch.equal(ours.labels, ref.targets)
