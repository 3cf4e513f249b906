"""검사 하한이 뜻이 있는지: 장이 경고하는 실수를 넣고 줄인 파라미터로 실행하면 그 하한에서 실패해야 한다.

올바른 장이 같은 하한을 통과하는 것은 nbval이 장 전체를 실행하며 확인한다(검사 셀).
실수와 값을 재는 식은 ``tests/floors.yaml``, 하한을 다시 재는 명령은 ``python tools/floors.py``.
"""
from __future__ import annotations

import re

import pytest

from tools.floors import floor_statements, floor_table, floor_value, measuring_notebook, run
from tools.notebooks import ROOT, read, relative, tags

CASES = [
    pytest.param(notebook, floor, mistake, id=f"{notebook.split('/')[-1].split('_')[0]}-{floor}-{mistake['name']}")
    for notebook, floors in floor_table().items()
    for floor, spec in floors.items()
    for mistake in spec.get("mistakes", [])
]


def test_every_floor_is_listed_with_a_mistake():
    """floors.yaml의 하한마다 재는 식과 실수가 하나 이상 있고, 장의 하한 셀과 검사 셀이 그 하한을 쓴다."""
    table = floor_table()
    for notebook, floors in table.items():
        for floor, spec in floors.items():
            measured = spec.get("measured")
            assert measured and floor_value(ROOT / notebook, floor) < min(measured), \
                f"{notebook}: {floor}는 잰 값(measured: {measured})의 가장 낮은 값보다 아래여야 합니다"
            assert spec["value"], f"{notebook}: {floor}에 value가 있어야 합니다"
            assert spec.get("mistakes") or spec.get("no_mistake_because"), \
                f"{notebook}: {floor}이(가) 잡을 실수(mistakes)나, 없는 이유(no_mistake_because)가 있어야 합니다"
            floor_statements(read(ROOT / notebook).cells[-1].source, floor)   # 검사 셀이 그 하한을 쓴다
    for path in ROOT.glob("book/**/*.ipynb"):                                 # 장의 모든 하한이 표에 있다
        floors = "\n".join(c.source for c in read(path).cells if "floors" in tags(c))
        for name in re.findall(r"^(MIN_\w+)\s*=", floors, flags=re.M):
            assert name in table.get(relative(path), {}), f"{relative(path)}: 하한 {name}이(가) floors.yaml에 없습니다"


def test_floor_statements_are_taken_from_the_check_cell():
    source = "assert a == 1\nfor h in hs:\n    assert h >= MIN_X, h\nprint('ok')\n"
    assert floor_statements(source, "MIN_X") == "for h in hs:\n    assert h >= MIN_X, h"
    with pytest.raises(ValueError):
        floor_statements(source, "MIN_Y")


def test_measuring_notebook_injects_the_mistake_after_its_anchor():
    notebook, floor, mistake = CASES[0].values
    nb = measuring_notebook(ROOT / notebook, mistake=mistake, floors=[floor])
    at = next(i for i, c in enumerate(nb.cells) if c.source == mistake["inject"])
    assert mistake["after"] in nb.cells[at - 1].source
    assert not any("hide-cell" in tags(c) for c in nb.cells)
    assert all("floors" in tags(c) for c in nb.cells if "remove-cell" in tags(c))  # 숨은 셀은 하한 셀만
    assert any(floor in c.source and "FLOOR_RESULT" in c.source for c in nb.cells)


@pytest.mark.parametrize("notebook, floor, mistake", CASES)
def test_floor_catches_the_mistake(notebook, floor, mistake):
    result = run(ROOT / notebook, mistake=mistake, floors=[floor])[floor]
    assert not result["passed"], (
        f"{notebook}: '{mistake['name']}' 실수를 넣었는데 {floor} 검사를 통과했습니다 "
        f"(값 {result['value']:.2f}, 하한 {floor_value(ROOT / notebook, floor)})"
    )
