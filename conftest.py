"""pytest 설정: nbval이 장을 실행할 때 CI용 줄인 파라미터를 넣는다.

nbval은 ``IPyNbFile.collect``에서 ``nbformat.read``로 노트북을 읽는다. 그 한 번의 읽기만
``tools.notebooks.with_ci_parameters``로 바꿔 끼워, papermill이 하듯 ``parameters`` 셀 바로
뒤에 ``injected-parameters`` 셀이 들어간 노트북을 실행하게 한다.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import nbval.plugin

from tools.notebooks import with_ci_parameters

# 장을 실행하는 커널은 이 환경을 물려받는다. torch.compile의 캐시를 이번 실행만의 빈 폴더로 두어, 8장이 재는
# '처음 컴파일하는 시간'이 앞선 실행의 캐시에 기대지 않게 한다 (make outputs도 같은 일을 한다).
os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="inductor-cache-")
atexit.register(shutil.rmtree, os.environ["TORCHINDUCTOR_CACHE_DIR"], ignore_errors=True)

_original_collect = nbval.plugin.IPyNbFile.collect


def _collect_with_ci_parameters(self):
    nb = with_ci_parameters(Path(str(self.fspath)))
    items = _original_collect(self)
    with mock.patch.object(nbval.plugin.nbformat, "read", return_value=nb):
        first = next(items, None)  # 이 첫 걸음에서 노트북을 읽는다
    if first is not None:
        yield first
        yield from items


nbval.plugin.IPyNbFile.collect = _collect_with_ci_parameters
