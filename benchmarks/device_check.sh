#!/usr/bin/env bash
# The GPU checks of issue 16 as one short run on a lent GPU machine (Python with NumPy, no registry): the kernel
# benchmarks on the GPU (thermal in f64 and f32 with the fraction of the GPU's memory bandwidth, DEM grains,
# the bandwidth probe). Taichi travels as a wheel in .whl/ (the device tool's notes say how to fetch one).
#
#   bash benchmarks/device_check.sh OUT_DIR [ARCH]     # ARCH: cuda (default), vulkan or cpu
#   QUICK=1 bash benchmarks/device_check.sh OUT_DIR cpu  # a dry run of the script itself (--quick sizes)
#
# Writes at most 6 files to OUT_DIR (a lent machine returns 8): gpu.txt, thermal_f64.json, thermal_f32.json,
# particles.json, membw.json and device_check.log (every step's output). Each step has its own time limit, so
# one slow or failing step does not cost the others; the exit status is 1 if any step failed.
set -uo pipefail
out=${1:?usage: benchmarks/device_check.sh OUT_DIR [cuda|vulkan|cpu]}
arch=${2:-cuda}
cd "$(dirname "$0")/.."
mkdir -p "$out"
log="$out/device_check.log"
: >"$log"
export PYTHONUNBUFFERED=1
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    >>"$log" 2>&1 && export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
{ nvidia-smi --query-gpu=name,memory.total,clocks.max.memory,driver_version --format=csv 2>&1 || true
  python3 -c "import taichi, numpy; print('taichi', taichi.__version__, 'numpy', numpy.__version__)" 2>&1
  nproc; } >"$out/gpu.txt"

quick=()
[ -n "${QUICK:-}" ] && quick=(--quick)
status=0
step() {  # step NAME SECONDS COMMAND...: run with a time limit, its output into the log
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  echo "== $name: $*" >>"$log"
  timeout "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$log"
  [ $rc -eq 0 ] || status=1
}

step thermal_f64 150 python3 benchmarks/thermal.py --arch "$arch" --precision f64 "${quick[@]}" \
  --out "$out/thermal_f64.json"
sizes=(--sizes 128,256)
[ -n "${QUICK:-}" ] && sizes=()
step thermal_f32 150 python3 benchmarks/thermal.py --arch "$arch" --precision f32 "${sizes[@]}" "${quick[@]}" \
  --out "$out/thermal_f32.json"
step particles 150 python3 benchmarks/particles.py --arch "$arch" "${quick[@]}" --out "$out/particles.json"
mib=512
[ -n "${QUICK:-}" ] && mib=32
step membw 60 sh -c "python3 benchmarks/membw.py --arch $arch --mib $mib > '$out/membw.json'"
exit $status
