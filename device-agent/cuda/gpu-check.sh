#!/usr/bin/env bash
# The GPU check of issue 15, for a machine with an NVIDIA GPU, its driver, nvcc and Java 17
# (docs/gpu-proofs.md, "Not done yet"): builds the CUDA prover, runs its host check and self-test
# (the documented vector; tensor-core products against a plain kernel), then the CUDA path of
# bench/run gpu-proof (roots against the CPU prover, openings verified, time per size).
# Output goes to stdout and, when $OUT is set, to $OUT/gpu-check.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
log=${OUT:+$OUT/gpu-check.txt}
run() { if [ -n "${log:-}" ]; then "$@" 2>&1 | tee -a "$log"; else "$@"; fi; }
run nvidia-smi --query-gpu=uuid,name,memory.total,driver_version --format=csv,noheader
run device-agent/cuda/build.sh
run device-agent/target/cuda/popw-gpu-prover --info
run device-agent/target/cuda/popw-gpu-prover --host-check
run device-agent/target/cuda/popw-gpu-prover --self-test
run bench/run gpu-proof --sizes 1024,2048 --trials 200 --gpu
