"""장(노트북) 목록, CI용 파라미터 주입, 저장된 출력이 '신선한지' 가리는 해시.

- ``make outputs``(tools/outputs.py)는 각 장을 기본(전체) 파라미터로 실행하고
  ``metadata.book.code_hash``에 코드 셀과, 그 장이 쓰는 ``helpers/`` 파일들의 해시를 적는다.
- 테스트는 지금의 코드 셀 해시가 그 값과 같은지, 저장된 출력이 위에서 아래로 한 번에
  깨끗하게 실행된 것인지(실행 번호 1, 2, 3 …, 오류 없음) 확인한다.
- nbval로 장을 실행할 때는 ``tests/ci_params.yaml``의 줄인 값을 papermill과 같은 방식으로
  ``parameters`` 셀 바로 뒤에 넣는다.
"""
from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
HELPERS = ROOT / "helpers"
CI_PARAMS = ROOT / "tests" / "ci_params.yaml"
INJECTED_TAG = "injected-parameters"
PARAMETERS_TAG = "parameters"
FLOORS_TAG = "floors"  # 검사 하한(MIN_…)을 두는 숨은 셀: parameters 셀 바로 앞


def chapter_notebooks() -> list[Path]:
    """책에 들어가는 모든 노트북 (``book/`` 아래, 체크포인트 폴더 제외)."""
    return sorted(
        p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts
    )


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def code_cells(nb) -> list:
    """주입된 파라미터 셀을 뺀 코드 셀들."""
    return [c for c in nb.cells if c.cell_type == "code" and INJECTED_TAG not in tags(c)]


def python_tree(source: str) -> ast.Module:
    """셀이나 모듈의 구문 트리. ``%pip``·``!ls`` 같은 IPython 줄은 빈 줄로 바꾼다."""
    return ast.parse(re.sub(r"(?m)^\s*[%!].*$", "", source))


def _helpers_modules_used(tree: ast.AST, helpers_dir: Path) -> set[str]:
    """코드가 쓰는 helpers 모듈 이름들(``"__init__"``, ``"train"`` …).

    ``import helpers``와 ``helpers.fit``처럼 꾸러미에서 꺼내 쓰는 이름은 ``helpers/__init__.py``가
    그 이름을 가져오는 모듈(처음 쓰일 때 불러오는 ``_LAZY`` 표 포함)로 바꿔 센다.
    """
    modules = {p.stem for p in helpers_dir.glob("*.py")}
    lazy = _lazy_table(helpers_dir)

    def resolve(name: str) -> set[str]:
        if name in modules:
            return {name}
        if name in lazy:
            return {lazy[name]}
        return set()  # __init__.py가 직접 가져오는 이름: __init__.py와 그 import가 이미 센다

    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "helpers":
                    used.add("__init__")
                    used |= resolve(parts[1]) if len(parts) > 1 else set()
        elif isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".")
            if node.level == 1:  # helpers 안의 상대 import
                parts = ["helpers", *[p for p in parts if p]]
            if parts[0] == "helpers":
                used.add("__init__")
                if len(parts) > 1:
                    used |= resolve(parts[1])
                else:
                    for alias in node.names:
                        used |= resolve(alias.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "helpers":
            used |= resolve(node.attr)
    return used


def _lazy_table(helpers_dir: Path) -> dict[str, str]:
    """``helpers/__init__.py``의 ``_LAZY`` 표: 이름 → 모듈 이름(``"train"`` …)."""
    tree = ast.parse((helpers_dir / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_LAZY" for t in node.targets):
            table = ast.literal_eval(node.value)
            return {name: module.removeprefix("helpers.") for name, module in table.items()}
    return {}


def helpers_files(nb, helpers_dir: Path = HELPERS) -> list[Path]:
    """장의 출력을 만든 helpers 파일들: 장이 쓰는 모듈과, 그 모듈들이 다시 쓰는 모듈 전부.

    ``helpers.assets``를 쓰면 ``helpers/assets/`` 안의 파일(7장의 그림)도 들어간다.
    """
    todo = set()
    for cell in code_cells(nb):
        todo |= _helpers_modules_used(python_tree(cell.source), helpers_dir)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo |= _helpers_modules_used(python_tree((helpers_dir / f"{name}.py").read_text(encoding="utf-8")),
                                      helpers_dir)
    files = [helpers_dir / f"{name}.py" for name in sorted(seen)]
    if "assets" in seen:
        files += sorted(p for p in (helpers_dir / "assets").rglob("*") if p.is_file())
    return files


def code_hash(nb, helpers_dir: Path = HELPERS) -> str:
    """출력을 만든 것 전부의 sha256: 코드 셀(파라미터 셀 포함), papermill이 기록한 파라미터,
    그리고 장이 쓰는 ``helpers/`` 파일들(:func:`helpers_files`)의 내용."""
    digest = hashlib.sha256()
    for cell in code_cells(nb):
        digest.update(cell.source.strip().encode("utf-8"))
        digest.update(b"\n\x00cell\x00\n")
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    digest.update(yaml.safe_dump(params, sort_keys=True, allow_unicode=True).encode("utf-8"))
    for path in helpers_files(nb, helpers_dir):
        digest.update(b"\n\x00file\x00" + path.relative_to(helpers_dir).as_posix().encode("utf-8") + b"\n")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def clean_run_problems(nb) -> list[str]:
    """저장된 출력이 한 번의 깨끗한 실행에서 나온 것이 아니라면 그 이유들.

    오류 출력은 하나도 없어야 한다: 일부러 보여 주는 오류는 ``helpers.expect_error``로 잡는다.
    """
    problems = []
    cells = [c for c in nb.cells if c.cell_type == "code"]
    for expected, cell in enumerate(cells, start=1):
        if cell.get("execution_count") != expected:
            problems.append(f"코드 셀 {expected}: 실행 번호가 {cell.get('execution_count')} (기대 {expected})")
            break
    for i, cell in enumerate(cells, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"코드 셀 {i}: 오류 출력 {out.get('ename')}: {out.get('evalue', '')[:80]}")
    if any(INJECTED_TAG in tags(c) for c in nb.cells):
        problems.append("주입된 파라미터 셀이 남아 있다: 줄인 실행의 출력이다")
    return problems


def read(path: Path):
    return nbformat.read(str(path), as_version=4)


def relative(path: Path) -> str:
    return Path(path).resolve().relative_to(ROOT).as_posix()


def ci_parameters(path: Path) -> dict:
    """``tests/ci_params.yaml``에서 이 노트북의 줄인 파라미터 (없으면 빈 dict)."""
    table = yaml.safe_load(CI_PARAMS.read_text(encoding="utf-8")) or {}
    return dict(table.get(relative(path)) or {})


def with_ci_parameters(path: Path):
    """노트북을 읽고, CI 파라미터를 papermill과 같은 방식으로 ``parameters`` 셀 뒤에 넣는다."""
    from papermill.parameterize import parameterize_notebook

    nb = read(path)
    params = ci_parameters(path)
    if not params:
        return nb
    if not any(PARAMETERS_TAG in tags(c) for c in nb.cells):
        raise ValueError(f"{relative(path)}: ci_params.yaml에 값이 있는데 'parameters' 태그 셀이 없다")
    for cell in nb.cells:  # papermill이 실행 전에 하는 것처럼 빈 태그 목록을 채운다
        cell.metadata.setdefault("tags", [])
    nb.metadata.setdefault("papermill", {})
    return parameterize_notebook(nb, params, kernel_name="python3", language="python")


def repository_url() -> str:
    """저장소 주소: ``_config.yml``의 ``repository.url`` 한 곳에서만 읽는다."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


def colab_setup_source() -> str:
    """모든 장의 첫 코드 셀(글자 그대로). Colab에서 helpers를 설치하고 torch는 건드리지 않는다."""
    return (
        "# Colab에서 열었다면 이 책의 helpers 패키지를 설치합니다 (torch는 Colab에 있는 것을 그대로 씁니다).\n"
        "import importlib, importlib.util, os\n"
        'if importlib.util.find_spec("helpers") is None:\n'
        f'    BOOK_PACKAGE = os.environ.get("BOOK_PACKAGE", "git+{repository_url()}")\n'
        "    %pip install -q {BOOK_PACKAGE}\n"
        "    importlib.invalidate_caches()"
    )


def toc_files() -> list[str]:
    """``_toc.yml``에 적힌 문서들 (확장자 없이, 저장소 루트 기준)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def glued_values(nb) -> dict[str, str]:
    """노트북에 저장된 glue 값: 이름 → text/plain."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                prefix = out["metadata"]["scrapbook"].get("mime_prefix", "")
                values[name] = out["data"][prefix + "text/plain"]
    return values


def quoted_glue_names(nb) -> list[str]:
    """본문(마크다운)이 ``{glue:}`이름``` 꼴로 인용한 이름들 (서식 없는 인용만)."""
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return re.findall(r"\{glue(?::|:any)?\}`([^`:]+)`", markdown)
