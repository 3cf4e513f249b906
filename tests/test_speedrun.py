"""helpers.speedrun(8장의 사다리)의 단위 테스트: 조리법, 학습 한 번, 연산량 세기, 표."""
from __future__ import annotations

import pytest
import torch

from helpers.speedrun import FINAL, FastCNN, MnistData, Recipe, amp_dtype, ladder_table, run_ladder, run_recipe, \
    step_breakdown, training_flops

CPU = torch.device("cpu")


def image_keys(x: torch.Tensor) -> torch.Tensor:
    """이미지마다 거의 겹치지 않는 수 하나(픽셀의 무작위 가중합)를 정렬한 것: 순서와 상관없이 같은 이미지들인지 본다."""
    weights = torch.randn(28 * 28, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    return (x.flatten(1).double() @ weights).sort().values


@pytest.fixture(scope="module")
def data():
    return MnistData.load(train_subset=512, test_subset=256)


def test_fast_cnn_shapes_and_size():
    model = FastCNN()
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert sum(p.numel() for p in model.parameters()) == (24 * 25 + 24) + (32 * 24 * 9 + 32) + (800 * 256 + 256) + 2570


def test_training_flops_counts_forward_and_backward():
    """순전파 곱셈·덧셈 수의 세 배에서, 입력 이미지의 기울기(첫 합성곱의 입력 쪽 역전파)만 빠진다."""
    macs = {"conv1": 24 * 24 * 24 * 25, "conv2": 10 * 10 * 32 * 24 * 9, "fc1": 800 * 256, "fc2": 256 * 10}
    expected = 2 * (3 * sum(macs.values()) - macs["conv1"])
    assert training_flops(FastCNN(), torch.zeros(1, 1, 28, 28), torch.zeros(1, dtype=torch.long)) == expected


def test_recipe_but_changes_one_thing():
    first = Recipe()
    second = first.but("데이터를 텐서 하나로", loader="memory")
    assert second.changes_from(first) == {"loader": "memory"} and first.loader == "dataloader"
    assert FINAL.changes_from(first), "마지막 단은 첫 단과 달라야 합니다"


def test_run_recipe_is_reproducible_and_sync_does_not_change_the_math(data):
    recipe = FINAL.but("작게", batch_size=128)
    a = run_recipe(recipe, data, seed=3, device=CPU)
    b = run_recipe(recipe, data, seed=3, device=CPU)
    synced = run_recipe(recipe.but("동기화", sync_every_step=True), data, seed=3, device=CPU)
    assert a.steps == FINAL.epochs * 512 // 128 and 0 <= a.test_acc <= 100 and a.seconds > 0
    assert (a.test_acc, a.final_loss) == (b.test_acc, b.final_loss)   # CPU에서는 같은 시드면 같은 결과
    assert synced.test_acc == a.test_acc and synced.final_loss == pytest.approx(a.final_loss, rel=1e-6)


def test_dataloader_rung_and_memory_rung_see_the_same_images(data):
    """첫 단의 DataLoader와 둘째 단의 InMemoryLoader는 같은 정규화를 한 같은 이미지를 낸다 (순서만 다르다)."""
    loader = data.train_loader(Recipe(batch_size=512), seed=0, device=CPU)
    x, y = next(iter(loader))
    assert x.shape == (512, 1, 28, 28)
    assert torch.allclose(image_keys(x), image_keys(data.x_train), atol=1e-3)
    assert torch.equal(y.sort().values, data.y_train.sort().values)


def test_holdout_is_disjoint_and_refuses_the_dataloader_rung(data):
    split = data.holdout(100, seed=0)
    assert len(split.y_train) == 412 and len(split.y_test) == 100
    together = torch.cat([split.x_train, split.x_test])
    assert torch.allclose(image_keys(together), image_keys(data.x_train))   # 나눈 두 조각을 합치면 원래 이미지들 (겹치지 않는다)
    with pytest.raises(ValueError, match="DataLoader 단을 쓸 수 없습니다"):
        split.train_loader(Recipe(), seed=0, device=CPU)
    with pytest.raises(ValueError, match="val_size"):
        data.holdout(0, seed=0)


@pytest.mark.parametrize(("field", "value", "message"), [("model", "resnet", "model은"), ("loader", "disk", "loader는"),
                                                         ("optimizer", "sgd", "optimizer는")])
def test_unknown_settings_are_refused_in_korean(data, field, value, message):
    with pytest.raises(ValueError, match=message):
        run_recipe(Recipe(**{field: value}).but("잘못", loader="memory" if field != "loader" else value), data, 0, CPU)


def test_amp_dtype_by_device():
    assert amp_dtype(CPU) == torch.bfloat16 and amp_dtype(torch.device("mps")) is None
    if torch.cuda.is_available():   # Ampere(8.x) 이후는 bfloat16, 그 전(T4 등)은 GradScaler와 함께 float16
        major = torch.cuda.get_device_capability(0)[0]
        assert amp_dtype(torch.device("cuda")) == (torch.bfloat16 if major >= 8 else torch.float16)


def test_ladder_table_and_breakdown(data):
    recipes = [FINAL.but("A", batch_size=256), FINAL.but("B", batch_size=512)]
    results = run_ladder(recipes, data, seeds=[0, 1], device=CPU, report=None)
    table = ladder_table(results, bar=99.0)
    assert list(table.index) == ["A", "B"] and table["첫 단 대비 배속"].iloc[0] == 1.0
    assert table["테스트 정확도 (%)"].iloc[1] == round(results[1].accuracy, 2)
    parts = step_breakdown(FINAL, data, CPU, steps=3, warmup=1)
    assert list(parts) == ["배치 만들기", "순전파", "역전파", "옵티마이저"] and all(v >= 0 for v in parts.values())
