# 『파이토치 기초 실습서』: 세 개의 명령
#   make book     새 기계에서 .venv를 만들고, 저장된 출력으로 HTML 책을 만든다
#   make test     단위 테스트와 모든 장(줄인 파라미터)을 실행한다
#   make outputs  모든 장을 원래 길이로 다시 실행해 출력을 저장한다 (GPU가 있으면 GPU에서)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pip이 로컬 색인에 대해 내는 무해한 경고 줄만 걸러 낸다
QUIET_PIP := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: setup book test outputs data browser clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt 2>&1 | $(QUIET_PIP)
	$(PY) -m pip install -q --no-deps -e . 2>&1 | $(QUIET_PIP)
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" > /dev/null
	$(PY) -c "import torch, torchvision, helpers; print('torch', torch.__version__, '/ torchvision', torchvision.__version__)"
	touch $(STAMP)

setup: $(STAMP)

book: setup
	$(PY) tools/build_book.py

data: setup
	$(PY) -m helpers.data fetch

# 브라우저 테스트용 Chromium과 한국어 글꼴: root이고 apt-get이 있을 때만 설치한다 (없으면 그 테스트는 건너뜀).
browser:
	@if ! command -v chromium > /dev/null && command -v apt-get > /dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "Chromium과 한국어 글꼴을 설치합니다 …"; \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-nanum > /dev/null) \
	    || echo "Chromium을 설치하지 못했습니다: 브라우저 테스트는 건너뜁니다."; \
	fi

test: setup data browser
	$(VENV)/bin/pytest --durations=0

outputs: setup data
	$(PY) tools/outputs.py $(NOTEBOOKS)

clean:
	rm -rf _build
