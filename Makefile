# Aladdin Studio: `make run` and `make test` do all the set-up.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
SAMPLE := sample/Sample.aladdin
APT_PACKAGES := ffmpeg xvfb xdotool imagemagick redis-server espeak-ng sox libgomp1 fonts-dejavu-core libegl1 libgl1 libxkbcommon0 \
	libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 \
	libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 \
	libxcb-image0 libnss3 libasound2 libpulse0 iproute2

.PHONY: run test bench lint setup system-deps sample clean package package-check screenshot

setup: system-deps $(STAMPS)/venv

# apt packages: installed only when root and missing; skipped quickly otherwise.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: missing system packages (run as root to install): $$missing"; fi; \
	fi

$(STAMPS)/venv: pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@mkdir -p $(STAMPS) && touch $@

$(SAMPLE)/project.otio: | setup
	$(BIN)/aladdin-studio demo $(SAMPLE) --force

sample: setup $(SAMPLE)/project.otio

run: sample
	$(BIN)/aladdin-studio open $(SAMPLE)

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(STAMPS) build dist *.egg-info

# Stand-alone build (PyInstaller one-folder) in dist/aladdin-studio/; not part of `make test`.
package: setup
	$(BIN)/pip install -q -e '.[package]'
	@start=$$(date +%s); \
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist \
	  --workpath build/pyinstaller packaging/aladdin-studio.spec && \
	echo "Built dist/aladdin-studio in $$(( $$(date +%s) - start )) s," \
	  "$$(du -sh dist/aladdin-studio | cut -f1)"

package-check:
	bash packaging/package-check.sh dist/aladdin-studio

# docs/screenshot.png: the editor on the sample project under Xvfb (what a user sees).
screenshot: sample
	@display=:$$(( 90 + RANDOM % 9 )); \
	Xvfb $$display -screen 0 1600x900x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$$!; \
	sleep 1; \
	DISPLAY=$$display QT_QPA_PLATFORM=xcb XDG_CONFIG_HOME=$$(mktemp -d) \
	  ALADDIN_SCREENSHOT=$(CURDIR)/docs/screenshot.png ALADDIN_SMOKE_EXIT_MS=6000 \
	  $(BIN)/aladdin-studio open $(SAMPLE) >/dev/null; status=$$?; \
	kill $$xvfb; exit $$status
	@echo "wrote docs/screenshot.png"
