"""helpers.data.InMemoryLoader와 helpers.mnist_files(2장)의 단위 테스트.

InMemoryLoader는 ``DataLoader(TensorDataset(x, y), ...)``를 대신한다. 그래서 둘을 나란히 두고
한 에폭의 샘플, 배치 모양, 배치 수가 같은지 확인한다. 섞는 순서만은 서로 다르다.
"""
from __future__ import annotations

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
