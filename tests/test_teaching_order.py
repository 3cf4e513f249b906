"""가르치기 전에 쓰지 않는다: 독자가 보는 코드가 아직 설명하지 않은 도구를 쓰지 않는지.

표의 도구마다 그것을 처음 설명하는 장이 있다. 그보다 앞의 장이 독자에게 보이는 코드 셀(숨은 셀 말고)에서
그 도구를 쓰면 실패한다. 부록은 모든 장 뒤에 읽는다고 본다. 장을 새로 쓰거나 도구를 앞 장으로 옮길 때는
이 표도 함께 고친다.
"""
from __future__ import annotations

import re

import pytest

from tools.notebooks import chapter_notebooks, code_cells, read, relative, tags

# 코드에 나오는 모양 → 그것을 처음 설명하는 장
FIRST_TAUGHT = {
    r"\.backward\(": 1,                         # 1장 '기울기 맛보기', 2장에서 자세히
    r"\bnn\.Linear\(": 1,                       # 1장에서 한 문장, 2장에서 직접 만든다
    r"\bnn\.Module\b": 2,
    r"\bnn\.Sequential\(": 2,
    r"\bnn\.Parameter\(": 2,
    r"\boptim\.SGD\(": 2,
    r"\bmomentum\s*=": 2,
    r"\boptim\.Adam\(": 2,
    r"\.zero_grad\(": 2,
    r"\.state_dict\(": 2,
    r"\bload_state_dict\(": 4,
    r"\bnesterov\s*=": 4,
    r"\blr_scheduler\b|\bOneCycleLR\b": 4,
    r"\bweight_decay\s*=": 4,
    r"\bCrossEntropyLoss\b|\bcross_entropy\(": 4,
    r"\bsoftmax\(": 4,
    r"\bnn\.Dropout\(": 5,
    r"\bBatchNorm\dd\(": 5,
    r"\bAdamW\(": 6,
    r"\bnn\.Conv2d\(": 6,
    r"\bMaxPool2d\(|\bmax_pool2d\(": 6,
    r"\btorch\.save\(": 7,
    r"\btorch\.load\(": 7,
    r"\bDDP\(|DistributedDataParallel\(": 9,
    r"\binit_process_group\(": 9,
}
APPENDIX = 99


def chapter_number(path) -> int:
    match = re.match(r"(\d\d)_", path.name)
    return int(match.group(1)) if match else APPENDIX


def visible_code(path) -> str:
    return "\n".join(c.source for c in code_cells(read(path)) if "remove-cell" not in tags(c))


@pytest.mark.parametrize("path", chapter_notebooks(), ids=relative)
def test_no_tool_before_the_chapter_that_explains_it(path):
    number, code = chapter_number(path), visible_code(path)
    early = [f"{pattern} ({taught}장에서 설명)" for pattern, taught in FIRST_TAUGHT.items()
             if number < taught and re.search(pattern, code)]
    assert not early, f"{relative(path)}: 아직 설명하지 않은 도구를 씁니다: {', '.join(early)}"


def test_each_tool_is_used_in_the_chapter_that_explains_it():
    """표가 낡지 않게: 도구를 설명한다는 장은 그 도구를 실제로 보여 준다."""
    by_number = {chapter_number(p): visible_code(p) for p in chapter_notebooks()}
    missing = [f"{pattern} ({taught}장)" for pattern, taught in FIRST_TAUGHT.items()
               if taught in by_number and not re.search(pattern, by_number[taught])]
    assert not missing, "설명한다는 장에 그 도구가 없습니다: " + ", ".join(missing)


@pytest.mark.parametrize("path", chapter_notebooks(), ids=relative)
def test_every_chapter_has_figures(path):
    """장마다 그림이 둘 이상 (저장된 출력에서 센다). 결과 그림만이 아니라 생각을 설명하는 그림이어야 하는지는
    사람이 읽어서 본다: 개념 그림(``helpers.diagrams``)은 태그 ``remove-input``을 단다."""
    figures = [c for c in code_cells(read(path))
               if any("image/png" in out.get("data", {}) for out in c.get("outputs", []))]
    assert len(figures) >= 2, f"{relative(path)}: 그림이 {len(figures)}개뿐입니다"
