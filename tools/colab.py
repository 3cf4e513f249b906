"""Colab판 만들기: ``book/``의 장을 Colab이 그대로 보여 줄 수 있는 노트북으로 바꿔 ``colab/``에 쓴다.

    python tools/colab.py           # colab/ 아래 모든 판을 새로 쓴다 (make outputs가 부른다)
    python tools/colab.py --check   # 판이 장과 맞는지만 본다 (다르면 종료 코드 1)

Colab은 MyST 문법을 모른다. 그래서 HTML 책에서만 뜻이 있는 것을 이렇게 바꾼다.

- 마크다운: ``{glue:}`이름``` → 저장된 실행의 값(굵게), 풀이 드롭다운 → ``<details>``,
  ``:::{note}`` 같은 상자 → 인용 블록, ``{doc}``/``{ref}``와 ``(label)=`` → HTML 책으로 가는 링크.
- 코드: 숨은 셀(``remove-cell``: 검사 셀, glue 셀, 하한 셀)은 빼고, 남은 ``# NBVAL_…`` 줄과 ``helpers.glue(...)``
  호출도 지운다. parameters 셀에서는 남은 코드가 쓰지 않는 상수를 지운다. 풀이 코드(``hide-cell``)와 개념 그림
  셀(``remove-input``)은 Colab의 양식 셀로 접어 둔다. 출력은 싣지 않는다: 독자가 위에서부터 실행해 자기 출력을 만든다.

판은 손으로 고치지 않는다. 장을 고치면 이 도구로 다시 만든다(테스트가 어긋남을 잡는다).
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.notebooks import (  # noqa: E402
    BOOK, PARAMETERS_TAG, ROOT, chapter_notebooks, glued_values, read, relative, tags,
)

COLAB = ROOT / "colab"
CHECK_CELL_TAG = "remove-cell"
SOLUTION_TAG = "hide-cell"
FIGURE_TAG = "remove-input"  # 개념 그림만 그리는 셀: HTML에는 그림만, Colab에서는 접힌 양식 셀
BOX_TITLES = {"note": "참고", "tip": "팁", "important": "중요", "warning": "주의", "caution": "주의",
              "attention": "주의", "danger": "위험", "hint": "힌트", "seealso": "함께 보기"}

# 판에 남으면 안 되는 것: 테스트도 이것으로 찾는다
MYST_LEFTOVERS = {
    "MyST 역할": re.compile(r"\{[a-z][\w:-]*\}`"),
    "콜론 울타리": re.compile(r"^:{3,}", re.M),
    "절 이름표": re.compile(r"^\([\w-]+\)=\s*$", re.M),
    "지시문": re.compile(r"^```\{", re.M),
}
MACHINERY = re.compile(r"NBVAL|helpers\.glue\(|MIN_[A-Z_]+\s*=")


class EditionError(ValueError):
    """장을 Colab판으로 바꿀 수 없다 (없는 glue 값, 지울 수 없는 glue 호출 등)."""


# ---------------------------------------------------------------------------
# 책의 주소와 문서 제목
# ---------------------------------------------------------------------------

def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def html_base_url() -> str:
    """HTML 책의 주소 (``_config.yml``의 ``html.baseurl``), 끝에 ``/``."""
    return book_config()["html"]["baseurl"].rstrip("/") + "/"


def edition_path(path: Path) -> Path:
    """``book/03_….ipynb`` → ``colab/03_….ipynb`` (``book/`` 아래의 상대 경로 그대로)."""
    return COLAB / Path(path).resolve().relative_to(BOOK)


def page_url(doc: str, anchor: str | None = None) -> str:
    """저장소 루트 기준 문서(확장자 없이) → HTML 책의 쪽 주소."""
    return html_base_url() + doc + ".html" + (f"#{anchor}" if anchor else "")


def _markdown_text(path: Path) -> str:
    """문서의 마크다운: ``.md``는 파일 그대로, 노트북은 마크다운 셀을 이은 것."""
    if path.suffix == ".ipynb":
        return "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def _title(text: str, fallback: str) -> str:
    """마크다운의 첫 ``# 제목`` (없으면 ``fallback``)."""
    match = re.search(r"^# (.+)$", text, re.M)
    return match.group(1).strip() if match else fallback


def _documents() -> dict[str, Path]:
    """책의 문서: 저장소 루트 기준 이름(확장자 없이) → 파일."""
    docs = {}
    for path in sorted(BOOK.rglob("*")):
        if path.suffix in {".ipynb", ".md"} and "_build" not in path.parts and ".ipynb_checkpoints" not in path.parts:
            docs[relative(path)[: -len(path.suffix)]] = path
    return docs


def _labels(doc: str, text: str) -> dict[str, tuple[str, str]]:
    """문서 하나의 ``(label)=`` 이름표 → (문서, 그 아래 제목)."""
    return {m.group(1): (doc, m.group(2).strip()) for m in re.finditer(r"^\(([\w-]+)\)=\s*\n+#+\s*(.+)$", text, re.M)}


# ---------------------------------------------------------------------------
# 마크다운
# ---------------------------------------------------------------------------

def _glue_text(name: str, spec: str | None, values: dict[str, str], role: str) -> str:
    """``{glue:}``/``{glue:text}``이 HTML에 쓰는 글자 (myst-nb의 ``format_plain_text``와 같은 규칙)."""
    if name not in values:
        raise EditionError(f"glue 값 {name!r}이(가) 저장된 출력에 없습니다: make outputs로 장을 다시 실행하세요")
    text = values[name].strip()
    if role != "text":
        return text
    try:
        value = ast.literal_eval(text)  # 문자열의 따옴표를 떼고, 숫자는 숫자로
    except (SyntaxError, ValueError):
        value = text
    spec = spec or "s"
    kind = spec[-1]
    try:
        if kind == "s":
            value = str(value)
        elif kind in "bcdoxX":
            value = int(value)
        elif kind in "eEfFgGn%":
            value = float(value)
        return format(value, spec)
    except (TypeError, ValueError) as exc:
        raise EditionError(f"glue 값 {name!r}({text})에 형식 {spec!r}을 쓸 수 없습니다: {exc}") from None


def _replace_glue(line: str, values: dict[str, str]) -> str:
    pattern = re.compile(r"\{glue(?::(any|text)?)?\}`([^`:]+)(?::([^`]+))?`")
    out, last = [], 0
    for match in pattern.finditer(line):
        role = match.group(1) or "any"
        text = _glue_text(match.group(2), match.group(3), values, role)
        inside_bold = line[: match.start()].count("**") % 2 == 1
        out.append(line[last:match.start()])
        out.append(text if inside_bold else f"**{text}**")
        last = match.end()
    out.append(line[last:])
    return "".join(out)


def _replace_links(text: str, doc: str, labels: dict[str, tuple[str, str]], titles: dict[str, str]) -> str:
    here = Path(doc).parent

    def resolve(target: str) -> str:
        target = target.strip()
        name = target.lstrip("/") if target.startswith("/") else (here / target).as_posix()
        parts = []
        for part in name.split("/"):  # ../ 풀기
            if part == "..":
                parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        resolved = "/".join(parts)
        if resolved not in titles:
            raise EditionError(f"{doc}: {{doc}}`{target}`이(가) 가리키는 문서가 없습니다")
        return resolved

    def doc_role(match: re.Match) -> str:
        body = match.group(1)
        explicit = re.fullmatch(r"(.+?)\s*<(.+)>", body)
        target = resolve(explicit.group(2) if explicit else body)
        label = explicit.group(1) if explicit else titles[target]
        return f"[{label}]({page_url(target)})"

    def ref_role(match: re.Match) -> str:
        body = match.group(1)
        explicit = re.fullmatch(r"(.+?)\s*<(.+)>", body)
        name = explicit.group(2) if explicit else body
        if name not in labels:
            raise EditionError(f"{doc}: {{ref}}`{name}` — 그런 이름표가 없습니다")
        target, heading = labels[name]
        return f"[{explicit.group(1) if explicit else heading}]({page_url(target, name)})"

    def label_link(match: re.Match) -> str:  # [글](label) — MyST가 이름표로 푸는 링크
        text_, name = match.group(1), match.group(2)
        if name not in labels:
            return match.group(0)
        target, _ = labels[name]
        return f"[{text_}]({page_url(target, name)})"

    text = re.sub(r"\{doc\}`([^`]+)`", doc_role, text)
    text = re.sub(r"\{ref\}`([^`]+)`", ref_role, text)
    text = re.sub(r"\[([^\]]+)\]\(([\w-]+)\)", label_link, text)
    return re.sub(r"^\([\w-]+\)=\s*\n+", "", text, flags=re.M)


_FENCE_OPEN = re.compile(r"^(:{3,})\{([\w-]+)\}\s*(.*)$")


def _convert_fences(lines: list[str]) -> list[str]:
    """``:::{이름} 제목`` … ``:::`` 상자를 Colab이 보여 주는 마크다운으로 (안쪽 상자도 차례로)."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if not opening:
            out.append(lines[i])
            i += 1
            continue
        colons, kind, title = opening.groups()
        i += 1
        options = {}
        while i < len(lines) and re.match(r"^:[\w-]+:", lines[i]):
            key, _, value = lines[i][1:].partition(":")
            options[key] = value.strip()
            i += 1
        body: list[str] = []
        while i < len(lines) and not re.fullmatch(rf"{colons}\s*", lines[i]):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise EditionError(f"닫히지 않은 상자: {lines[i - len(body) - 1]!r}")
        i += 1  # 닫는 줄
        body = _convert_fences(body)
        while body and not body[0].strip():
            body.pop(0)
        while body and not body[-1].strip():
            body.pop()
        heading = title or BOX_TITLES.get(kind, kind)
        if "dropdown" in options.get("class", "").split():
            out += [f"<details><summary><b>{heading}</b> (눌러서 펼치기)</summary>", "", *body, "", "</details>"]
        else:
            out += [f"> **{heading}**", ">", *[f"> {line}" if line.strip() else ">" for line in body]]
    return out


def convert_markdown(text: str, doc: str, values: dict[str, str], labels, titles) -> str:
    text = _replace_links(text, doc, labels, titles)
    lines = [_replace_glue(line, values) for line in text.split("\n")]
    return "\n".join(_convert_fences(lines))


# ---------------------------------------------------------------------------
# 코드
# ---------------------------------------------------------------------------

def _is_glue_call(node: ast.AST) -> bool:
    call = node.value if isinstance(node, ast.Expr) else None
    func = getattr(call, "func", None)
    return (isinstance(func, ast.Attribute) and func.attr == "glue"
            and isinstance(func.value, ast.Name) and func.value.id == "helpers")


def _glue_only(stmt: ast.stmt) -> bool:
    """glue 호출이거나, 안에 glue 호출만 있는 반복문·조건문·with 문."""
    if _is_glue_call(stmt):
        return True
    if isinstance(stmt, (ast.For, ast.While, ast.If, ast.With)):
        inner = stmt.body + getattr(stmt, "orelse", [])
        return all(_glue_only(s) for s in inner)
    return False


def strip_glue_calls(source: str) -> str:
    """``helpers.glue(...)`` 문장(과 그것만 든 반복문)을 지운다. 블록이 비게 되면 ``EditionError``."""
    if "helpers.glue(" not in source:
        return source
    tree = ast.parse(source)
    drop: set[int] = set()
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            glued = [stmt for stmt in block if _glue_only(stmt)]
            if glued and len(glued) == len(block) and not isinstance(node, ast.Module) and not _glue_only(node):
                raise EditionError(f"glue 호출만 있는 블록은 지울 수 없습니다 (줄 {block[0].lineno}): 코드를 고치세요")
            for stmt in glued:
                drop.update(range(stmt.lineno, stmt.end_lineno + 1))
    lines = source.split("\n")
    return "\n".join(line for n, line in enumerate(lines, start=1) if n not in drop).strip("\n")


def strip_markers(source: str) -> str:
    """nbval의 ``# NBVAL_…`` 표시 줄을 지운다."""
    return "\n".join(line for line in source.split("\n") if not re.fullmatch(r"\s*# NBVAL_\w+\s*", line))


def strip_unused_parameters(source: str, used_code: str) -> str:
    """parameters 셀에서 남은 코드가 쓰지 않는 상수의 대입 줄을 지운다 (검사 하한 같은 것)."""
    kept = []
    for line in source.split("\n"):
        match = re.match(r"^([A-Za-z_]\w*)\s*=", line)
        if match and not re.search(rf"\b{match.group(1)}\b", used_code):
            continue
        kept.append(line)
    return "\n".join(kept)


# ---------------------------------------------------------------------------
# 노트북 한 권
# ---------------------------------------------------------------------------

def _intro_cell(doc: str, executed_with: dict) -> nbformat.NotebookNode:
    env = executed_with or {}
    device = env.get("device", "")
    device = re.sub(r"^cpu \((\d+) cores\)$", r"CPU \1코어", device)  # tools/outputs.py가 적는 모양
    device = re.sub(r"^cuda \((.+)\)$", r"GPU \1", device)
    where = ", ".join(part for part in (f"torch {env['torch']}" if "torch" in env else "", device) if part)
    return nbformat.v4.new_markdown_cell(
        f"> **Colab판** — 이 노트북은 HTML 책의 [이 장]({page_url(doc)})을 Colab에서 실행할 수 있도록 "
        "자동으로 변환한 것입니다.\n"
        ">\n"
        "> - 위에서부터 차례로 실행합니다(런타임 → 모두 실행). GPU를 쓰려면 런타임 → 런타임 유형 변경에서 GPU를 고릅니다.\n"
        f"> - 본문의 **굵은 숫자**는 책을 만들 때 실행한 결과입니다({where or '책을 만들 때의 환경'}). "
        "여러분이 실행한 결과는 장치와 버전에 따라 조금 다를 수 있습니다.\n"
        "> - 풀이는 제목을 눌러 펼쳐 봅니다. 코드 풀이 셀은 바로 실행할 수도 있고, 두 번 눌러 코드를 볼 수도 있습니다."
    )


def book_index() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """(문서 → 제목, 이름표 → (문서, 제목)): 링크를 만들 때 쓴다. 문서마다 한 번 읽는다."""
    titles, labels = {}, {}
    for doc, path in _documents().items():
        text = _markdown_text(path)
        titles[doc] = _title(text, path.stem)
        labels.update(_labels(doc, text))
    return titles, labels


def build_edition(path: Path, index=None) -> nbformat.NotebookNode:
    """장 하나의 Colab판 (메모리에서만). ``index``는 ``book_index()`` (없으면 새로 만든다)."""
    nb = read(path)
    doc = relative(path)[: -len(".ipynb")]
    titles, labels = index or book_index()
    values = glued_values(nb)

    cells = [c for c in nb.cells if CHECK_CELL_TAG not in tags(c)]
    code_after_params: list[str] = []
    out_cells = []
    for cell in cells:
        if cell.cell_type == "markdown":
            out_cells.append(nbformat.v4.new_markdown_cell(convert_markdown(cell.source, doc, values, labels, titles)))
            continue
        source = strip_glue_calls(strip_markers(cell.source)).strip("\n")
        if not source.strip():
            continue
        new = nbformat.v4.new_code_cell(source)
        cell_tags = [t for t in tags(cell) if t == PARAMETERS_TAG]
        if cell_tags:
            new.metadata["tags"] = cell_tags
        if SOLUTION_TAG in tags(cell):
            new.source = "#@title 풀이 코드 (두 번 눌러 코드 보기)\n" + new.source
            new.metadata["cellView"] = "form"
        elif FIGURE_TAG in tags(cell):
            new.source = "#@title 그림 그리기 (두 번 눌러 코드 보기)\n" + new.source
            new.metadata["cellView"] = "form"
        out_cells.append(new)
        if not cell_tags:
            code_after_params.append(source)
    used = "\n".join(code_after_params)
    for cell in out_cells:
        if PARAMETERS_TAG in cell.metadata.get("tags", []):
            cell.source = strip_unused_parameters(cell.source, used)
    out_cells.insert(1, _intro_cell(doc, nb.metadata.get("book", {}).get("executed_with", {})))

    edition = nbformat.v4.new_notebook(cells=out_cells)
    edition.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",  # Colab이 GPU 런타임으로 연다
        "colab": {"provenance": [], "toc_visible": True},
        "book": {"source": relative(path)},
    }
    for i, cell in enumerate(edition.cells):
        cell["id"] = f"cell-{i}"
    return edition


def render(nb: nbformat.NotebookNode) -> str:
    """파일에 쓰는 글자 그대로 (비교와 쓰기가 같은 글자를 쓰도록)."""
    return json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def leftovers(nb: nbformat.NotebookNode) -> list[str]:
    """Colab판에 남은 MyST 문법과 테스트 장치 (있으면 그 설명)."""
    found = []
    for i, cell in enumerate(nb.cells):
        patterns = MYST_LEFTOVERS.items() if cell.cell_type == "markdown" else [("테스트 장치", MACHINERY)]
        for what, pattern in patterns:
            match = pattern.search(cell.source)
            if match:
                found.append(f"셀 {i}: {what} {match.group(0)!r}")
    return found


def _expected_editions() -> dict[Path, Path]:
    """있어야 할 판 → 그 장."""
    return {edition_path(p): p for p in chapter_notebooks()}


def _orphan_editions(expected: dict[Path, Path]) -> list[Path]:
    """``colab/``에 있지만 해당하는 장이 없는 판."""
    return [p for p in sorted(COLAB.rglob("*.ipynb")) if p not in expected] if COLAB.exists() else []


def stale_editions() -> list[str]:
    """판이 없거나 장과 맞지 않거나 장이 없는 판의 목록."""
    problems = []
    expected = _expected_editions()
    index = book_index()
    for target, source in expected.items():
        if not target.exists():
            problems.append(f"{target.relative_to(ROOT)}: 없음")
        elif target.read_text(encoding="utf-8") != render(build_edition(source, index)):
            problems.append(f"{target.relative_to(ROOT)}: {relative(source)}와 맞지 않음")
    problems += [f"{extra.relative_to(ROOT)}: 해당하는 장이 없음" for extra in _orphan_editions(expected)]
    return problems


def write_all() -> list[Path]:
    """모든 판을 새로 만들어, 달라진 것만 쓰고 그 목록을 돌려준다. 장이 없는 판은 지운다."""
    written = []
    expected = _expected_editions()
    for extra in _orphan_editions(expected):
        extra.unlink()
    index = book_index()
    for target, source in expected.items():
        edition = build_edition(source, index)
        problems = leftovers(edition)
        if problems:
            raise EditionError(f"{relative(source)}: Colab판에 남은 것 — " + "; ".join(problems))
        target.parent.mkdir(parents=True, exist_ok=True)
        text = render(edition)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="쓰지 않고 어긋난 판만 알린다")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_editions()
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("Colab판이 장과 맞지 않습니다: `python tools/colab.py`로 다시 만드세요.", file=sys.stderr)
        return 1 if problems else 0
    for path in write_all():
        print(f"Colab판을 썼습니다: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
