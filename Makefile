# Two commands for a new user: `make demo` and `make test`.
# Both create or reuse the virtual environment .venv in the repo root.
# TORCH_SPEC picks the torch build: the default is the CPU build this machine kind has on disk;
# CUDA users run e.g. `make test TORCH_SPEC="torch==2.5.1" TORCH_INDEX=https://download.pytorch.org/whl/cu124`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo_out
PYTEST_ARGS ?=
SRC_DIRS := $(wildcard manifests wpdata wpmodel pipelines tests benchmarks)

.PHONY: venv demo test lint clean-demo

venv: $(STAMP)

$(STAMP): pyproject.toml
	@./scripts/system_deps.sh
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q "$(TORCH_SPEC)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) 2>&1 | { grep -v "is ignored" || true; }
	$(PY) -m pip install -q -e '.[dev]' 2>&1 | { grep -v "is ignored" || true; }
	$(PY) -c "import torch, ray, av, open3d, pycolmap, gsplat, webdataset" 
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/wp demo --out $(DEMO_OUT)

test: $(STAMP)
	$(VENV)/bin/ruff check $(SRC_DIRS)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check --fix $(SRC_DIRS)
	$(VENV)/bin/ruff format $(SRC_DIRS)
