"""HTML 책이 경고 하나 없이 만들어지고, 장마다 Colab 단추가 있고, 붙인(glue) 값이 제 문장 안에 있는지."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tools.notebooks import chapter_notebooks, glued_values, read, relative, repository_url
from tools.colab import _glue_text, edition_path

# {glue}`이름`, {glue:}`이름`, {glue:any}`이름`, {glue:text}`이름:형식`
GLUE_ROLE = r"\{glue(?::(any|text)?)?\}`([^`:]+)(?::([^`]+))?`"
# 마크다운 한 문단을 조각으로 나눈다. 붙인 값의 앞뒤 문맥은 HTML에서 어떤 글자가 될지 아는 조각으로만 만든다.
# 다른 역할({doc}, {ref} …)이 만드는 제목, 수식, HTML 태그는 글자를 미리 알 수 없으니 문맥을 거기서 끊는다.
MARKDOWN_PIECE = re.compile(
    rf"(?P<glue>{GLUE_ROLE})"
    r"|(?P<role>\{[\w:-]+\}`[^`]*`)"
    r"|\[(?P<link>[^\]]*)\]\([^)]*\)"
    r"|(?P<math>\$[^$]+\$)"
    r"|`(?P<code>[^`]*)`"
    r"|(?P<tag><[^>]+>)"
)
CONTEXT = 10  # 붙인 값의 앞뒤에서 맞춰 볼 글자 수 (공백은 세지 않는다)
CUT = None    # 문맥이 끊기는 자리


def squash(text: str) -> str:
    """공백과 굵게 표시(``**``, 마크다운이 굵게로 읽지 못하면 HTML에 그대로 남는다)를 빼고,
    Sphinx의 smartquotes가 바꾸는 따옴표·줄임표·대시를 한 가지로 맞춘다."""
    text = text.replace("**", "")
    for fancy, plain in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("…", "..."), ("—", "---"), ("–", "--")):
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", "", text.replace("|", " "))


def _pieces(block: str, values: dict[str, str]) -> list:
    """문단 하나 → 글자 조각(str), 붙인 값(('glue', 이름, 글자)), 끊김(CUT)의 목록."""
    lines = []
    for line in block.split("\n"):
        if re.match(r"\s*(```|:::|:\w+:)", line) or re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", line):
            lines.append("\x00")  # 지시문의 울타리와 옵션, 표의 구분선
        else:
            lines.append(re.sub(r"^\s*(#+\s|>\s?|[-*+]\s|\d+\.\s)", "", line))  # 제목·인용·목록 표시
    text = "\n".join(lines)
    pieces, last = [], 0
    for match in MARKDOWN_PIECE.finditer(text):
        pieces.append(text[last:match.start()])
        if match["glue"]:
            role, name, spec = match.group(2) or "any", match.group(3), match.group(4)
            pieces.append(("glue", name, _glue_text(name, spec, values, role)))
        elif match["link"]:
            pieces.append(match["link"] or CUT)
        elif match["code"] is not None:
            pieces.append(match["code"])
        else:
            pieces.append(CUT)
        last = match.end()
    pieces.append(text[last:])
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            for i, part in enumerate(piece.replace("\\", "").split("\x00")):
                out.extend([CUT, part] if i else [part])
        else:
            out.append(piece)
    return out


def _context(pieces: list, step: int) -> str:
    """붙인 값 바로 앞(step=-1) 또는 뒤(step=1)의 글자를 끊김이 나올 때까지 CONTEXT자 모은다."""
    text = ""
    for piece in pieces[::step]:
        if piece is CUT:
            break
        part = squash(piece if isinstance(piece, str) else piece[2])
        text = part + text if step < 0 else text + part
        if len(text) >= CONTEXT:
            break
    return text[-CONTEXT:] if step < 0 else text[:CONTEXT]


def glue_errors(markdown: str, values: dict[str, str], page_text: str) -> list[str]:
    """마크다운의 ``{glue:…}`이름``` 하나하나가 HTML 본문의 제 문장(목록 항목, 표 칸) 안에 있는지.

    값 앞뒤의 마크다운 글자(역할 표시는 빼고) CONTEXT자씩과 값을 이어 붙인 글자가 본문에 그대로 있어야 한다.
    값만 본문 어딘가에 있는 것으로는 모자란다: ``2``나 ``True`` 같은 짧은 값은 어느 쪽에나 있다.
    """
    body = squash(page_text)
    errors = []
    for block in re.split(r"\n\s*\n", markdown):
        pieces = _pieces(block, values)
        for i, piece in enumerate(pieces):
            if not isinstance(piece, tuple):
                continue
            _, name, value = piece
            before, after = _context(pieces[:i], -1), _context(pieces[i + 1:], 1)
            if not before and not after:
                errors.append(f"{name}: 앞뒤에 맞춰 볼 글자가 없습니다 (문장 안에 두세요)")
            elif before + squash(value) + after not in body:
                errors.append(f"{name}={value!r}이(가) 제 문장에 없습니다: …{before}⟨{value}⟩{after}…")
    return errors


def page_body(page_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


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
    markdown = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for match in re.finditer(GLUE_ROLE, markdown):
        assert match.group(2) in values, f"{page.name}: 본문이 인용한 {match.group(2)}이(가) 출력에 없습니다"
    errors = glue_errors(markdown, values, page_body(text))
    assert errors == [], f"{page.name}: 붙인 값이 제 문장에 없습니다:\n" + "\n".join(errors)


def test_glue_check_wants_the_value_in_its_own_sentence():
    """값이 쪽의 다른 곳에 있어도, 그 값을 인용한 문장에 없으면 실패로 잡는다."""
    markdown = ("배치 크기를 128로 바꾸면 테스트 이미지 {glue:}`dropped`장이 빠집니다.\n\n"
                "| 항목 | 값 |\n|---|---|\n| 학습 이미지 | {glue:text}`n_train:,d`장 |\n\n"
                "- 정확도는 **{glue:text}`acc:.1f`%**입니다 ({doc}`../01_tensors_and_devices`).")
    values = {"dropped": "16", "n_train": "60000", "acc": "89.7012"}
    good = ("<p>배치 크기를 128로 바꾸면 테스트 이미지 <strong>16</strong>장이 빠집니다.</p>"
            "<table><tr><td>항목</td><td>값</td></tr><tr><td>학습 이미지</td><td><strong>60,000</strong>장</td></tr></table>"
            "<ul><li>정확도는 <strong>89.7%</strong>입니다 (<a>1장. 텐서</a>).</li></ul>")
    assert glue_errors(markdown, values, page_body(good)) == []

    # 16은 쪽에 있지만(다른 문장) 그 문장에는 없다; 60000은 형식(,d) 없이 찍혔다; 89.7은 다른 목록 항목에 있다
    bad = ("<p>배치 크기를 128로 바꾸면 테스트 이미지 <strong>10</strong>장이 빠집니다. 배치는 16개입니다.</p>"
           "<table><tr><td>학습 이미지</td><td><strong>60000</strong>장</td></tr></table>"
           "<ul><li>정확도는 <strong>89.6%</strong>입니다.</li><li>이전 실행: 89.7%</li></ul>")
    errors = glue_errors(markdown, values, page_body(bad))
    assert [e.split("=")[0] for e in errors] == ["dropped", "n_train", "acc"], errors
    assert "16" in page_body(bad) and "89.7" in page_body(bad)   # 예전 검사('값이 쪽 어딘가에 있다')는 통과했을 것

    # 앞뒤 글자가 없는 인용은 확인할 수 없으니 실패로 알린다
    assert glue_errors("{glue:}`dropped`", values, "16") == ["dropped: 앞뒤에 맞춰 볼 글자가 없습니다 (문장 안에 두세요)"]
