#!/usr/bin/env bash
# Every spent evaluation set and the development set, with `wxbot eval --quiet`, from the repo root:
#   bash knowledge/eval/all_sets.sh [fused|lexical]
# Held-out sets not yet run (fresh8.tsv and later) are never listed here: add one only after its one run.
mode=${1:-fused}
[ "$mode" = lexical ] && export WXBOT_SEMANTIC=0
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
for f in knowledge/eval/tune.tsv knowledge/eval/tune-extra.tsv knowledge/eval/tune-extra2.tsv knowledge/eval/test.tsv \
         knowledge/eval/check-late.tsv knowledge/eval/fresh.tsv knowledge/eval/fresh2.tsv knowledge/eval/fresh3.tsv \
         knowledge/eval/fresh4.tsv knowledge/eval/fresh5.tsv knowledge/eval/fresh6.tsv knowledge/eval/fresh7.tsv \
         /work/shared/eval/dev-questions.tsv; do
  [ -f "$f" ] || { echo "== $f: not here, skipped"; continue; }
  echo "== $f"; .venv/bin/wxbot eval "$f" --quiet | tail -8
done
