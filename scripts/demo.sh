#!/usr/bin/env bash
# The main job on the embedded defaults (SQLite registry, local provider), in a scratch folder:
#   1. run the seed example in-process            (flowctl run)
#   2. plan and apply the multi-domain manifest   (flowctl plan / apply, v1 then v2)
#   3. launch a registered workflow and execute it with a controller (local processes)
#   4. check the registry for drift                (flowctl drift)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$repo/.venv/bin/flowctl" ] || bash "$repo/scripts/setup.sh"
flowctl="$repo/.venv/bin/flowctl"
work="${FLOWCTL_DEMO_DIR:-$(mktemp -d)}"
cp -r "$repo/examples/my_ml_project" "$work/"
cp "$repo/examples/flyte_concepts.py" "$work/"
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "flowctl run flyte_concepts.py standard_scale_workflow (in-process)"
"$flowctl" run flyte_concepts.py standard_scale_workflow --values '[1.0,2.0,3.0,4.0,5.0]'

step "flowctl plan my_ml_project --version v1"
"$flowctl" plan my_ml_project --version v1 --out plan.out
step "flowctl apply plan.out"
"$flowctl" apply plan.out --auto-approve
step "flowctl apply my_ml_project --version v2 (development moves on; staging and production follow)"
"$flowctl" apply my_ml_project --version v2 --auto-approve
step "flowctl plan my_ml_project --version v2 --detailed-exitcode (expect: no changes)"
"$flowctl" plan my_ml_project --version v2 --detailed-exitcode

step "flowctl launch my-ml-project production nightly_training_lp --wait (controller running)"
"$flowctl" controller --poll-interval 0.2 > controller.log 2>&1 &
controller=$!
trap 'kill $controller 2>/dev/null || true' EXIT
"$flowctl" launch my-ml-project production nightly_training_lp --values '[1.0,2.0,3.0,4.0]' --wait
kill -TERM "$controller"; wait "$controller" || true
trap - EXIT

step "flowctl get launchplans -p my-ml-project"
"$flowctl" get launchplans -p my-ml-project
step "flowctl drift (expect: no drift)"
"$flowctl" drift
echo
echo "Demo workspace: $work (registry: $work/.flowctl/registry.db)"
echo "Open the console on the demo's registry:"
echo "  cd $work && $flowctl server --with-controller    # then browse http://127.0.0.1:8080/console/"
