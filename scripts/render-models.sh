#!/usr/bin/env bash
# Draws every model of models/ (each model of a file with several) as an SVG in
# docs/images/models/, for docs/models.md. Usage: scripts/render-models.sh [path/to/dlc]
set -euo pipefail
cd "$(dirname "$0")/.."
dlc="${1:-.build/release/dlc}"
out=docs/images/models
mkdir -p "$out"
for file in models/*.dlg; do
  name=$(basename "$file" .dlg)
  # The models a file declares, from its summary ("model NAME" lines).
  mapfile -t names < <("$dlc" compile "$file" | sed -n 's/^model \([A-Za-z0-9_]*\).*/\1/p')
  if [ "${#names[@]}" -le 1 ]; then
    "$dlc" render "$file" -o "$out/$name.svg"
  else
    for m in "${names[@]}"; do "$dlc" render "$file" --model "$m" -o "$out/$name.$m.svg"; done
  fi
done
ls "$out"
