# 『파이토치 기초 실습서』: 세 개의 명령
#   make book     새 기계에서 .venv를 만들고, 저장된 출력으로 HTML 책을 만든다
#   make test     단위 테스트와 모든 장(줄인 파라미터)을 실행한다
#   make outputs  모든 장을 원래 길이로 다시 실행해 출력을 저장한다 (GPU가 있으면 GPU에서)
# 그 밖에:
#   make gpu-check           CUDA GPU에서 모든 장(줄인 파라미터)과 GPU 테스트를 실행한다 (건너뛰면 실패)
#   make test-min            requirements.txt의 가장 낮은 torch/torchvision으로 make test
#   make test-colab-runtime  Colab의 런타임(Python 3.13, torch 2.11.0, setuptools 없음)으로 make test
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# 비우면 requirements.txt가 허락하는 torch를 쓴다. test-min 등이 정확한 판을 준다.
TORCH_PINS ?=
# 1이면 설치한 뒤 setuptools를 지운다 (Colab의 Python 3.13처럼 distutils도 setuptools도 없는 환경)
NO_SETUPTOOLS ?=
# requirements.txt의 최솟값 그대로: "torch>=2.6" → "torch==2.6"
MIN_TORCH_PINS := $(shell sed -n -E 's/^(torch|torchvision)>=([0-9.]+).*/\1==\2/p' requirements.txt)
COLAB_PYTHON ?= python3.13
COLAB_TORCH_PINS := torch==2.11.0 torchvision==0.26.0
# pip이 로컬 색인에 대해 내는 무해한 경고 줄만 걸러 낸다
QUIET_PIP := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: setup book test outputs data browser clean gpu-check test-min test-colab-runtime colab

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt $(TORCH_PINS) 2>&1 | $(QUIET_PIP)
	$(PY) -m pip install -q --no-deps -e . 2>&1 | $(QUIET_PIP)
	if [ "$(NO_SETUPTOOLS)" = 1 ]; then $(PY) -m pip uninstall -y -q setuptools 2>&1 | $(QUIET_PIP); fi
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" > /dev/null
	$(PY) -c "import torch, torchvision, helpers; print('torch', torch.__version__, '/ torchvision', torchvision.__version__)"
	touch $(STAMP)

setup: $(STAMP)

book: setup
	$(PY) tools/build_book.py

# 데이터: torchvision의 내려받기, 안 되면 패키지 저장소의 사본 (helpers는 apt/npm을 부르지 않는다)
data: setup
	$(PY) tools/fetch_data.py

# 브라우저 테스트용 Chromium과 한국어 글꼴: root이고 apt-get이 있을 때만 설치한다 (없으면 그 테스트는 건너뜀).
# CI(CI=true)에서는 설치에 실패하면 여기서 멈춘다 (브라우저 테스트도 건너뛰지 않고 실패한다).
browser:
	@if ! command -v chromium > /dev/null && command -v apt-get > /dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "Chromium과 한국어 글꼴을 설치합니다 …"; \
	  if ! (apt-get update -qq && apt-get install -y -qq chromium fonts-nanum > /dev/null); then \
	    case "$${CI,,}" in true|1) echo "Chromium을 설치하지 못했습니다: CI에서는 브라우저 테스트를 건너뛸 수 없습니다." >&2; exit 1;; esac; \
	    echo "Chromium을 설치하지 못했습니다: 브라우저 테스트는 건너뜁니다."; \
	  fi; \
	fi

test: setup data browser
	$(VENV)/bin/pytest --durations=0

outputs: setup data
	$(PY) tools/outputs.py $(NOTEBOOKS)
	$(PY) tools/colab.py

# Colab판(colab/)만 다시 만든다 (장의 마크다운만 고쳤을 때)
colab: setup
	$(PY) tools/colab.py

gpu-check: setup data
	@$(PY) -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 'CUDA GPU가 없습니다: make gpu-check는 GPU가 있는 기계에서 실행합니다.')"
	BOOK_REQUIRE_CUDA=1 $(VENV)/bin/pytest --durations=0 --ignore=tests/test_browser.py

test-min:
	$(MAKE) test VENV=.venv-min TORCH_PINS="$(MIN_TORCH_PINS)"

test-colab-runtime:
	$(MAKE) test VENV=.venv-colab PYTHON=$(COLAB_PYTHON) TORCH_PINS="$(COLAB_TORCH_PINS)" NO_SETUPTOOLS=1

clean:
	rm -rf _build
