"""장의 검사 하한(floor)을 재고, 하한이 그 장이 경고하는 실수를 잡는지 확인한다.

``tests/floors.yaml``에는 장마다 하한 파라미터(``MIN_TEST_ACC`` …), 그 하한과 견줄 값(장의 변수로 쓴 식),
그리고 그 하한이 잡아야 할 실수들(이름, 어느 셀 뒤에 넣을 코드)이 있다.

- ``python tools/floors.py``: 각 장을 CI의 줄인 파라미터로, 시드 0·1·2에서 실행해 값과 하한을 표로 낸다.
  하한은 이 표의 가장 낮은 값보다 몇 점 아래로 정한다(``tests/ci_params.yaml``).
- ``python tools/floors.py --mistakes``: 실수를 넣고 실행해, 하한 검사가 실패하는지 본다.
- ``tests/test_floors.py``가 실수마다 같은 실행을 해서, 하한이 실수를 잡는지 확인한다.

실행은 장의 코드 셀을 위에서부터 차례로 돌리되, 연습문제 풀이(``hide-cell``)와 검사 셀은 건너뛴다.
마지막에 값을 재고, 검사 셀에서 그 하한을 쓰는 문장만 그대로 실행한다.
"""
from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

import nbformat.v4 as v4
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.notebooks import FLOORS_TAG, ROOT, ci_parameters, python_tree, read, relative, tags, with_ci_parameters  # noqa: E402

FLOORS = ROOT / "tests" / "floors.yaml"
MARK = "FLOOR_RESULT "


def floor_table() -> dict:
    """``tests/floors.yaml``: 노트북 → 하한 이름 → {value, mistakes: [{name, after, inject}]}."""
    return yaml.safe_load(FLOORS.read_text(encoding="utf-8")) or {}


def floor_value(path: Path, floor: str) -> float:
    """CI 실행에서 쓰는 하한: ``tests/ci_params.yaml``의 값, 없으면 장의 하한 셀(``floors``)의 기본값."""
    params = ci_parameters(path)
    if floor in params:
        return params[floor]
    for cell in read(path).cells:
        if FLOORS_TAG not in tags(cell):
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == floor for t in node.targets):
                return ast.literal_eval(node.value)
    raise KeyError(f"{relative(path)}: 하한 셀(floors)에 {floor}가 없습니다")


def floor_statements(check_source: str, floor: str) -> str:
    """검사 셀에서 ``floor``라는 이름을 쓰는 문장들 (맨 바깥 문장 단위, 소스 그대로)."""
    tree = ast.parse(check_source)
    picked = [
        ast.get_source_segment(check_source, node)
        for node in tree.body
        if any(isinstance(n, ast.Name) and n.id == floor for n in ast.walk(node))
    ]
    if not picked:
        raise ValueError(f"검사 셀에 {floor}를 쓰는 문장이 없습니다")
    return "\n".join(picked)


def _names(code: str) -> tuple[set[str], set[str]]:
    """코드가 읽는 이름과 정하는 이름 (대입, for, 함수·클래스 정의, import). IPython 줄(``%pip`` …)은 건너뛴다."""
    loads, stores = set(), set()
    for node in ast.walk(python_tree(code)):
        if isinstance(node, ast.Name):
            (stores if isinstance(node.ctx, ast.Store) else loads).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return loads, stores


def _last_needed_cell(cells, code: str) -> int:
    """``code``가 읽는 이름을 마지막으로 정하는 셀의 위치. 그 뒤의 셀은 값에 영향을 주지 않으니 건너뛸 수 있다."""
    loads, own = _names(code)
    needed = loads - own
    last = 0
    for i, cell in enumerate(cells):
        try:
            _, stores = _names(cell.source)
        except SyntaxError:
            continue
        if stores & needed:
            last = i
    return last


def measuring_notebook(path: Path, seed: int | None = None, mistake: dict | None = None,
                       floors: list[str] | None = None):
    """값을 재는 노트북: CI 파라미터(+ 시드), 필요하면 실수, 끝에 하한마다 값과 검사 결과를 찍는 셀.

    하한의 값과 검사 문장이 쓰는 이름을 마지막으로 정하는 셀까지만 실행한다(그 뒤의 그림·연습문제는 건너뛴다).
    """
    table = floor_table()[relative(path)]
    floors = {name: table[name] for name in (floors or table)}
    check = read(path).cells[-1]
    assert "remove-cell" in tags(check), f"{relative(path)}: 마지막 셀이 검사 셀이 아닙니다"

    nb = with_ci_parameters(path)
    if seed is not None:
        nb.cells.insert(_parameters_end(nb), v4.new_code_cell(f"SEED = {seed}"))
    if mistake is not None:
        anchor = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and mistake["after"] in c.source), None)
        if anchor is None:
            raise ValueError(f"{relative(path)}: '{mistake['after']}'가 든 셀이 없습니다 (floors.yaml의 after)")
        nb.cells.insert(anchor + 1, v4.new_code_cell(mistake["inject"]))
    cells = [c for c in nb.cells[:-1] if c.cell_type == "code" and _needed_for_floors(c)]
    results = [_result_cell(floor, spec["value"], floor_statements(check.source, floor)) for floor, spec in floors.items()]
    nb.cells = cells[:max(_last_needed_cell(cells, code) for code in results) + 1]
    nb.cells += [v4.new_code_cell(code) for code in results]
    return nb


def _needed_for_floors(cell) -> bool:
    """풀이 셀(hide-cell)과 숨은 glue 셀은 건너뛴다. 하한 셀(floors)은 숨어 있어도 실행한다."""
    cell_tags = tags(cell)
    return "hide-cell" not in cell_tags and ("remove-cell" not in cell_tags or FLOORS_TAG in cell_tags)


def _parameters_end(nb) -> int:
    """파라미터 셀(과 주입된 파라미터 셀) 바로 뒤의 위치."""
    last = max(i for i, c in enumerate(nb.cells) if {"parameters", "injected-parameters"} & set(tags(c)))
    return last + 1


def _result_cell(floor: str, value_expr: str, statements: str) -> str:
    body = "\n".join("    " + line for line in statements.splitlines())
    return (
        "import json as _json\n"
        f"_value = float({value_expr})\n"
        "try:\n"
        f"{body}\n"
        "    _passed, _message = True, ''\n"
        "except AssertionError as _error:\n"
        "    _passed, _message = False, str(_error)\n"
        f"print({MARK!r} + _json.dumps({{'floor': {floor!r}, 'value': _value, 'passed': _passed, 'message': _message}}))"
    )


def run(path: Path, seed: int | None = None, mistake: dict | None = None, floors: list[str] | None = None) -> dict:
    """측정용 노트북을 실행해 하한마다 {'value', 'passed', 'message'}를 돌려준다."""
    from nbclient import NotebookClient

    nb = measuring_notebook(path, seed=seed, mistake=mistake, floors=floors)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    results = {}
    for cell in nb.cells:
        for out in cell.outputs:
            for line in out.get("text", "").splitlines():
                if line.startswith(MARK):
                    result = json.loads(line[len(MARK):])
                    results[result.pop("floor")] = result
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="장 경로 (없으면 floors.yaml의 모든 장)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--mistakes", action="store_true", help="실수를 넣은 실행만 한다")
    args = parser.parse_args(argv)
    table = floor_table()
    paths = [Path(p).resolve() for p in args.notebooks] or [ROOT / key for key in table]
    for path in paths:
        floors = table[relative(path)]
        print(relative(path) + ": CI 하한 " + ", ".join(f"{f} {floor_value(path, f)}" for f in floors), flush=True)
        if args.mistakes:
            for floor, spec in floors.items():
                for mistake in spec.get("mistakes", []):
                    result = run(path, mistake=mistake, floors=[floor])[floor]
                    print(f"  실수({mistake['name']}): {floor} 값 {result['value']:.2f} "
                          f"→ 검사 {'통과 (잡지 못함!)' if result['passed'] else '실패 (잡음)'}", flush=True)
            continue
        values = {floor: [] for floor in floors}
        for seed in args.seeds:
            for floor, result in run(path, seed=seed).items():
                values[floor].append(result["value"])
                print(f"  시드 {seed}: {floor} 값 {result['value']:.2f} "
                      f"({'통과' if result['passed'] else '실패: ' + result['message']})", flush=True)
        for floor, found in values.items():
            print(f"  → {floor}: 가장 낮은 값 {min(found):.2f}, 가장 높은 값 {max(found):.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
