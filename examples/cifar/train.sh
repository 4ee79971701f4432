#!/usr/bin/env bash
# The original cifar_example/train.sh in TorchAD-NN for Python terms: start the CIFAR example on
# several MPI ranks through torchad-run (which wraps the installed MPI's mpiexec).
#
#   examples/cifar/train.sh [nodes] [batchsize] [iterations] [more options for the example...]
#   examples/cifar/train.sh 4 10 2 -synthetic           # 4 ranks, sync every 10 samples, 2 epochs
#   HOSTFILE=hosts.txt USEGPU=1 examples/cifar/train.sh 8 100 5
#
# The original asked for the three numbers with `read`; here they are arguments with defaults
# (nodes 2, batchsize 10, iterations 1), so the script also runs unattended.
# Environment:
#   HOSTFILE  hosts to run on, in your MPI's syntax (the original: --hostfile $hostfile_path).
#             One slot per host gives one rank per node, as the original's `-npernode 1`.
#   USEGPU=1  train on the GPU (-usegpu; the original always passed it).
#   PYTHON    the interpreter (default python3); every host needs it at the same path, with
#             this package installed, and this script's folder at the same path as well.
# As in the original the full data set is used (-data, 32000 training samples); the real
# cifar-10-torch files are read from ./cifar-10-batches-t7 when present, else synthetic ones
# in the same format are generated (see examples/cifar/README.md).
set -euo pipefail

nodes=${1:-2}
batchsize=${2:-10}
iter=${3:-1}
shift $(( $# < 3 ? $# : 3 ))

# Where things are: this folder, the interpreter and the script (the original named fixed absolute paths)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}
train_path="$here/sgd_torchad_nn_cifar.py"
launcher=("$python" -m torchad_run -np "$nodes")
if [ -n "${HOSTFILE:-}" ]; then
    launcher+=(--hostfile "$HOSTFILE")
fi
gpu=()
if [ "${USEGPU:-0}" = 1 ]; then
    gpu=(-usegpu)
fi

exec "${launcher[@]}" python "$train_path" -batchSize "$batchsize" -threads 1 -iterations "$iter" \
    -learningRate 0.001 -data "${gpu[@]}" "$@"
