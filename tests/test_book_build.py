"""HTML 책이 경고 하나 없이 만들어지고, 장마다 Colab 단추와 붙인(glue) 숫자가 있는지."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tools.notebooks import chapter_notebooks, glued_values, quoted_glue_names, read, relative, repository_url
from tools.colab import edition_path


def test_index_is_korean(built_book):
    index = (built_book / "index.html").read_text(encoding="utf-8")
    intro = (built_book / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'lang="ko"' in intro
    assert "파이토치 기초 실습서" in intro or "파이토치 기초 실습서" in index


@pytest.mark.parametrize("path", chapter_notebooks(), ids=relative)
def test_chapter_page(built_book, path):
    page = built_book / Path(relative(path)).with_suffix(".html")
    text = page.read_text(encoding="utf-8")
    owner_repo = repository_url().removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{owner_repo}/blob/main/{relative(edition_path(path))}"
    assert colab in html.unescape(text), f"{page.name}: Colab 링크({colab})가 없습니다"

    nb = read(path)
    values = glued_values(nb)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    quoted = re.findall(r"\{glue(?::text|:any|:)?\}`([^`:]+)", markdown)
    body = html.unescape(re.sub(r"<[^>]+>", "", text))
    for name in quoted:
        assert name in values, f"{page.name}: 본문이 인용한 {name}이(가) 출력에 없습니다"
    for name in quoted_glue_names(nb):
        assert values[name].strip("'\"") in body, f"{page.name}: 붙인 값 {name}={values[name]}이(가) 본문에 없습니다"
