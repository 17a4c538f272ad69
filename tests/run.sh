#!/usr/bin/env bash
# The project's test command: installs the real test peers (idempotently), checks them, and runs
# every Rust test of the workspace. Exit status = the tests' exit status.
#
#   tests/run.sh                                        # everything (cargo test --workspace --all-targets)
#   tests/run.sh -p driftvakt --test pymodbus_decode    # arguments replace the default cargo test selection
#
# Adding a peer: one line in PIP_PINS or APT_PACKAGES below.
set -euo pipefail

# --- pinned peers -----------------------------------------------------------------------------
PIP_PINS=(
    "pymodbus==3.16.1"
    "bacpypes3==0.0.110"
    "aiosmtpd==1.4.6"
    "prometheus_client==0.21.1"   # the official text-format parser: GET /metrics (sink_mqtt)
)
APT_PACKAGES=(
    mosquitto           # MQTT broker 2.0.11 (Debian 12): alarm notification tests
    mosquitto-clients   # mosquitto_sub/pub, for looking at a broker by hand
    victoria-metrics        # 1.79.5: InfluxDB v2 write API peer (sink_influx, sink_outage)
    influxdb influxdb-client  # 1.6.7: v1 /write and InfluxQL (sink_influx, sink_outage, dashboards_influxql)
    chromium            # headless: renders the endurance report to PNG/PDF (endurance_report)
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/tests/.venv"
PYTHON_BOOT="${PYTHON:-python3}"

declare -a STEP_NAMES=()
declare -a STEP_SECS=()
step_start=0
step() { # step NAME: start timing a named step
    step_end
    CURRENT_STEP="$1"
    step_start=$SECONDS
    echo "==> $1" >&2
}
step_end() {
    if [[ -n "${CURRENT_STEP:-}" ]]; then
        STEP_NAMES+=("$CURRENT_STEP")
        STEP_SECS+=($((SECONDS - step_start)))
        CURRENT_STEP=""
    fi
}
summary() {
    step_end
    echo "--- durations ---" >&2
    local i
    for i in "${!STEP_NAMES[@]}"; do
        printf '%6ss  %s\n' "${STEP_SECS[$i]}" "${STEP_NAMES[$i]}" >&2
    done
    printf '%6ss  total\n' "$SECONDS" >&2
}
trap summary EXIT

# ensure_apt PKG...: installs the Debian packages that are not installed yet.
ensure_apt() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "installing apt packages: ${missing[*]}" >&2
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

# ensure_venv: tests/.venv with exactly PIP_PINS; skips pip when the pins are unchanged.
ensure_venv() {
    local stamp="$VENV/.driftvakt-pins" want
    want="$(printf '%s\n' "${PIP_PINS[@]}")"
    if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        # Debian's own python3 needs python3-venv for ensurepip.
        "$PYTHON_BOOT" -c 'import ensurepip' 2>/dev/null || ensure_apt python3-venv
        "$PYTHON_BOOT" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PIP_PINS[@]}"
    printf '%s\n' "$want" >"$stamp"
}

step "peers: apt"
if ((${#APT_PACKAGES[@]})); then ensure_apt "${APT_PACKAGES[@]}"; fi

step "peers: python venv (${PIP_PINS[*]})"
ensure_venv
export DRIFTVAKT_TEST_PYTHON="$VENV/bin/python"

step "peers: pymodbus self-test"
"$DRIFTVAKT_TEST_PYTHON" "$ROOT/tests/peers/selftest.py"

cd "$ROOT"
if (($#)); then SELECTION=("$@"); else SELECTION=(--workspace --all-targets); fi

step "cargo build (tests)"
cargo test --no-run "${SELECTION[@]}"

step "cargo test"
status=0
cargo test --no-fail-fast "${SELECTION[@]}" || status=$?
exit "$status"
