"""HTML 책이 경고 하나 없이 만들어지고, 장마다 Colab 단추와 붙인(glue) 숫자가 있는지."""
from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools.notebooks import ROOT, chapter_notebooks, read, relative, repository_url

JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """`make book`과 같은 빌드(-W -n --keep-going)를 임시 폴더에 한다."""
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", "-W", "-n", "--keep-going", "--path-output", str(out), str(ROOT)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"책 빌드 실패 (경고도 실패로 칩니다):\n{log[-4000:]}"
    return out / "_build" / "html"


def test_index_is_korean(built_book):
    index = (built_book / "index.html").read_text(encoding="utf-8")
    intro = (built_book / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'lang="ko"' in intro
    assert "파이토치 기초 실습서" in intro or "파이토치 기초 실습서" in index


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


@pytest.mark.parametrize("path", chapter_notebooks(), ids=relative)
def test_chapter_page(built_book, path):
    page = built_book / Path(relative(path)).with_suffix(".html")
    text = page.read_text(encoding="utf-8")
    owner_repo = repository_url().removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{owner_repo}/blob/main/{relative(path)}"
    assert colab in html.unescape(text), f"{page.name}: Colab 링크({colab})가 없습니다"

    nb = read(path)
    values = glued_values(nb)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    quoted = re.findall(r"\{glue(?::text|:any|:)?\}`([^`:]+)", markdown)
    body = html.unescape(re.sub(r"<[^>]+>", "", text))
    for name in quoted:
        assert name in values, f"{page.name}: 본문이 인용한 {name}이(가) 출력에 없습니다"
    plain = [name for name in quoted if re.search(r"\{glue(:|:any)?\}`" + re.escape(name) + "`", markdown)]
    for name in plain:
        assert values[name].strip("'\"") in body, f"{page.name}: 붙인 값 {name}={values[name]}이(가) 본문에 없습니다"
