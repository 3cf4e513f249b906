"""체크포인트: 7장에서 풀어 쓴 저장과 불러오기.

- ``save(obj, path)``: 같은 폴더의 임시 파일에 다 쓴 뒤 이름만 바꾼다(``os.replace``).
  저장 도중에 멈추거나 실패해도 이전 체크포인트는 그대로 남는다.
- ``load(path, model=None, map_location="cpu")``: 언제나 ``weights_only=True``로 읽는다.
  파일이 없거나, 잘렸거나 손상되었거나, 코드를 실행하려 하거나, 모델과 맞지 않으면 무엇을 하면
  되는지 한국어로 알려 준다. ``model``을 주면 가중치를 그 모델에 넣는다.
- ``save_training_state`` / ``load_training_state`` / ``epoch_saver``: ``helpers.train.fit``을
  멈췄다가 이어서 학습하기 위한 것 (모델, 옵티마이저, 스케줄러, 기록, 난수 상태).
  모든 값을 텐서·숫자·문자열·리스트·딕셔너리로 바꿔 저장하므로 ``weights_only=True``로 읽힌다.
"""
from __future__ import annotations

import _compat_pickle
import io
import os
import pickle
import pickletools
import random
import struct
import zipfile
from collections import deque
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np
import torch
from torch import nn

from helpers.files import atomic_write
from helpers.train import History

__all__ = [
    "CheckpointError",
    "CheckpointMismatchError",
    "CheckpointNotFoundError",
    "DamagedCheckpointError",
    "UnsafeCheckpointError",
    "epoch_saver",
    "load",
    "load_state_dict",
    "load_training_state",
    "rng_state",
    "save",
    "save_training_state",
    "set_rng_state",
]

PathLike = str | os.PathLike
_SHOW = 6  # 오류 메시지에 늘어놓을 키의 최대 개수


class CheckpointError(RuntimeError):
    """체크포인트를 저장하거나 읽지 못했다. 메시지가 무엇을 하면 되는지 말한다."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """체크포인트 파일이 없다."""


class DamagedCheckpointError(CheckpointError):
    """파일이 잘렸거나 손상되었다. 또는 애초에 ``torch.save``로 저장한 파일이 아니다."""


class UnsafeCheckpointError(CheckpointError):
    """파일이 텐서와 기본 자료형이 아닌 것을 만들려 해서 ``weights_only=True``가 거절했다.

    pickle이 끝까지 온전하고 그 안에서 허락되지 않은 이름(``names``)을 찾았을 때만 이 오류다.
    """

    def __init__(self, message: str, names: list[str]) -> None:
        super().__init__(message)
        self.names = names


class CheckpointMismatchError(CheckpointError):
    """체크포인트의 키나 모양이 모델과 맞지 않는다."""

    def __init__(
        self,
        message: str,
        missing: list[str],
        unexpected: list[str],
        mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]],
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched


# ---------------------------------------------------------------------------
# 저장: 임시 파일 → 이름 바꾸기
# ---------------------------------------------------------------------------

def save(obj: Any, path: PathLike) -> Path:
    """``obj``를 ``torch.save``로 ``path``에 저장하고 그 경로를 돌려준다.

    같은 폴더의 임시 파일(``.이름.<pid>.<무작위>.tmp``)에 끝까지 쓰고 디스크에 내린(``fsync``) 뒤에야
    ``os.replace``로 이름을 바꾼다. 이름 바꾸기는 한 번에 일어나므로, 저장 도중에 실패하거나
    멈추면 ``path``에는 이전 파일이 그대로 남고 임시 파일은 지워진다. 프로세스가 통째로 죽어
    (``kill -9``, 커널 재시작) 남은 임시 파일은 다음에 같은 경로에 저장할 때 지운다
    (``helpers.files.remove_stale_temp_files``).
    """
    path = Path(path)
    try:
        with atomic_write(path) as f:
            torch.save(obj, f)
    except Exception as exc:
        kept = f"이전 파일 {path}은(는) 그대로 남아 있습니다." if path.exists() else f"{path}은(는) 만들지 않았습니다."
        raise CheckpointError(
            f"체크포인트를 저장하지 못했습니다: {type(exc).__name__}: {_first_line(exc)}\n"
            f"{kept}\n"
            "저장할 수 있는 것은 텐서, 숫자, 문자열, 리스트, 딕셔너리입니다 "
            "(함수나 열린 파일 같은 것은 넣지 마세요). 디스크 공간이 남았는지도 확인하세요."
        ) from exc
    return path


# ---------------------------------------------------------------------------
# 읽기: 언제나 weights_only=True, 실패하면 한국어로
# ---------------------------------------------------------------------------

def load(
    path: PathLike,
    model: nn.Module | None = None,
    *,
    map_location: Any = "cpu",
) -> Any:
    """체크포인트를 ``torch.load(path, map_location=..., weights_only=True)``로 읽어 돌려준다.

    - ``map_location``: 텐서를 둘 장치 (기본 ``"cpu"``: GPU에서 저장한 파일도 GPU 없이 읽힌다).
      ``"cuda"``, ``{"cuda:1": "cuda:0"}``, 함수 등 ``torch.load``가 받는 것은 무엇이든 된다.
    - ``model``을 주면 읽은 가중치를 ``load_state_dict``(아래)로 그 모델에 넣는다. 파일이
      ``state_dict`` 자체이거나, ``{"model": state_dict, ...}``처럼 ``"model"`` 키에 담겨 있으면 된다.

    실패하면 ``CheckpointError``(또는 그 하위 클래스)를 무엇을 하면 되는지와 함께 일으킨다:
    잘렸거나 손상되었거나 체크포인트가 아니면 ``DamagedCheckpointError``, 허락되지 않은 것을
    만들려 하면 ``UnsafeCheckpointError``(그 이름들과 함께).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointNotFoundError(_not_found_message(path))
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise _refusal(path, exc) from exc
    except RuntimeError as exc:
        if "CUDA" in str(exc) and "deserialize" in str(exc):
            raise CheckpointError(
                f"{path}은(는) GPU에서 저장한 파일인데, 이 기계에서는 CUDA GPU를 쓸 수 없습니다.\n"
                "map_location='cpu'로 읽으세요 (이 함수의 기본값입니다)."
            ) from exc
        raise DamagedCheckpointError(_corrupt_message(path, exc)) from exc
    except PermissionError as exc:
        raise CheckpointError(f"{path}을(를) 읽을 권한이 없습니다. 파일의 권한이나 소유자를 확인하세요.") from exc
    except _DAMAGE as exc:
        raise DamagedCheckpointError(_corrupt_message(path, exc)) from exc
    if model is not None:
        load_state_dict(model, _model_state(obj, path))
    return obj


# 잘리거나 망가진 파일은 torch 안에서 RuntimeError 말고도 여러 모양으로 드러난다
_DAMAGE = (OSError, EOFError, KeyError, ValueError, IndexError, TypeError, AssertionError,
           struct.error, zipfile.BadZipFile)


def _refusal(path: Path, exc: pickle.UnpicklingError) -> CheckpointError:
    """weights_only 읽기가 거절했을 때 알맞은 오류: 위험한 파일, 읽지 못하는 형식, 또는 손상된 파일.

    "위험하다"는 pickle이 끝까지 온전하고 허락되지 않은 이름을 실제로 댈 수 있을 때만 말한다.
    잘린 파일이나 아무 바이트는 그 이름을 댈 수 없으므로 손상된 파일이다.
    """
    scan = _scan_pickle(path)
    refused = "weights only" in str(exc).lower() or "weights_only" in str(exc).lower()
    if scan is not None and scan.unsafe and refused:
        return UnsafeCheckpointError(_unsafe_message(path, scan.unsafe), scan.unsafe)
    if scan is not None and scan.protocol > _WEIGHTS_ONLY_PROTOCOL:
        return CheckpointError(_protocol_message(path, scan.protocol))
    return DamagedCheckpointError(_corrupt_message(path, exc))


def load_state_dict(model: nn.Module, state_dict: Mapping[str, Any]) -> nn.Module:
    """``model.load_state_dict(state_dict)``와 같지만, 먼저 키와 모양을 맞춰 보고
    어긋나면 어떤 키가 빠졌는지·남는지·모양이 다른지를 한국어로 알려 준다. 모델을 돌려준다."""
    if not isinstance(state_dict, Mapping) or not all(isinstance(k, str) for k in state_dict):
        raise CheckpointError(
            f"state_dict가 아닙니다 ({type(state_dict).__name__}). "
            "state_dict는 '층 이름.weight' 같은 문자열 키에 텐서가 붙은 딕셔너리입니다."
        )
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    mismatched = []
    for key, target in expected.items():
        value = state_dict.get(key)
        if value is None:
            continue
        if not isinstance(value, torch.Tensor):
            mismatched.append((key, ("텐서 아님",), tuple(target.shape)))
        elif value.shape != target.shape:
            mismatched.append((key, tuple(value.shape), tuple(target.shape)))
    if missing or unexpected or mismatched:
        raise CheckpointMismatchError(
            _mismatch_message(type(model).__name__, missing, unexpected, mismatched),
            missing, unexpected, mismatched,
        )
    model.load_state_dict(state_dict)
    return model


def _model_state(obj: Any, path: Path) -> Mapping[str, Any]:
    """읽은 객체에서 모델의 state_dict를 찾는다: 그 자체, 또는 ``obj["model"]``."""
    if isinstance(obj, Mapping):
        inner = obj.get("model")
        if isinstance(inner, Mapping):
            return inner
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
        keys = ", ".join(map(str, list(obj)[:_SHOW]))
        raise CheckpointError(
            f"{path}에서 모델의 가중치를 찾지 못했습니다 (최상위 키: {keys}). "
            "state_dict 자체이거나 'model' 키에 state_dict가 담긴 파일이어야 합니다."
        )
    raise CheckpointError(f"{path}에는 모델의 가중치가 아니라 {type(obj).__name__}이(가) 들어 있습니다.")


def _first_line(exc: BaseException) -> str:
    """오류 메시지의 첫 문장 (torch가 weights_only 오류 앞에 붙이는 긴 안내는 건너뛴다)."""
    text = str(exc).strip()
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1].strip()
    if not text:
        return "(메시지 없음)"
    return text.splitlines()[0].split(". ")[0]


def _names(keys: list[str]) -> str:
    shown = ", ".join(keys[:_SHOW])
    return shown + (f" 외 {len(keys) - _SHOW}개" if len(keys) > _SHOW else "")


def _mismatch_message(model_name, missing, unexpected, mismatched) -> str:
    lines = [f"체크포인트가 이 모델({model_name})과 맞지 않습니다."]
    if missing:
        lines.append(f"  - 모델에는 있는데 체크포인트에 없는 키 {len(missing)}개: {_names(missing)}")
    if unexpected:
        lines.append(f"  - 체크포인트에는 있는데 모델에 없는 키 {len(unexpected)}개: {_names(unexpected)}")
    if mismatched:
        lines.append(f"  - 모양이 다른 키 {len(mismatched)}개:")
        for key, saved, wanted in mismatched[:_SHOW]:
            lines.append(f"      {key}: 체크포인트 {list(saved)}, 모델 {list(wanted)}")
        if len(mismatched) > _SHOW:
            lines.append(f"      … 외 {len(mismatched) - _SHOW}개")
    for prefix in ("module.", "_orig_mod."):
        if unexpected and all(k.startswith(prefix) for k in unexpected):
            lines.append(f"체크포인트의 키가 모두 '{prefix}'로 시작합니다. 저장할 때 감싼 모델"
                         f"(DataParallel이나 torch.compile)의 state_dict를 저장한 것 같습니다: "
                         f"키 앞의 '{prefix}'를 떼고 불러오세요.")
    lines.append("체크포인트를 저장할 때와 같은 모델 클래스와 같은 층 크기로 모델을 만들었는지 확인하세요.")
    return "\n".join(lines)


def _not_found_message(path: Path) -> str:
    if not path.parent.is_dir():
        where = f"폴더 {path.parent}도 없습니다."
    else:
        found = sorted(
            p.name for p in path.parent.iterdir()
            if p.suffix in {".pt", ".pth", ".ckpt", ".safetensors"} and not p.name.startswith(".")
        )
        where = (f"그 폴더에 있는 체크포인트: {_names(found)}" if found
                 else "그 폴더에는 체크포인트 파일(.pt, .pth, .ckpt)이 하나도 없습니다.")
    return (f"체크포인트 파일이 없습니다: {path}\n{where}\n"
            "경로와 파일 이름을 확인하세요. 저장하는 셀을 먼저 실행했는지도 확인하세요.")


def _corrupt_message(path: Path, exc: BaseException) -> str:
    size = path.stat().st_size if path.exists() else 0
    hint = ""
    if path.suffix == ".safetensors":
        hint = "\nsafetensors 파일은 torch.load가 아니라 safetensors.torch.load_file로 읽습니다."
    return (
        f"체크포인트 {path}({size:,}바이트)를 읽지 못했습니다: 파일이 잘렸거나 손상되었습니다 "
        "(torch.save로 저장한 파일이 아닐 수도 있습니다).\n"
        "저장하는 도중에 멈췄거나, 복사·내려받기가 끝나지 않았을 수 있습니다.\n"
        "다른 곳에 둔 사본이 있으면 다시 복사하거나 내려받으세요. 없으면 이전 체크포인트를 쓰거나, "
        "다시 학습해서 저장하세요 (helpers.checkpoint.save는 저장 도중에 멈춰도 이전 파일을 남깁니다)."
        f"{hint}\n(원래 오류: {type(exc).__name__}: {_first_line(exc)[:200]})"
    )


def _protocol_message(path: Path, protocol: int) -> str:
    return (
        f"{path}은(는) 손상되지 않았지만, weights_only=True가 읽지 못하는 pickle 형식"
        f"(protocol {protocol})으로 저장되어 있습니다.\n"
        "직접 저장한 파일이라면 pickle_protocol을 주지 않고 torch.save(또는 helpers.checkpoint.save)로 "
        "다시 저장하세요."
    )


# ---------------------------------------------------------------------------
# pickle을 실행하지 않고 읽기: 무엇을 불러오려는지
# ---------------------------------------------------------------------------

_WEIGHTS_ONLY_PROTOCOL = 3  # weights_only가 읽는 가장 높은 pickle protocol (torch.save의 기본값은 2)
_LEGACY_PICKLES = 4         # 예전(zip이 아닌) 형식의 앞부분: 매직 넘버, 프로토콜, 시스템 정보, 객체
_SCAN_LIMIT = 64 * 2**20    # 예전 형식에서 pickle을 찾아 읽을 앞부분의 크기
_STRINGS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}


class _PickleScan(NamedTuple):
    """``_scan_pickle``이 알아낸 것."""

    unsafe: list[str]  # weights_only가 허락하지 않는 이름들
    protocol: int      # 객체 pickle의 protocol


def _scan_pickle(path: Path) -> _PickleScan | None:
    """체크포인트의 pickle을 실행하지 않고 명령만 읽는다(``pickletools``).

    zip 형식이면 ``data.pkl``을, 예전 형식이면 앞의 pickle 넷을 읽는다. 어느 것이든 끝(STOP)까지
    온전하지 않으면 ``None``: 잘렸거나 손상된 파일이다.
    """
    try:
        names, protocol = set(), 0
        for stream in _pickle_streams(path):
            found, protocol = _pickle_globals(stream)
            names |= found
        allowed = _allowed_globals()
    except Exception:  # 어떤 모양으로 망가졌든 "온전하지 않다"
        return None
    return _PickleScan(sorted(n for n in names if n not in allowed), protocol)


def _pickle_streams(path: Path) -> list[io.BytesIO]:
    """읽을 pickle들: zip 형식(``PK``로 시작)이면 ``data.pkl`` 하나, 아니면 앞부분에 이어 붙은 넷."""
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            f.seek(0)
            stream = io.BytesIO(f.read(_SCAN_LIMIT))
            return [stream] * _LEGACY_PICKLES  # 같은 스트림에서 차례로
        with zipfile.ZipFile(f) as archive:  # torch처럼: 첫 항목의 폴더 안의 data.pkl
            folder = archive.namelist()[0].split("/", 1)[0]
            return [io.BytesIO(archive.read(f"{folder}/data.pkl"))]


def _pickle_globals(stream: io.BytesIO) -> tuple[set[str], int]:
    """pickle 하나가 불러오는 이름들(``모듈.이름``)과 protocol. STOP까지 읽지 못하면 ``ValueError``.

    ``GLOBAL``·``INST``는 이름이 명령에 붙어 있고, ``STACK_GLOBAL``(protocol 4부터)은 바로 앞에
    쌓은 문자열 둘을 쓴다. 그 둘을 확실히 알 수 없으면 "알 수 없는 이름"으로 센다.
    """
    names, protocol = set(), 0
    memo: dict[int, Any] = {}
    pushed: deque = deque([None, None], maxlen=2)  # 마지막 두 명령이 쌓은 문자열 (문자열이 아니면 None)
    for op, arg, _ in pickletools.genops(stream):
        if op.name == "PROTO":
            protocol = arg
        if op.name in ("GLOBAL", "INST"):
            names.add(_python3_name(*arg.split(" ", 1)))
        elif op.name == "STACK_GLOBAL":
            module, name = pushed
            known = isinstance(module, str) and isinstance(name, str)
            names.add(f"{module}.{name}" if known else "(알 수 없는 이름)")
        if op.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1]
        elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = pushed[-1]
        elif op.name in ("GET", "BINGET", "LONG_BINGET"):
            pushed.append(memo.get(arg))
        else:
            pushed.append(arg if op.name in _STRINGS else None)
    return names, protocol


def _python3_name(module: str, name: str) -> str:
    """pickle에 적힌 Python 2식 이름(``__builtin__.exec``)을 torch처럼 Python 3 이름(``builtins.exec``)으로."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    else:
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    return f"{module}.{name}"


def _allowed_globals() -> set[str]:
    """``weights_only=True``가 허락하는 이름들: torch의 기본 목록과 ``add_safe_globals``로 더한 것.

    ``torch.serialization.get_unsafe_globals_in_checkpoint``가 쓰는 목록과 같다 (그 함수는 zip 형식의
    protocol 2 파일만 읽으므로 여기서는 목록만 빌린다).
    """
    from torch import _weights_only_unpickler as weights_only

    return set(weights_only._get_allowed_globals()) | set(weights_only._get_user_allowed_globals())


def _unsafe_message(path: Path, names: list[str]) -> str:
    what = ", ".join(names) if names else "알 수 없는 것"
    return (
        f"{path}을(를) 불러오지 않았습니다: 텐서와 기본 자료형이 아닌 것({what})을 "
        "만들라는 명령이 들어 있습니다.\n"
        "torch.save 파일은 pickle이라서, weights_only=False로 읽으면 그 명령이 그대로 실행됩니다 "
        "(파일 안의 코드가 실행될 수 있습니다).\n"
        "- 출처를 모르는 파일이면 열지 마세요.\n"
        "- 직접 저장한 믿을 수 있는 파일이라면, 모델 객체 대신 state_dict를 다시 저장하거나 "
        "그 이름을 torch.serialization.add_safe_globals([...])로 허락하세요.\n"
        "- 가중치를 주고받을 때는 코드를 담을 수 없는 safetensors 형식이 안전합니다."
    )


# ---------------------------------------------------------------------------
# 난수 상태: weights_only=True로 읽히는 모양(텐서, 숫자, 리스트, 딕셔너리)으로
# ---------------------------------------------------------------------------

def _mps_available() -> bool:
    """Apple GPU(MPS)를 쓸 수 있는지."""
    return torch.backends.mps.is_available()


def rng_state(generator: torch.Generator | None = None) -> dict[str, Any]:
    """Python·NumPy·PyTorch(CPU, 있으면 CUDA와 MPS)의 난수 상태와 ``generator``의 상태.

    ``random.getstate()``의 튜플과 NumPy의 배열은 리스트로 바꿔, ``weights_only=True``로 읽힌다.
    """
    version, internal, gauss = random.getstate()
    np_state = np.random.get_state(legacy=False)
    return {
        "python": {"version": version, "internal": list(internal), "gauss": gauss},
        "numpy": {
            "bit_generator": str(np_state["bit_generator"]),
            "key": [int(k) for k in np_state["state"]["key"]],
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "mps": torch.mps.get_rng_state() if _mps_available() else None,
        "generator": generator.get_state() if generator is not None else None,
    }


def set_rng_state(state: Mapping[str, Any], generator: torch.Generator | None = None) -> None:
    """``rng_state``로 저장한 난수 상태를 되돌린다.

    CUDA 상태는 GPU 수가 같을 때만, MPS 상태는 저장되어 있고 이 기계에서 MPS를 쓸 수 있을 때만 되돌린다
    (``"mps"`` 키가 없는 예전 체크포인트도 읽힌다).
    """
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state({
        "bit_generator": npy["bit_generator"],
        "state": {"key": np.asarray(npy["key"], dtype=np.uint32), "pos": npy["pos"]},
        "has_gauss": npy["has_gauss"],
        "gauss": npy["gauss"],
    })
    torch.set_rng_state(state["torch"].cpu())
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
    mps = state.get("mps")
    if mps is not None and _mps_available():
        torch.mps.set_rng_state(mps.cpu())
    if generator is not None:
        saved = state.get("generator")
        if saved is None:
            raise CheckpointError("체크포인트에 로더 생성기(generator)의 상태가 없습니다. "
                                  "저장할 때 generator=를 주었는지 확인하세요.")
        generator.set_state(saved.cpu())


# ---------------------------------------------------------------------------
# 학습 상태: fit을 멈췄다가 이어서
# ---------------------------------------------------------------------------

_TRAINING_KEYS = ("epoch", "model", "optimizer", "scheduler", "history", "rng")


def save_training_state(
    path: PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    history: History,
    *,
    scheduler: Any = None,
    generator: torch.Generator | None = None,
) -> Path:
    """이어서 학습하는 데 필요한 모든 것을 ``save``로 저장한다.

    저장하는 딕셔너리의 키: ``epoch``(끝난 에폭 수), ``model``, ``optimizer``, ``scheduler``
    (각각의 ``state_dict``, 스케줄러가 없으면 ``None``), ``history``(``History``를 숫자만 담은
    딕셔너리로), ``best_model``(가장 좋았던 에폭의 가중치, 있으면), ``rng``(``rng_state(generator)``).
    ``generator``에는 학습 로더가 섞을 때 쓰는 생성기(``InMemoryLoader.generator``)를 준다.

    ``model``에는 언제나 마지막 에폭의 가중치를 저장한다: ``fit(restore_best=True)``이 끝에서 가장
    좋았던 에폭의 가중치를 모델에 넣었다면, 모델의 지금 가중치 대신 바꾸기 전의 가중치
    (``history.last_state``)를 저장한다. 그래야 가중치·옵티마이저·스케줄러·난수 상태가 모두 같은
    (마지막) 에폭의 것이 되어, 이어서 학습하면 멈추지 않고 학습한 것과 똑같아진다.
    가장 좋았던 가중치는 ``best_model``에 따로 있다.
    """
    state = {
        "epoch": len(history),
        "model": _last_epoch_weights(model, history),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": history.as_dict(),
        "best_model": history.best_state,
        "rng": rng_state(generator),
    }
    return save(state, path)


def _last_epoch_weights(model: nn.Module, history: History) -> Mapping[str, torch.Tensor]:
    """마지막 에폭의 가중치: ``fit``이 가장 좋은 가중치로 바꿔 끼웠다면 ``history.last_state``, 아니면 모델의 것."""
    return history.last_state if history.last_state is not None else model.state_dict()


def load_training_state(
    path: PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    scheduler: Any = None,
    generator: torch.Generator | None = None,
    map_location: Any = "cpu",
) -> History:
    """``save_training_state``로 저장한 파일에서 모델·옵티마이저·스케줄러·난수 상태를 되돌리고
    기록(``History``)을 돌려준다. ``fit(..., history=돌려받은 기록)``으로 이어서 학습한다.

    모델·옵티마이저·스케줄러·로더는 저장할 때와 같은 설정으로 새로 만든 것을 넘긴다.
    모델에는 마지막 에폭의 가중치가 들어간다 (가장 좋았던 가중치는 돌려준 기록의 ``best_state``에 있다).
    난수 상태는 마지막에 되돌리므로, 이 함수 다음에는 곧바로 ``fit``을 부른다.
    """
    state = load(path, map_location=map_location)
    if not isinstance(state, Mapping) or any(k not in state for k in _TRAINING_KEYS):
        have = ", ".join(map(str, list(state)[:_SHOW])) if isinstance(state, Mapping) else type(state).__name__
        raise CheckpointError(
            f"{path}은(는) 학습 상태 체크포인트가 아닙니다 (있는 키: {have}).\n"
            "save_training_state로 저장한 파일이어야 합니다. 가중치만 저장한 파일이라면 "
            "load(path, model)로 모델에 넣을 수는 있지만, 학습을 똑같이 이어 갈 수는 없습니다."
        )
    if scheduler is not None and state["scheduler"] is None:
        raise CheckpointError("이 체크포인트는 학습률 스케줄러 없이 저장되었습니다. scheduler=None으로 불러오세요.")
    load_state_dict(model, state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    history = History.from_dict(state["history"])
    if state.get("best_model") is not None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        history.best_state = {k: v.to(device) for k, v in state["best_model"].items()}
    set_rng_state(state["rng"], generator)
    return history


def epoch_saver(
    path: PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    scheduler: Any = None,
    generator: torch.Generator | None = None,
) -> Callable[[int, History], None]:
    """``fit(..., on_epoch_end=epoch_saver(...))``: 에폭이 끝날 때마다 학습 상태를 저장한다.

    ``path``에 ``{epoch}``가 있으면 에폭마다 다른 파일(``"ckpt_{epoch:02d}.pt"``)에,
    없으면 한 파일에 덮어쓴다(덮어쓰기도 ``save``라서 도중에 멈춰도 안전하다).
    """
    template = str(path)

    def on_epoch_end(epoch: int, history: History) -> None:
        save_training_state(template.format(epoch=epoch), model, optimizer, history,
                            scheduler=scheduler, generator=generator)

    return on_epoch_end
