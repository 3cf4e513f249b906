"""Colab판(``colab/``): 장과 맞는지, MyST 문법과 검사 장치가 없는지, 숫자와 접힌 풀이가 있는지."""
from __future__ import annotations

import re

import nbformat
import pytest

from tools import colab
from tools.notebooks import chapter_notebooks, colab_setup_source, glued_values, quoted_glue_names, read, relative, tags

CHAPTERS = chapter_notebooks()


def edition(path):
    return nbformat.read(str(colab.edition_path(path)), as_version=4)


def test_editions_match_the_chapters():
    problems = colab.stale_editions()
    assert not problems, "Colab판이 장과 맞지 않습니다 (`python tools/colab.py`):\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=relative)
def test_edition_has_no_myst_and_no_test_machinery(path):
    nb = edition(path)
    assert colab.leftovers(nb) == []
    for cell in nb.cells:
        assert colab.CHECK_CELL_TAG not in tags(cell), "검사 셀이 남았습니다"
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "출력은 싣지 않습니다"


@pytest.mark.parametrize("path", CHAPTERS, ids=relative)
def test_edition_keeps_setup_first_numbers_and_folded_solutions(path):
    book, nb = read(path), edition(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == colab_setup_source(), "Colab 준비 셀이 첫 코드 셀이어야 합니다"
    assert nb.metadata.get("accelerator") == "GPU"

    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    values = glued_values(book)
    for name in set(quoted_glue_names(book)):
        shown = colab._glue_text(name, None, values, "text")
        assert shown in markdown, f"glue 값 {name}={shown}이 본문에 없습니다"

    book_md = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    dropdowns = len(re.findall(r"^:class: dropdown", book_md, re.M))
    assert markdown.count("<details>") == dropdowns
    folded = sum(bool({colab.SOLUTION_TAG, colab.FIGURE_TAG} & set(tags(c))) for c in book.cells)
    assert sum(c.metadata.get("cellView") == "form" for c in code) == folded  # 풀이와 개념 그림 셀


def test_mlp_test_accuracy_is_in_the_chapter_4_edition():
    path = next(p for p in CHAPTERS if p.name.startswith("04_"))
    value = glued_values(read(path))["mlp_test_acc"]
    nb = edition(path)
    assert any(f"**{value}**%" in c.source for c in nb.cells if c.cell_type == "markdown")


# ---------------------------------------------------------------------------
# 바꾸는 규칙 하나하나
# ---------------------------------------------------------------------------

INDEX = ({"book/02_data": "3장. 데이터", "book/appendix/x": "부록"}, {"sec-a": ("book/02_data", "비교하기")})


def convert(text: str, values=None, doc="book/appendix/x") -> str:
    return colab.convert_markdown(text, doc, values or {}, INDEX[1], INDEX[0])


def test_glue_roles_become_bold_values_with_their_format():
    values = {"acc": "89.91", "n": "101770", "name": "'셔츠'", "flag": "True"}
    out = convert("정확도 {glue:}`acc`%, 파라미터 {glue:text}`n:,d`개, {glue:text}`name`, {glue}`flag`", values)
    assert out == "정확도 **89.91**%, 파라미터 **101,770**개, **셔츠**, **True**"
    assert convert("**굵게 {glue:}`acc`**", values) == "**굵게 89.91**"
    with pytest.raises(colab.EditionError, match="make outputs"):
        convert("{glue:}`missing`")


def test_dropdown_becomes_details_and_boxes_become_quotes():
    out = convert(":::{admonition} 풀이 1\n:class: dropdown\n\n답은 **3**입니다.\n:::")
    assert out.startswith("<details><summary><b>풀이 1</b>") and out.endswith("</details>")
    assert "\n\n답은 **3**입니다.\n\n" in out
    out = convert(":::{warning}\n첫 줄\n\n둘째 줄\n:::")
    assert out == "> **주의**\n>\n> 첫 줄\n>\n> 둘째 줄"
    with pytest.raises(colab.EditionError, match="닫히지"):
        convert(":::{note}\n열린 채로")


def test_doc_ref_and_labels_become_links_into_the_html_book():
    base = colab.html_base_url()
    assert convert("{doc}`../02_data`를 보세요") == f"[3장. 데이터]({base}book/02_data.html)를 보세요"
    assert convert("{doc}`이 장 <../02_data>`") == f"[이 장]({base}book/02_data.html)"
    assert convert("{ref}`sec-a`") == f"[비교하기]({base}book/02_data.html#sec-a)"
    assert convert("[아래](sec-a)", doc="book/02_data") == f"[아래]({base}book/02_data.html#sec-a)"
    assert convert("(sec-a)=\n## 비교하기", doc="book/02_data") == "## 비교하기"
    with pytest.raises(colab.EditionError):
        convert("{doc}`../없는_장`")


def test_glue_calls_and_markers_are_removed_from_code():
    source = (
        "for k in keys:\n"
        "    x = k * 2\n"
        "    helpers.glue(f'{k}_x', x,\n"
        "                 display=False)\n"
        "helpers.glue('n', len(keys), display=False)\n"
        "print(x)\n"
        "# NBVAL_CHECK_OUTPUT"
    )
    assert colab.strip_glue_calls(colab.strip_markers(source)) == "for k in keys:\n    x = k * 2\nprint(x)"
    assert colab.strip_glue_calls("if ok:\n    helpers.glue('a', 1)\ny = 2") == "y = 2"
    with pytest.raises(colab.EditionError, match="블록"):
        colab.strip_glue_calls("if ok:\n    helpers.glue('a', 1)\nelse:\n    y = 2")


def test_unused_parameters_are_dropped():
    params = "SEED = 0\nEPOCHS = 3  # 에폭\nMIN_TEST_ACC = 89.5  # 검사 하한"
    assert colab.strip_unused_parameters(params, "helpers.set_seed(SEED)\nfit(EPOCHS)") == "SEED = 0\nEPOCHS = 3  # 에폭"


def test_colab_button_points_to_the_edition():
    import importlib.util

    from tools.notebooks import ROOT

    spec = importlib.util.spec_from_file_location("colab_links", ROOT / "book" / "_ext" / "colab_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = "https://colab.research.google.com/github/o/r/blob/main/book/appendix/x.ipynb"
    assert module.colab_edition_url(url) == "https://colab.research.google.com/github/o/r/blob/main/colab/appendix/x.ipynb"
    other = "https://github.com/o/r/blob/main/book/x.ipynb"
    assert module.colab_edition_url(other) == other
