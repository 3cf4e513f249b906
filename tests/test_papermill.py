"""파라미터 셀이 papermill과 맞는지: 1장을 `papermill … -p 이름 값`으로 실행한다."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from tools.notebooks import BOOK, INJECTED_TAG, ci_parameters, clean_run_problems, tags

PAPERMILL = Path(sys.executable).parent / "papermill"
CHAPTER = BOOK / "01_tensors_and_devices.ipynb"


def test_chapter_runs_through_papermill_with_p(tmp_path):
    params = ci_parameters(CHAPTER)
    assert params, "1장의 CI 파라미터가 ci_params.yaml에 있어야 합니다"
    args = []
    for name, value in params.items():
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            args += ["-p", name, str(value)]
        else:
            args += ["-y", yaml.safe_dump({name: value}, default_flow_style=True).strip()]
    out = tmp_path / CHAPTER.name
    result = subprocess.run(
        [str(PAPERMILL), str(CHAPTER), str(out), "-k", "python3", "--cwd", str(BOOK), *args],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    nb = nbformat.read(str(out), as_version=4)
    assert nb.metadata.papermill.parameters == params
    position = [i for i, c in enumerate(nb.cells) if INJECTED_TAG in tags(c)]
    assert len(position) == 1 and "parameters" in tags(nb.cells[position[0] - 1])
    # 주입된 셀이 있으니 '깨끗한 전체 실행'으로는 인정되지 않아야 한다
    assert any("주입된" in p for p in clean_run_problems(nb))
