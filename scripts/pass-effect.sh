#!/usr/bin/env bash
# The effect of the execution passes (Pipelines.execution: simplify, fuse-softmax-loss, cse,
# fuse-batch-sum, fuse-epilogue, fuse-elementwise, fuse-horizontal, assign-layouts, and for
# inference remove-dropout, fold-batch-norm) on every model of models/ (each model of a file with several): kernel steps
# and ms per step with the passes and without them (`dlc bench --no-fuse`), as a markdown table
# for docs/performance.md.
#
#   swift build -c release --product dlc
#   scripts/pass-effect.sh [path/to/dlc]            # wall time, 2 threads: for a quiet machine
#   MEASURE=cpu scripts/pass-effect.sh              # CPU time on one thread (busy machine): ~4 min
#
# MEASURE=wall (default) reports dlc bench's median wall time per step with its default
# threads. On a shared, loaded machine those medians are meaningless (an OpenMP barrier waits
# for a descheduled thread); MEASURE=cpu reports instead the CPU time of one step on one
# thread (OMP_NUM_THREADS=1; `perf stat -e task-clock` of a run of n+1 steps minus a run of 1
# step, over n), which the load disturbs far less but which leaves out what two threads gain.
#
# What is timed: the training step (`dlc bench`), or inference (`--infer`) for a model without
# a loss to train. Batch 64, or the batch of the file's train section when that is smaller;
# the models without a train section (224×224 ImageNet models, the 200-layer one, MiniLM
# with random weights) at a batch small enough for seconds (the table says which). Each model
# runs ROUNDS times per side (default 2), the two sides alternating, and keeps its best median
# of RUNS repetitions (default 5), as the peers' comparison does. Models bench cannot run are
# listed under the table with the reason (its message).
set -euo pipefail
cd "$(dirname "$0")/.."
dlc="${1:-.build/release/dlc}"
measure="${MEASURE:-wall}"
rounds="${ROUNDS:-2}"
runs="${RUNS:-5}"
# CPU time: one wall-time repetition sizes the runs.
if [ "$measure" = cpu ]; then runs=1; fi
[ -x "$dlc" ] || { echo "error: $dlc is not an executable (build it: swift build -c release --product dlc)" >&2; exit 2; }
case "$measure" in
  wall) ;;
  cpu) command -v perf > /dev/null || { echo "error: MEASURE=cpu needs perf (linux-perf)" >&2; exit 2; }
       export OMP_NUM_THREADS=1 ;;
  *) echo "error: MEASURE must be wall or cpu, not '$measure'" >&2; exit 2 ;;
esac

# Batches of the models without a train section, whose 64 would take minutes per step.
declare -A small_batch=([alexnet.AlexNet]=4 [resnet18]=2 [resnet50]=1 [deep_residual]=8 [minilm]=1)

# The value of a numeric field of bench's JSON line.
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<< "$2"; }

# CPU milliseconds (task-clock) of one `dlc bench … --runs 1 --steps N --json` process: cpu_ms N ARGS…
cpu_ms() {
  local n=$1; shift
  perf stat -x, -e task-clock "$dlc" bench "$@" --runs 1 --steps "$n" --json 2>&1 > /dev/null | awk -F, '/task-clock/ { print $1 }'
}

# One measurement of a side: prints "KERNELS MS_PER_STEP" or fails with bench's message.
measure_side() {
  local runs=$1; shift
  local out ms n a c
  out=$("$dlc" bench "$@" --runs "$runs" --json 2>&1) || { echo "$out"; return 1; }
  ms=$(field ms_per_step_median "$out")
  if [ "$measure" = cpu ]; then
    # Steps for about a second of wall time (10 to 20,000), from the wall-time median: enough
    # that the noise of a process's start and compilation (a few ms) is below 1 %.
    n=$(awk -v ms="$ms" 'BEGIN { n = int(1000 / (ms > 0 ? ms : 0.001)); print n < 10 ? 10 : (n > 20000 ? 20000 : n) }')
    a=$(cpu_ms $((n + 1)) "$@"); c=$(cpu_ms 1 "$@")
    ms=$(awk -v a="$a" -v c="$c" -v n="$n" 'BEGIN { print (a - c) / n }')
  fi
  echo "$(field kernels "$out") $ms"
}

skipped=()
unit="ms/step"; [ "$measure" = cpu ] && unit="CPU ms/step, 1 thread,"
echo "| model | step | batch | kernels with / without passes | ratio | $unit with | $unit without | ratio |"
echo "|---|---|---|---|---|---|---|---|"
for file in models/*.dlg; do
  base=$(basename "$file" .dlg)
  # The models a file declares, from its summary ("model NAME" lines).
  mapfile -t names < <("$dlc" compile "$file" 2> /dev/null | sed -n 's/^model \([A-Za-z0-9_]*\).*/\1/p')
  [ "${#names[@]}" -gt 0 ] || { skipped+=("$base: does not compile"); continue; }
  for m in "${names[@]}"; do
    label="$base"; select=()
    if [ "${#names[@]}" -gt 1 ]; then label="$base.$m"; select=(--model "$m"); fi
    own=$(sed -n 's/^ *batch: *\([0-9]*\).*/\1/p' "$file" | head -1)
    batch=64
    [ -n "$own" ] && [ "$own" -lt 64 ] && batch=$own
    if [ -n "${small_batch[$label]:-}" ]; then batch=${small_batch[$label]}; fi
    mode=(); step=training
    probe=$("$dlc" bench "$file" "${select[@]}" --batch "$batch" --runs 1 --steps 1 --json 2>&1) || {
      if grep -q "declares no loss" <<< "$probe"; then
        mode=(--infer); step=inference
      else
        skipped+=("$label: $(head -1 <<< "$probe")"); continue
      fi
    }
    best_on="" best_off="" kernels_on="" kernels_off=""
    for ((r = 0; r < rounds; r++)); do
      for side in on off; do
        flags=(); [ "$side" = off ] && flags=(--no-fuse)
        out=$(measure_side "$runs" "$file" "${select[@]}" "${mode[@]}" "${flags[@]}" --batch "$batch") || {
          skipped+=("$label ($side): $(head -1 <<< "$out")"); continue 3
        }
        read -r k ms <<< "$out"
        if [ "$side" = on ]; then
          kernels_on=$k; best_on=$(awk -v a="$ms" -v b="$best_on" 'BEGIN { print (b == "" || a < b) ? a : b }')
        else
          kernels_off=$k; best_off=$(awk -v a="$ms" -v b="$best_off" 'BEGIN { print (b == "" || a < b) ? a : b }')
        fi
      done
    done
    [ -n "$best_on" ] && [ -n "$best_off" ] || continue
    awk -v l="$label" -v s="$step" -v b="$batch" -v kon="$kernels_on" -v koff="$kernels_off" -v on="$best_on" -v off="$best_off" \
      'BEGIN { printf "| %s | %s | %d | %d / %d | %.2f | %.3f | %.3f | %.2f |\n", l, s, b, kon, koff, kon / koff, on, off, on / off }'
  done
done
if [ "${#skipped[@]}" -gt 0 ]; then
  echo
  echo "Not measured:"
  for s in "${skipped[@]}"; do echo "- $s"; done
fi
