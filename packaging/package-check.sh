#!/usr/bin/env bash
# Smoke-test the PyInstaller build in dist/aladdin-studio (run by `make package-check`):
#  1. the bundle finds its OTIO adapters, LUTs, Qt platform/multimedia plugins and codecs,
#     and the spawned export worker (frozen multiprocessing) renders a file ffprobe accepts;
#  2. the built app's `demo`, `render` and `export --format edl` commands work;
#  3. `aladdin-studio open` shows its window (under Xvfb, or offscreen without it).
# Everything runs in a temporary HOME/XDG tree with a null keyring: nothing of the user's.
set -euo pipefail

APP_DIR=${1:-dist/aladdin-studio}
APP="$(cd "$APP_DIR" && pwd)/aladdin-studio"
[[ -x "$APP" ]] || { echo "package-check: $APP not found: run 'make package' first" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/aladdin-package-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data"
export XDG_STATE_HOME="$WORK/state" XDG_CACHE_HOME="$WORK/cache"
export PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring
mkdir -p "$HOME"
PROJECT="$WORK/Sample.aladdin"

json_field() {  # json_field FILE EXPR: evaluate EXPR on the last JSON line of FILE as `d`
    python3 - "$1" "$2" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.startswith("{")]
if not lines:
    sys.exit(f"package-check: no JSON line in {sys.argv[1]}")
d = json.loads(lines[-1])
value = eval(sys.argv[2], {"d": d})
print(value)
sys.exit(0 if value else 1)
PY
}

step() { printf '\n== %s\n' "$*"; }
fail() { echo "package-check: FAILED: $*" >&2; exit 1; }

step "demo project (built by the packaged app)"
"$APP" demo "$PROJECT" --size 320x180 --fps 24 --clip-seconds 2 || fail "demo"

step "bundle self-check (adapters, LUTs, Qt plugins, spawned export)"
"$APP" --package-selfcheck "$PROJECT" "$WORK/spawned.mp4" | tee "$WORK/selfcheck.json"
json_field "$WORK/selfcheck.json" \
    '{"cmx_3600", "fcp_xml", "otio_json", "otioz"} <= set(d["otio_adapters"])' >/dev/null \
    || fail "OTIO adapters missing"
json_field "$WORK/selfcheck.json" 'len(d["luts"]) > 0' >/dev/null || fail "no LUTs found"
json_field "$WORK/selfcheck.json" \
    '{"libqxcb.so", "libqoffscreen.so"} <= set(d["qt_platforms"]) and d["qt_multimedia"]' \
    >/dev/null || fail "Qt platform/multimedia plugins missing"
json_field "$WORK/selfcheck.json" 'd["h264_encoder"] and d["spawned_export"]["frames"] == 12' \
    >/dev/null || fail "spawned export"
ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/spawned.mp4" \
    || fail "ffprobe rejected the spawned export"

step "render and EDL export from the command line"
"$APP" render "$PROJECT" -o "$WORK/render.mp4" --preset draft --range 0 1 >/dev/null \
    || fail "render"
ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/render.mp4" \
    || fail "ffprobe rejected the render"
"$APP" export "$PROJECT" --format edl -o "$WORK/scene.edl" || fail "EDL export"
grep -q "^TITLE:" "$WORK/scene.edl" || fail "EDL has no TITLE"

step "open the editor (ALADDIN_SMOKE_EXIT_MS=3000)"
if command -v xvfb-run >/dev/null; then
    runner=(env -u QT_QPA_PLATFORM xvfb-run -a -s "-screen 0 1600x1000x24")
    echo "display: Xvfb"
else
    runner=(env QT_QPA_PLATFORM=offscreen)
    echo "display: offscreen (Xvfb not installed)"
fi
ALADDIN_SMOKE_EXIT_MS=3000 timeout 120 "${runner[@]}" "$APP" open "$PROJECT" \
    >"$WORK/open.out" 2>"$WORK/open.err" || { cat "$WORK/open.err" >&2; fail "open"; }
cat "$WORK/open.out"
json_field "$WORK/open.out" 'd["visible"] is True' >/dev/null \
    || { cat "$WORK/open.err" >&2; fail "the window was not visible"; }

printf '\npackage-check: OK (%s)\n' "$(du -sh "$(dirname "$APP")" | cut -f1)"
