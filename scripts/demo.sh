#!/usr/bin/env bash
# The main job on the embedded defaults (SQLite registry, local provider), in a scratch git checkout,
# with no environment variable and no --version (versions are the commit SHAs). The full plan is
# printed once (step 2); later steps print what they changed, and the demo ends with the outputs of
# an execution in production. FLOWCTL_DEMO_DIR=DIR keeps the workspace in DIR.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$repo/.venv/bin/flowctl" ] || bash "$repo/scripts/setup.sh"
flowctl="$repo/.venv/bin/flowctl"
work="${FLOWCTL_DEMO_DIR:-$(mktemp -d)}"
mkdir -p "$work"
cp -r "$repo/examples/my_ml_project" "$work/"
cp "$repo/examples/flyte_concepts.py" "$work/"
cd "$work"
n=0
# step TITLE WHY: a numbered heading and one line saying what the step shows.
step() { n=$((n + 1)); printf '\n\033[1m== %d. %s\033[0m\n   %s\n' "$n" "$1" "$2"; }
# brief: the lines of a plan or apply that say what moves (the promotions, the summary), not the plan itself.
brief() {
  awk '/^Promotions/ {p = 1} p && /^$/ {p = 0}
       p || /^(Plan:|No changes|Apply complete|Approved:|Saved the plan|No drift|Drift:|Pending changes)/'
}
commit() { git add my_ml_project flyte_concepts.py .gitignore && git -c user.name=demo -c user.email=demo@example.com commit -qm "$1"; }
printf '__pycache__/\n' > .gitignore
git init -q && commit "my-ml-project manifests"
inputs='[1.0,2.0,3.0,4.0]'

step "flowctl run flyte_concepts.py standard_scale_workflow" \
  "The seed example runs in this process: no registry, no controller."
"$flowctl" run flyte_concepts.py standard_scale_workflow --values '[1.0,2.0,3.0,4.0,5.0]'

step "flowctl plan my_ml_project --out plan.out" \
  "What the manifests would change in the (empty) registry, saved for review; versions are the commit SHA."
"$flowctl" plan my_ml_project --out plan.out

step "flowctl apply plan.out" \
  "Applies exactly the reviewed plan: development gets the commit; staging follows on the next apply."
"$flowctl" apply plan.out | brief   # a saved plan was reviewed: no prompt

step "flowctl apply my_ml_project" \
  "One step along the chain per apply: staging gets development's versions (same digests, never rebuilt)."
"$flowctl" apply my_ml_project --auto-approve | brief

step "flowctl controller &" \
  "Starts the engine in the background (attempts run as local processes); its log is .flowctl/controller.log."
"$flowctl" controller --poll-interval 0.2 > .flowctl/controller.log 2>&1 &
controller=$!
trap 'kill $controller 2>/dev/null || true' EXIT
echo "   controller pid $controller"

step "flowctl launch my-ml-project staging flows.training.training_wf --wait" \
  "Runs the staging version; one success is what production's gate requires (besides an approval)."
"$flowctl" launch my-ml-project staging flows.training.training_wf --values "$inputs" --wait

step "flowctl plan my_ml_project" \
  "Production waits for its approval gate: the plan says which gates are met and how to meet the rest."
"$flowctl" plan my_ml_project | brief

step "flowctl promote my-ml-project staging production --entity flows.training.training_wf --approve" \
  "Records the approval and promotes: production gets staging's exact versions."
"$flowctl" promote my-ml-project staging production --entity flows.training.training_wf --approve --auto-approve | brief

step "edit, commit, flowctl apply my_ml_project" \
  "The repeat loop: development gets the new commit; staging and production keep theirs."
sed -i.bak 's/return sum((x - weight) \*\* 2 for x in data) \/ len(data)/return sum(abs(x - weight) for x in data) \/ len(data)/' \
  my_ml_project/flows/training.py && rm my_ml_project/flows/training.py.bak
commit "evaluate: mean absolute error"
"$flowctl" apply my_ml_project --auto-approve | brief

step "flowctl plan my_ml_project --detailed-exitcode" \
  "Exit 2: changes pending (staging follows the new commit on the next apply), as CI would see it."
status=0
"$flowctl" plan my_ml_project --detailed-exitcode | brief || status=$?
echo "   exit code $status"
[ "$status" -eq 2 ]

step "flowctl drift my_ml_project" \
  "Nothing was changed by hand since the last apply: no drift (pending manifest changes are not drift)."
"$flowctl" drift my_ml_project | brief

step "flowctl launch my-ml-project production flows.training.training_wf --wait" \
  "Runs the promoted version in production and prints the execution's outputs."
"$flowctl" launch my-ml-project production flows.training.training_wf --values "$inputs" --wait
kill -TERM "$controller"; wait "$controller" || true
trap - EXIT

echo
echo "Demo workspace: $work (a git checkout; registry: $work/.flowctl/registry.db, ignored by git)"
echo "Open the console on the demo's registry:"
echo "  cd $work && $flowctl server --with-controller    # then browse http://127.0.0.1:8080/console/"
