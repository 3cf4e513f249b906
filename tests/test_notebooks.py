"""저장된 출력이 신선한지, 장의 모양이 약속대로인지.

- 신선함: ``make outputs``가 적은 해시가 지금의 코드 셀과 장이 쓰는 ``helpers/`` 파일로 만든 해시와
  같아야 한다. 장이나 helpers를 고치고 출력을 다시 만들지 않으면 여기서 실패한다 (한 장만: ``make outputs NOTEBOOKS=book/03_….ipynb``).
- 깨끗한 실행: 실행 번호 1, 2, 3 …, 오류 출력 없음, 줄인 실행의 흔적 없음.
"""
from __future__ import annotations

import ast
import re
import shutil

import pytest
import yaml

from tools.notebooks import (
    BOOK,
    CI_PARAMS,
    FLOORS_TAG,
    PARAMETERS_TAG,
    ROOT,
    chapter_notebooks,
    clean_run_problems,
    code_cells,
    code_hash,
    helpers_files,
    colab_setup_source,
    read,
    relative,
    tags,
    toc_files,
)

NOTEBOOKS = chapter_notebooks()
CHAPTERS = [p for p in NOTEBOOKS if re.match(r"\d\d_", p.name)]


def test_there_are_chapters():
    assert len(CHAPTERS) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=relative)
def test_stored_outputs_match_the_code(path):
    nb = read(path)
    stored = nb.metadata.get("book", {}).get("code_hash")
    assert stored, f"{relative(path)}: 저장된 출력이 없습니다. `make outputs NOTEBOOKS={relative(path)}`"
    assert stored == code_hash(nb), (
        f"{relative(path)}: 코드가 저장된 출력을 만든 실행 뒤에 바뀌었습니다. "
        f"`make outputs NOTEBOOKS={relative(path)}`로 출력을 다시 만드세요."
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=relative)
def test_stored_outputs_come_from_one_clean_run(path):
    assert clean_run_problems(read(path)) == []


def test_clean_run_check_catches_problems():
    """검사 자체가 실패할 수 있는지: 번호가 빠진 실행, 오류 출력, 주입된 셀."""
    import nbformat.v4 as v4

    nb = v4.new_notebook()
    nb.cells = [v4.new_code_cell("1", execution_count=1), v4.new_code_cell("2", execution_count=3)]
    assert clean_run_problems(nb)
    nb.cells[1].execution_count = 2
    assert clean_run_problems(nb) == []
    nb.cells[1].outputs = [v4.new_output("error", ename="ValueError", evalue="x", traceback=[])]
    assert clean_run_problems(nb)
    nb.cells[1].outputs = []
    assert clean_run_problems(nb) == []
    nb.cells.insert(1, v4.new_code_cell("EPOCHS = 1", metadata={"tags": ["injected-parameters"]}))
    assert clean_run_problems(nb)


def test_code_hash_changes_with_code_and_parameters():
    import nbformat.v4 as v4

    nb = v4.new_notebook()
    nb.cells = [v4.new_code_cell("EPOCHS = 30"), v4.new_markdown_cell("글")]
    before = code_hash(nb)
    nb.cells[1].source = "다른 글"  # 글만 바뀌면 해시는 그대로
    assert code_hash(nb) == before
    nb.cells[0].source = "EPOCHS = 1"
    assert code_hash(nb) != before


def _chapter(name: str):
    return read(next(p for p in NOTEBOOKS if p.name.startswith(name)))


def test_code_hash_covers_the_helpers_a_chapter_uses(tmp_path):
    """helpers를 고치면 그 모듈을 쓰는 장의 출력은 낡은 것이 된다 (주석 한 줄도)."""
    helpers_copy = tmp_path / "helpers"
    shutil.copytree(ROOT / "helpers", helpers_copy, ignore=shutil.ignore_patterns("__pycache__"))
    trainer, tensors = _chapter("05_"), _chapter("01_")
    assert code_hash(trainer) == code_hash(trainer, helpers_copy)  # 같은 파일이면 같은 해시
    before = {"05": code_hash(trainer, helpers_copy), "01": code_hash(tensors, helpers_copy)}

    with (helpers_copy / "train.py").open("a", encoding="utf-8") as f:
        f.write("# 주석 한 줄\n")
    assert code_hash(trainer, helpers_copy) != before["05"]       # 5장은 helpers.train을 쓴다
    assert code_hash(tensors, helpers_copy) == before["01"]       # 1장은 쓰지 않는다

    with (helpers_copy / "device.py").open("a", encoding="utf-8") as f:
        f.write("# 주석 한 줄\n")
    assert code_hash(tensors, helpers_copy) != before["01"]       # get_device는 모든 장이 쓴다


def test_helpers_files_follow_lazy_names_and_imports():
    import nbformat.v4 as v4

    def used(source):
        nb = v4.new_notebook()
        nb.cells = [v4.new_code_cell(source)]
        return {p.relative_to(ROOT / "helpers").as_posix() for p in helpers_files(nb)}

    assert used("x = 1") == set()
    assert {"__init__.py", "device.py", "plots.py", "seed.py"} <= used("import helpers")
    assert "train.py" in used("import helpers\nhelpers.fit(model)")             # _LAZY 표의 이름
    assert "train.py" not in used("import helpers\nhelpers.get_device(None)")
    # checkpoint.py는 files.py와 train.py를 가져오고, assets를 쓰면 그림 파일도 들어간다
    assert {"checkpoint.py", "files.py", "train.py"} <= used("from helpers.checkpoint import save_training_state")
    assert "assets/handwritten_3.png" in used("%pip install x\nimport helpers\nhelpers.asset_path('a')")


@pytest.mark.parametrize("path", CHAPTERS, ids=relative)
def test_chapter_shape(path):
    nb = read(path)
    cells = code_cells(nb)
    assert cells[0].source == colab_setup_source(), "첫 코드 셀은 CONTRIBUTING.md의 Colab 준비 셀과 같아야 합니다"
    params = [c for c in cells if PARAMETERS_TAG in tags(c)]
    assert len(params) == 1, "'parameters' 태그 셀이 정확히 하나 있어야 합니다"
    tree = ast.parse(params[0].source)
    assert all(isinstance(node, ast.Assign) for node in tree.body), "parameters 셀에는 상수 대입만 둡니다"
    check = cells[-1]
    assert "remove-cell" in tags(check) and "assert" in check.source, "마지막 코드 셀은 결과 검사(remove-cell)입니다"
    assert "environment_line" in cells[-2].source, "검사 셀 앞에는 실행 환경 한 줄이 옵니다"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert markdown.lstrip().startswith("# "), "첫 셀은 장 제목입니다"
    for heading in ("## 학습 목표", "## 정리", "## 연습문제"):
        assert heading in markdown, f"{heading} 절이 없습니다"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


MACHINERY = re.compile(r"NBVAL|helpers\.glue\(|\bglue\(|^\s*MIN_\w+\s*=", re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=relative)
def test_reader_sees_no_machinery(path):
    """독자가 보는 코드 셀(숨은 셀 말고)에는 nbval 표시, glue 호출, 검사 하한이 없다.

    nbval의 출력 비교는 셀 태그(``nbval-check-output``)로, glue는 바로 뒤의 숨은 셀(``remove-cell``)에서,
    하한은 parameters 셀 바로 앞의 숨은 하한 셀(``remove-cell``, ``floors``)에 둔다.
    """
    cells = code_cells(read(path))
    visible = [(i, c) for i, c in enumerate(cells) if "remove-cell" not in tags(c)]
    found = [f"코드 셀 {i}: {MACHINERY.search(c.source).group(0)!r}" for i, c in visible if MACHINERY.search(c.source)]
    assert not found, "독자가 보는 셀에 테스트 장치가 있습니다: " + ", ".join(found)
    for i, cell in enumerate(cells):
        if FLOORS_TAG in tags(cell):
            assert "remove-cell" in tags(cell), f"코드 셀 {i}: 하한 셀은 숨깁니다(remove-cell)"
            assert PARAMETERS_TAG in tags(cells[i + 1]), f"코드 셀 {i}: 하한 셀은 parameters 셀 바로 앞에 둡니다"


def test_every_notebook_is_in_the_table_of_contents():
    listed = set(toc_files())
    for path in NOTEBOOKS:
        assert relative(path).removesuffix(".ipynb") in listed, f"{relative(path)}이(가) _toc.yml에 없습니다"
    for entry in listed:
        assert any((ROOT / (entry + ext)).exists() for ext in (".md", ".ipynb")), f"_toc.yml의 {entry}가 없습니다"


def test_ci_parameters_name_real_notebooks_and_parameters():
    table = yaml.safe_load(CI_PARAMS.read_text(encoding="utf-8")) or {}
    for key, values in table.items():
        path = ROOT / key
        assert path.exists(), f"ci_params.yaml: {key}가 없습니다"
        nb = read(path)
        source = "\n".join(c.source for c in code_cells(nb) if {PARAMETERS_TAG, FLOORS_TAG} & set(tags(c)))
        defined = {t.id for node in ast.parse(source).body for t in node.targets if isinstance(t, ast.Name)}
        unknown = set(values or {}) - defined
        assert not unknown, f"{key}: parameters 셀에 없는 이름 {sorted(unknown)}"
    for path in CHAPTERS:
        assert relative(path) in table, f"{relative(path)}의 CI 값이 ci_params.yaml에 없습니다"


def written_scripts() -> dict[str, str]:
    """장의 ``%%writefile scripts/X.py``(와 ``-a``로 이어 붙이는) 셀들이 쓰는 파일: 경로 → 내용."""
    scripts: dict[str, str] = {}
    for path in NOTEBOOKS:
        for cell in code_cells(read(path)):
            first, _, body = cell.source.partition("\n")
            words = first.split()
            if words[:1] == ["%%writefile"]:
                target = f"{path.parent.relative_to(BOOK).as_posix()}/{words[-1]}".lstrip("./")
                scripts[target] = (scripts.get(target, "") if "-a" in words else "") + body + "\n"
    return scripts


def test_book_scripts_are_written_by_their_chapter():
    """book/scripts/의 스크립트는 장이 셀로 쓰는 그대로다 (장을 고치면 make outputs가 다시 쓴다)."""
    scripts = written_scripts()
    assert scripts, "스크립트를 쓰는 장이 없습니다"
    for target, text in scripts.items():
        assert (BOOK / target).read_text(encoding="utf-8") == text, f"book/{target}이 장의 셀과 다릅니다"


def test_book_folder_has_no_stray_files():
    """장이 실행하며 남긴 파일(체크포인트, 데이터)이 book/에 남지 않는다. 장이 쓰는 스크립트만 예외."""
    allowed = {".ipynb", ".md", ".png", ".svg", ".jpg"}
    scripts = set(written_scripts())
    stray = [
        p.relative_to(BOOK).as_posix() for p in BOOK.rglob("*")
        if p.is_file() and p.suffix not in allowed and p.relative_to(BOOK).as_posix() not in scripts
        and not {".ipynb_checkpoints", "__pycache__", "_templates", "_ext"} & set(p.parts)
    ]
    assert stray == []


def test_repository_address_agrees_with_config():
    """저장소 주소는 _config.yml이 기준: 노트북과 pyproject.toml이 같은 저장소를 가리켜야 한다."""
    from tools.notebooks import repository_url

    expected = repository_url().removeprefix("https://github.com/")
    pattern = re.compile(r"(?:github\.com|raw\.githubusercontent\.com)/([\w.-]+/[\w.-]+?)(?:\.git)?(?=[/\"'\s]|$)")
    sources = [(relative(p), "\n".join(c.source for c in read(p).cells)) for p in NOTEBOOKS]
    sources.append(("pyproject.toml", (ROOT / "pyproject.toml").read_text(encoding="utf-8")))
    for name, text in sources:
        for found in pattern.findall(text):
            assert found == expected, f"{name}: 저장소 주소 {found} ≠ _config.yml의 {expected}"


def test_stored_outputs_drop_native_log_lines():
    """파이토치 C++ 부분의 기록 줄(프로파일러의 시작·끝, GPU 수 묻기 실패, CUDA_HOME 안내)은 저장하지 않고, 다른 stderr는 남긴다."""
    from tools.outputs import merge_streams

    noise = ("USDT:2026-12-03 07:28:34 7323:7323 SyncActivityProfilerHandler.cpp:39] profiler_start\n"
             "ERROR:2026-12-03 07:28:35 7323:7323 DeviceProperties.cpp:56] gpuGetDeviceCount failed with code 35\n"
             "W1203 07:28:32.615000 7323 torch/utils/cpp_extension.py:183] No CUDA runtime is found, using CUDA_HOME='/usr/local'\n")
    outputs = [{"output_type": "stream", "name": "stderr", "text": noise},
               {"output_type": "stream", "name": "stderr", "text": "UserWarning: 진짜 경고\n"},
               {"output_type": "stream", "name": "stdout", "text": "결과\n"}]
    merged = merge_streams(outputs)
    assert [o["text"] for o in merged] == ["UserWarning: 진짜 경고\n", "결과\n"]
