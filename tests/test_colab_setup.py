"""Colab 준비 셀: helpers가 없는 새 환경에서 이 저장소를 설치하고, torch는 건드리지 않는다.

Colab처럼 torch가 이미 있는 새 가상 환경을 만든다(.venv의 site-packages를 경로로만 빌려 오므로
torch는 보이지만 .venv에 개발 모드로 설치된 helpers는 보이지 않는다). 거기서 장의 첫 셀을
IPython으로 실행하고, BOOK_PACKAGE는 이 체크아웃의 패키지 파일을 가리킨다.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tools.colab import edition_path
from tools.notebooks import BOOK, ROOT, ci_parameters, colab_setup_source


def run(python: Path, code: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    base = tmp_path_factory.mktemp("colab")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = Path(run(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])", base, os.environ).stdout.strip())
    # 경로 한 줄만 더한다: 그 폴더의 .pth(개발 모드 helpers)는 처리되지 않는다
    (site / "borrowed_torch.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # 패키지에 들어가는 파일만 복사해 설치한다 (체크아웃 안에 build/가 생기지 않게)
    package = base / "package"
    package.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, package / name)
    shutil.copytree(ROOT / "helpers", package / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    env["BOOK_PACKAGE"] = str(package)
    return python, site, base, env


def test_setup_cell_installs_helpers_without_touching_torch(fresh_env):
    python, site, cwd, env = fresh_env
    before = run(python, "import importlib.util, torch; print(importlib.util.find_spec('helpers'))", cwd, env)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == "None", "새 환경에서 helpers가 벌써 보입니다: 테스트가 의미가 없습니다"

    cell = colab_setup_source()
    driver = textwrap.dedent(
        f"""
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        result = shell.run_cell({cell!r})
        assert result.success, result.error_in_exec
        import helpers, torch
        print("helpers", helpers.__file__)
        print("torch", torch.__file__)
        print("asset", helpers.asset_path("handwritten_3.png"))  # 7장의 그림도 패키지와 함께 온다
        """
    )
    after = run(python, driver, cwd, env)
    assert after.returncode == 0, after.stdout[-2000:] + after.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in after.stdout.splitlines() if line.startswith(("helpers ", "torch ")))
    assert lines["helpers"].startswith(str(site)), "helpers가 새 환경에 설치되지 않았습니다"
    assert "asset " + str(site) in after.stdout, "7장의 그림이 패키지와 함께 설치되지 않았습니다"
    assert not lines["torch"].startswith(str(site)), "torch가 새로 설치되었습니다"
    assert not any(site.glob("torch*")) and not any(site.glob("torchvision*")), "torch/torchvision을 설치했습니다"


def test_colab_edition_runs_outside_the_repository(fresh_env):
    """1장의 Colab판을 저장소 밖 폴더에서 위에서 아래로 실행한다 (CI의 줄인 파라미터, helpers는 준비 셀이 설치)."""
    python, site, _, env = fresh_env
    chapter = BOOK / "01_tensors_and_devices.ipynb"
    reader_folder = site.parent.parent.parent.parent / "reader"  # 저장소와 venv 밖
    reader_folder.mkdir(exist_ok=True)
    notebook = reader_folder / "chapter.ipynb"
    shutil.copy(edition_path(chapter), notebook)
    params = "\n".join(f"{k} = {v!r}" for k, v in ci_parameters(chapter).items())
    driver = textwrap.dedent(
        f"""
        import json
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        cells = json.load(open({str(notebook)!r}, encoding="utf-8"))["cells"]
        for i, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
            source = "".join(cell["source"])
            if "parameters" in cell["metadata"].get("tags", []):
                source += "\\n" + {params!r}
            result = shell.run_cell(source)
            if not result.success:
                raise SystemExit(f"코드 셀 {{i}}이 실패했습니다: {{result.error_before_exec or result.error_in_exec!r}}")
        import helpers
        print("helpers", helpers.__file__)
        """
    )
    env = {**env, "MPLBACKEND": "Agg"}
    result = run(python, driver, reader_folder, env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"helpers {site}" in result.stdout, "helpers가 준비 셀로 새 환경에 설치되지 않았습니다"


def test_setup_cell_does_nothing_when_helpers_is_present():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    result = shell.run_cell(colab_setup_source())
    assert result.success
    assert "BOOK_PACKAGE" not in shell.user_ns, "helpers가 있는데도 설치하려 했습니다"
