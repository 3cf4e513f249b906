"""HTML 책을 진짜 브라우저(헤드리스 Chromium)로 열어 본다.

장마다: JavaScript 오류가 없고, 그림이 모두 불러와지고, Colab 링크가 그 장의 노트북을 가리키고,
붙인(glue) 숫자가 화면의 본문에 보인다. 한국어 검색어가 기대한 쪽을 찾는다.
화면은 `_build/screenshots/`에 저장한다(사람이 한글이 네모로 깨지지 않았는지 볼 수 있게).
Chromium이나 playwright가 없으면 건너뛴다: `apt-get install chromium fonts-nanum` (make test가 할 수 있으면 한다).
CI(환경 변수 CI=true)에서는 건너뛰지 않고 실패한다: 브라우저 테스트가 조용히 빠진 채 초록불이 켜지지 않게.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from tools.notebooks import ROOT, chapter_notebooks, glued_values, quoted_glue_names, read, relative, repository_url
from tools.colab import edition_path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "_build" / "screenshots"

IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1")
INSTALL_CHROMIUM = "apt-get install chromium fonts-nanum, 또는 root로 make browser"


def missing(problem: str, install: str):
    """브라우저 테스트에 필요한 것이 없다: CI에서는 실패, 그 밖에서는 건너뛴다."""
    if IN_CI:
        pytest.fail(f"{problem}. CI에서는 브라우저 테스트를 건너뛸 수 없습니다. 설치: {install}", pytrace=False)
    pytest.skip(f"{problem}. 브라우저 테스트를 건너뜁니다 (설치: {install})")


def require_chromium() -> str:
    if CHROMIUM is None:
        missing("Chromium이 없습니다", INSTALL_CHROMIUM)
    return CHROMIUM


@pytest.fixture(scope="module")
def site(built_book):
    """빌드한 책을 127.0.0.1의 빈 포트로 내보낸다."""
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # 요청마다 찍는 로그는 끈다
            pass

    handler = functools.partial(QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")  # 세션 범위: 책을 빌드(built_book)하기 전에 Chromium부터 확인한다
def browser():
    executable = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("파이썬 패키지 playwright가 없습니다", ".venv/bin/pip install -r requirements.txt, 또는 make setup")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # 실패한 요청은 주소와 함께 아래에서 센다 (브라우저가 스스로 찾는 /favicon.ico는 빼고)
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto(url, wait_until="load")
    return page, errors


def test_a_korean_font_is_installed():
    """스크린샷의 한글이 네모로 나오지 않으려면 한국어 글꼴이 있어야 한다."""
    require_chromium()   # 글꼴은 브라우저의 화면에만 쓰인다
    fonts = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout
    assert fonts.strip(), "한국어 글꼴이 없습니다: apt-get install fonts-nanum"


@pytest.mark.parametrize("path", chapter_notebooks(), ids=relative)
def test_chapter_in_browser(browser, site, path):
    url = f"{site}/{Path(relative(path)).with_suffix('.html').as_posix()}"
    page, errors = open_page(browser, url)
    try:
        page.wait_for_load_state("networkidle")
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert broken == [], f"불러오지 못한 그림: {broken}"
        owner_repo = repository_url().removeprefix("https://github.com/")
        colab = f"https://colab.research.google.com/github/{owner_repo}/blob/main/{relative(edition_path(path))}"
        hrefs = page.eval_on_selector_all("a[href*='colab.research.google.com']", "els => els.map(e => e.href)")
        assert colab in hrefs, f"Colab 링크가 이 장을 가리키지 않습니다: {hrefs}"
        text = page.inner_text("article")
        values = glued_values(read(path))
        for name in quoted_glue_names(read(path)):
            assert values[name].strip("'\"") in text, f"붙인 값 {name}이(가) 화면에 없습니다"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{path.stem}.png"))
        assert errors == [], f"JavaScript 오류: {errors}"
    finally:
        page.close()


@pytest.mark.parametrize(
    "query,expected",
    [("텐서", "01_tensors_and_devices"), ("합성곱", "06_cnn_mnist"), ("DataLoader", "03_dataset_dataloader"),
     ("state_dict", "07_save_load")],
)
def test_korean_search(browser, site, query, expected):
    page, errors = open_page(browser, f"{site}/search.html?q={query}")
    try:
        page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
        links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.href)")
        assert any(expected in link for link in links), f"'{query}' 검색 결과에 {expected}가 없습니다: {links}"
        if query == "텐서":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "search_텐서.png"))
        assert errors == [], f"JavaScript 오류: {errors}"
    finally:
        page.close()
