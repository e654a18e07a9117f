#!/usr/bin/env bash
# `make run`: a local sekmet-fhir server with the demo hospital, the kiosk and its scheduler. Ctrl-C stops all.
#   KIOSK_WEB_PORT (default 8000)  the kiosk: http://127.0.0.1:$KIOSK_WEB_PORT
#   FHIR_PORT      (default 8090)  the FHIR server: http://127.0.0.1:$FHIR_PORT/fhir
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
kiosk_port=${KIOSK_WEB_PORT:-8000}
fhir_port=${FHIR_PORT:-8090}
fhir_url="http://127.0.0.1:${fhir_port}/fhir"
mkdir -p var

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped the kiosk, its scheduler and the FHIR server."
}
trap cleanup EXIT INT TERM

cat > var/sekmet.yaml <<YAML
base_url: ${fhir_url}
host: 127.0.0.1
port: ${fhir_port}
data_dir: ${root}/var/fhir
db_path: ${root}/var/fhir/sekmet.db
facility_name: Riverside General Hospital
simulator:
  enabled: false
log_inbound: false
YAML

echo "Starting the FHIR server (sekmet-fhir) on ${fhir_url} (log: var/fhir.log) ..."
SEKMET_CONFIG="${root}/var/sekmet.yaml" .venv-fhir/bin/sekmet serve >var/fhir.log 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  if curl -fsS "${fhir_url}/metadata" >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "The FHIR server did not start; see var/fhir.log" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS "${fhir_url}/metadata" >/dev/null

export KIOSK_FHIR_BASE_URL="${fhir_url}"
export KIOSK_WEB_PORT="${kiosk_port}"
# Paging and call lights in the demo: pages go to demo pagers on port 2525 (some acknowledge by themselves),
# and a simulated nurse-call system raises a call every few minutes, signed with a secret made here.
export KIOSK_PAGING_SMTP_PORT="${KIOSK_PAGING_SMTP_PORT:-2525}" KIOSK_PAGING_PUBLIC_URL="http://127.0.0.1:${kiosk_port}"
export KIOSK_CALLS_WEBHOOK_SECRET="${KIOSK_CALLS_WEBHOOK_SECRET:-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}"
# Push: the scheduler subscribes the kiosk on the FHIR server, which posts every change here; boards are live.
export KIOSK_PUSH_NOTIFY_URL="${KIOSK_PUSH_NOTIFY_URL:-http://127.0.0.1:${kiosk_port}/push/fhir}"
.venv/bin/kiosk seed-demo --if-empty
.venv/bin/kiosk db upgrade
.venv/bin/kiosk user demo

.venv/bin/kiosk serve --port "${kiosk_port}" &
pids+=($!)
# The scheduler is restarted whenever it dies (a crash, kill -9): a new one on this machine takes over a
# dead one's lock at once. SIGTERM (Ctrl-C, through cleanup) stops the loop and the scheduler with it.
supervise_scheduler() {
  local child="" started status delay=2
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; [ -n "$child" ] && wait "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    started=$SECONDS
    .venv/bin/kiosk scheduler >>var/scheduler.log 2>&1 &
    child=$!
    status=0
    wait "$child" || status=$?
    child=""
    if [ "$status" -eq 0 ]; then exit 0; fi  # stopped cleanly on purpose
    # Killed by a signal: again at once. One that exits by itself at once (a wrong setting, another
    # scheduler running) is retried less and less often.
    if (( status > 128 )); then delay=1
    elif (( SECONDS - started < 10 )); then delay=$(( delay * 2 > 60 ? 60 : delay * 2 )); else delay=2; fi
    echo "$(date '+%F %T') the scheduler exited (status ${status}); starting it again in ${delay} s" \
      | tee -a var/scheduler.log >&2
    sleep "$delay" & wait $! || true
  done
}

echo "Starting the scheduler (supply checks, audit events, print retries, pages, census checks, FHIR subscriptions; log: var/scheduler.log) ..."
: >var/scheduler.log
supervise_scheduler &
pids+=($!)
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:${kiosk_port}/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
.venv/bin/python scripts/pager_sink.py --port "${KIOSK_PAGING_SMTP_PORT}" >var/pagers.log 2>&1 & pids+=($!)
.venv/bin/python scripts/nurse_call_simulator.py run --every 180 >var/nurse-call.log 2>&1 & pids+=($!)
cat <<MSG

  Unit Coordinator Kiosk is running:  http://127.0.0.1:${kiosk_port}
  FHIR server (sekmet-fhir):          ${fhir_url}
$(cat var/demo-sign-in.txt 2>/dev/null || true)
  Scheduler log:                      var/scheduler.log (restarted if it dies)
  Demo pagers, nurse-call simulator:  var/pagers.log, var/nurse-call.log
  Press Ctrl-C to stop them all.

MSG
wait -n "${pids[@]}"
