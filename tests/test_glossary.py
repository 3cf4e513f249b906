"""용어집(book/glossary.md)이 '쓰지 않는 말'로 정한 표현이 본문에 나오지 않는지."""
from __future__ import annotations

import re

import pytest

from tools.notebooks import BOOK, chapter_notebooks, read, relative

GLOSSARY = BOOK / "glossary.md"


def ruled_out() -> dict[str, str]:
    """'쓰지 않는 말' → 대신 쓰는 말."""
    table = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) < 3 or cols[0] in ("쓰는 말", "") or set(cols[0]) <= {"-", " "}:
            continue
        for variant in cols[2].split(","):
            variant = variant.strip()
            if variant and variant != "—":
                table[variant] = cols[0]
    return table


def prose(text: str) -> str:
    """코드 블록, 인라인 코드, 수식, 링크 주소를 뺀 본문."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$[^$]*\$", " ", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


def documents():
    for path in chapter_notebooks():
        yield relative(path), "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
    for path in sorted(BOOK.rglob("*.md")):
        if path != GLOSSARY:
            yield relative(path), path.read_text(encoding="utf-8")


def test_glossary_has_rules():
    rules = ruled_out()
    assert rules["변화도"] == "기울기" and rules["데이터셋"] == "데이터 세트"


@pytest.mark.parametrize("name,text", list(documents()), ids=lambda v: v if v.startswith("book/") else "")
def test_prose_uses_the_glossary_terms(name, text):
    body = prose(text)
    found = [f"'{bad}' → '{good}'" for bad, good in ruled_out().items() if bad in body]
    assert not found, f"{name}: 용어집이 쓰지 않기로 한 말: {', '.join(found)}"


def test_prose_filter_ignores_code():
    assert "데이터셋" not in prose("`torch.utils.data.Dataset` 와 ```\n# 데이터셋\n```")
