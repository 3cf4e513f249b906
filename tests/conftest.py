"""테스트가 함께 쓰는 준비: 빌드한 HTML 책 (한 세션에 한 번)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools.notebooks import ROOT


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """`make book`과 같은 빌드(tools/build_book.py: -W -n --keep-going, Pagefind 색인)를 임시 폴더에 한다."""
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_book.py"), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"책 빌드 실패 (경고도 실패로 칩니다):\n{log[-4000:]}"
    return out / "_build" / "html"
