"""HTML 책 만들기: Jupyter Book 빌드(경고는 오류) → Pagefind 한국어 검색 색인.

    python tools/build_book.py                # _build/html
    python tools/build_book.py --out /tmp/x   # /tmp/x/_build/html (테스트용)

Sphinx의 기본 검색은 한국어를 띄어쓰기 단위로만 색인한다('텐서를'은 한 낱말이라 '텐서'로
찾을 수 없다). Pagefind는 낱말의 앞부분으로도 찾으므로 '텐서'가 '텐서를', '텐서의'를 찾는다.
색인은 본문(article)만 하고, 검색 쪽(book/_templates/search.html)이 Pagefind의 화면을 쓴다.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def build(out: Path) -> Path:
    html = out / "_build" / "html"
    shutil.rmtree(html, ignore_errors=True)
    shutil.rmtree(out / "_build" / ".doctrees", ignore_errors=True)
    subprocess.run(
        [str(BIN / "jupyter-book"), "build", "-W", "-n", "--keep-going", "--path-output", str(out), str(ROOT)],
        check=True, cwd=ROOT,
    )
    subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(html),
         "--root-selector", "article.bd-article", "--exclude-selectors", ".headerlink",
         "--force-language", "ko"],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
    )
    return html


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT, help="이 폴더 아래 _build/html에 만든다")
    args = parser.parse_args()
    try:
        html = build(args.out.resolve())
    except subprocess.CalledProcessError as exc:
        print(f"책을 만들지 못했습니다: {' '.join(map(str, exc.cmd[:2]))} … (종료 코드 {exc.returncode}). "
              "위의 경고/오류를 고치세요 — 경고도 오류로 칩니다.", file=sys.stderr)
        return 1
    print(f"책이 만들어졌습니다: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
