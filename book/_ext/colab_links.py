"""Sphinx 확장: HTML 책의 "Colab" 단추가 장의 Colab판(``colab/``)을 열게 한다.

sphinx-book-theme는 쪽마다 ``…/blob/<가지>/book/03_….ipynb``를 Colab으로 여는 단추를 만든다.
그 노트북에는 MyST 문법과 검사 셀이 들어 있으므로, 같은 상대 경로의 Colab판
``…/blob/<가지>/colab/03_….ipynb``(``tools/colab.py``가 만든다)로 바꾼다.
"""
from __future__ import annotations

import re
from typing import Any

_BOOK_IN_COLAB_URL = re.compile(r"(colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/)book/")


def colab_edition_url(url: str) -> str:
    """Colab 단추의 주소라면 ``book/``을 ``colab/``으로 바꾼다. 다른 주소는 그대로."""
    return _BOOK_IN_COLAB_URL.sub(r"\1colab/", url)


def _rewrite(buttons: Any) -> None:
    for button in buttons if isinstance(buttons, list) else []:
        if isinstance(button, dict):
            if isinstance(button.get("url"), str):
                button["url"] = colab_edition_url(button["url"])
            _rewrite(button.get("buttons"))


def point_colab_to_editions(app, pagename, templatename, context, doctree) -> None:
    _rewrite(context.get("header_buttons"))


def setup(app):
    # 테마가 단추를 만든 뒤(기본 우선순위 500)에 고친다
    app.connect("html-page-context", point_colab_to_editions, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
