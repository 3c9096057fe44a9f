#!/usr/bin/env sh
# Builds the CUDA prover, device-agent/target/cuda/popw-gpu-prover, when nvcc is present; otherwise
# says so and exits 0 (the agent then uses its CPU prover). NOT YET MEASURED ON A GPU: see
# docs/gpu-proofs.md. Set NVCC to choose a compiler, CUDA_ARCHS for the targets (default: Volta to
# Hopper, plus PTX for newer GPUs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../target/cuda"
nvcc=${NVCC:-}
if [ -z "$nvcc" ]; then
  nvcc=$(command -v nvcc || true)
  [ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
fi
if [ -z "$nvcc" ]; then
  echo "popw-gpu-prover: nvcc not found, not built; the agent will use its CPU prover (install the CUDA toolkit to build it)" >&2
  exit 0
fi
archs=${CUDA_ARCHS:-"75 80 86 89 90"}
gencode=""
last=""
for a in $archs; do
  gencode="$gencode -gencode arch=compute_$a,code=sm_$a"
  last=$a
done
gencode="$gencode -gencode arch=compute_$last,code=compute_$last"
mkdir -p "$out"
# shellcheck disable=SC2086
"$nvcc" -O3 -std=c++17 $gencode -o "$out/popw-gpu-prover" "$here/popw_gpu_prover.cu"
echo "built $out/popw-gpu-prover with $("$nvcc" --version | tail -1)"
