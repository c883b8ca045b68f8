#!/usr/bin/env bash
# The main job on the embedded defaults (SQLite registry, local provider), in a scratch git checkout,
# with no environment variable and no --version (versions are the commit SHAs):
#   1. run the seed example in-process                      (flowctl run)
#   2. plan and apply the multi-domain manifest, twice       (development, then staging follows)
#   3. run it in staging with a controller (local processes) (flowctl launch --wait)
#   4. promote staging to production through its gates      (flowctl promote --approve)
#   5. change the code, commit, apply again                  (the repeat loop)
#   6. check the registry for drift                          (flowctl drift)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$repo/.venv/bin/flowctl" ] || bash "$repo/scripts/setup.sh"
flowctl="$repo/.venv/bin/flowctl"
work="${FLOWCTL_DEMO_DIR:-$(mktemp -d)}"
mkdir -p "$work"
cp -r "$repo/examples/my_ml_project" "$work/"
cp "$repo/examples/flyte_concepts.py" "$work/"
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
commit() { git add my_ml_project flyte_concepts.py .gitignore && git -c user.name=demo -c user.email=demo@example.com commit -qm "$1"; }
printf '__pycache__/\n' > .gitignore
git init -q && commit "my-ml-project manifests"

step "flowctl run flyte_concepts.py standard_scale_workflow (in-process)"
"$flowctl" run flyte_concepts.py standard_scale_workflow --values '[1.0,2.0,3.0,4.0,5.0]'

step "flowctl plan my_ml_project --out plan.out (version: the commit SHA)"
"$flowctl" plan my_ml_project --out plan.out
step "flowctl apply plan.out (development gets the commit)"
"$flowctl" apply plan.out --auto-approve
step "flowctl apply my_ml_project (one step per apply: staging follows development)"
"$flowctl" apply my_ml_project --auto-approve

step "flowctl launch my-ml-project staging flows.training.training_wf --wait (controller running)"
"$flowctl" controller --poll-interval 0.2 > .flowctl/controller.log 2>&1 &
controller=$!
trap 'kill $controller 2>/dev/null || true' EXIT
"$flowctl" launch my-ml-project staging flows.training.training_wf --values '[1.0,2.0,3.0,4.0]' --wait
kill -TERM "$controller"; wait "$controller" || true
trap - EXIT

step "flowctl plan my_ml_project (production waits for its approval gate)"
"$flowctl" plan my_ml_project
step "flowctl promote my-ml-project staging production --entity flows.training.training_wf --approve"
"$flowctl" promote my-ml-project staging production --entity flows.training.training_wf --approve --auto-approve

step "change the code, commit, flowctl apply my_ml_project (development gets the new commit)"
sed -i.bak 's/return sum((x - weight) \*\* 2 for x in data) \/ len(data)/return sum(abs(x - weight) for x in data) \/ len(data)/' \
  my_ml_project/flows/training.py && rm my_ml_project/flows/training.py.bak
commit "evaluate: mean absolute error"
"$flowctl" apply my_ml_project --auto-approve
step "flowctl plan my_ml_project --detailed-exitcode (expect exit 2: staging follows on the next apply)"
"$flowctl" plan my_ml_project --detailed-exitcode || [ $? -eq 2 ]

step "flowctl get launchplans -p my-ml-project"
"$flowctl" get launchplans -p my-ml-project
step "flowctl drift my_ml_project (expect: no drift)"
"$flowctl" drift my_ml_project
echo
echo "Demo workspace: $work (a git checkout; registry: $work/.flowctl/registry.db, ignored by git)"
echo "Open the console on the demo's registry:"
echo "  cd $work && $flowctl server --with-controller    # then browse http://127.0.0.1:8080/console/"
