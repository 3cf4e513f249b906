"""Sphinx 확장: 한 쪽에 같은 <script>가 두 번 들어가지 않게 한다.

Jupyter Book 1의 빌드에서 sphinx-thebe가 설정 스크립트(``const THEBE_JS_URL = …``)를 두 번 넣어,
브라우저가 "Identifier 'THEBE_JS_URL' has already been declared" 오류를 낸다. 쪽을 그리기 직전에
같은 스크립트(주소, 본문, 속성이 모두 같은 것)를 하나만 남긴다.
"""
from __future__ import annotations


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # 본문만 있는 스크립트는 파일 이름이 None일 때도, ''일 때도 있다: 둘을 같게 본다
        filename = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)  # 다른 확장들이 다 넣은 뒤에
    return {"parallel_read_safe": True, "parallel_write_safe": True}
