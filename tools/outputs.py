"""``make outputs``: 모든 장을 기본(전체) 파라미터로 papermill에 돌려 출력을 노트북에 저장한다.

    python tools/outputs.py                      # 모든 장
    python tools/outputs.py book/03_mlp.ipynb    # 한 장만

각 장은 자기 폴더(book/)에서 실행되고, 끝나면 ``metadata.book``에 코드 해시와 실행 환경을
적은 뒤 원래 파일을 바꿔 놓는다(임시 파일 → 이름 바꾸기). 실행이 실패하면 원래 파일은
그대로 두고, 실패한 노트북은 ``_build/failed/``에 남긴다.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.notebooks import ROOT, chapter_notebooks, code_hash, relative  # noqa: E402

# 셀마다 붙는 papermill 기록(시간 등)은 저장소의 차이만 키우므로 지운다.
_CELL_METADATA_DROP = ("papermill", "execution")


def _collapse_carriage_returns(text: str) -> str:
    """진행 막대처럼 ``\r``로 같은 줄을 고쳐 쓴 출력은 마지막 모습만 남긴다."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


# 파이토치의 C++ 부분이 stderr에 쓰는 기록 가운데 독자에게 뜻이 없는 줄: 프로파일러(kineto)의 시작·끝 표시와
# GPU가 없는 기계에서 GPU 수를 묻다 실패한 기록, CUDA용 torch를 GPU 없는 기계에서 쓸 때의 CUDA_HOME 안내.
_NATIVE_NOISE = re.compile(
    r"^(USDT|ERROR|WARNING):\d{4}-\d\d-\d\d [\d:]+ \d+:\d+ \w+\.cpp:\d+\] .*$\n?"
    r"|^W\d{4} [\d:.]+ \d+ \S*torch/utils/cpp_extension\.py:\d+\] No CUDA runtime is found.*$\n?",
    re.M,
)


def merge_streams(outputs: list) -> list:
    """이어진 같은 스트림(stdout/stderr) 출력을 하나로 합치고, ``\r`` 덮어쓰기와 C++ 기록 줄(``_NATIVE_NOISE``)을 정리한다."""
    merged: list = []
    for out in outputs:
        if out.get("output_type") == "stream" and out["name"] == "stderr":
            out["text"] = _NATIVE_NOISE.sub("", out["text"])
            if not out["text"]:
                continue
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1]["name"] == out["name"]):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    for out in merged:
        if out.get("output_type") == "stream":
            out["text"] = _collapse_carriage_returns(out["text"])
    return merged


def environment() -> dict:
    import torch
    import torchvision

    if torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name(0)})"
    else:
        device = f"cpu ({os.cpu_count()} cores)"
    return {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "python": platform.python_version(),
        "device": device,
        "date": dt.date.today().isoformat(),
    }


def run(path: Path) -> float:
    start = time.perf_counter()
    produced_by = code_hash(nbformat.read(str(path), as_version=4))  # 실행 전의 코드와 helpers
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        # torch.compile의 캐시를 빈 폴더로: 장이 재는 '처음 컴파일하는 시간'이 앞선 실행의 캐시에 기대지 않게 한다
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(tmp) / "inductor-cache")
        try:
            papermill.execute_notebook(
                str(path), str(out), cwd=str(path.parent), kernel_name="python3",
                progress_bar=False, request_save_on_cell_execute=False,
            )
        except papermill.PapermillExecutionError:
            failed = ROOT / "_build" / "failed"
            failed.mkdir(parents=True, exist_ok=True)
            if out.exists():
                shutil.move(out, failed / path.name)  # /tmp와 저장소가 다른 디스크일 수도 있다
            raise
        nb = nbformat.read(str(out), as_version=4)
    for cell in nb.cells:
        for key in _CELL_METADATA_DROP:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    if code_hash(nb) != produced_by:
        raise RuntimeError(f"{relative(path)}: 실행하는 동안 장이나 helpers/가 바뀌었습니다. 다시 실행하세요.")
    nb.metadata["book"] = {"code_hash": produced_by, "executed_with": environment()}
    tmp_path = path.with_name(f".{path.name}.tmp")
    nbformat.write(nb, str(tmp_path))
    os.replace(tmp_path, path)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or chapter_notebooks()
    for path in paths:
        print(f"실행: {relative(path)} …", flush=True)
        seconds = run(path)
        print(f"  저장함 ({seconds:.0f}초)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
