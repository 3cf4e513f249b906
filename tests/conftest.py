"""테스트가 함께 쓰는 준비: 빌드한 HTML 책 (한 세션에 한 번), CUDA 표시(``@pytest.mark.cuda``)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

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


REQUIRE_CUDA = os.environ.get("BOOK_REQUIRE_CUDA") == "1"  # make gpu-check가 켠다


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: CUDA GPU가 있어야 하는 테스트 (없으면 건너뛴다, make gpu-check에서는 실패)")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="CUDA GPU가 없다"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """make gpu-check(BOOK_REQUIRE_CUDA=1)에서는 CUDA 테스트가 건너뛰어지면 실패로 친다."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_CUDA and "cuda" in item.keywords and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: make gpu-check에서는 CUDA 테스트를 건너뛸 수 없습니다"
