#!/usr/bin/env bash
# One door for people and CI (see README "Quick start"):
#   ./run.sh [ARGS]            set up, then open the log viewer (ARGS go to msc-logs)
#   ./run.sh test [PYTEST...]  set up, plus test-only system packages, then run every check
#   ./run.sh bundle [ARGS]     set up with the dev extras, build the PyInstaller bundle
#                              (ARGS go to pyinstaller), pack it as a .tar.gz beside it and
#                              print both sizes
# Idempotent: system packages and Python dependencies are installed only when missing/changed.
set -euo pipefail
cd "$(dirname "$0")"

mode=run
if [[ ${1:-} == test || ${1:-} == bundle ]]; then mode=$1; shift; fi

say() { printf '\033[1mrun.sh:\033[0m %s\n' "$*" >&2; }

# Debian/Ubuntu packages. Qt WebEngine needs the X/xcb runtime libraries even for one window.
runtime_pkgs=(libxcb-cursor0 libxkbcommon-x11-0 libnss3 libegl1 libgl1
  libfontconfig1 libdbus-1-3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxi6 libxkbfile1
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xkb1 fonts-dejavu-core)
test_pkgs=(xvfb xauth chromium imagemagick iproute2 desktop-file-utils)

missing_pkgs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
  done
}

# libasound2 was renamed libasound2t64 in newer releases: either one will do.
asound_missing() {
  [[ -z $(missing_pkgs libasound2) || -z $(missing_pkgs libasound2t64) ]] || echo libasound2
}
asound_name() {  # needs the apt lists, so only after apt-get update
  if apt-cache show libasound2t64 >/dev/null 2>&1; then echo libasound2t64; else echo libasound2; fi
}

ensure_system() {
  if ! command -v dpkg-query >/dev/null; then
    say "not Debian/Ubuntu: install the equivalents of the packages listed in run.sh yourself"
    return
  fi
  local want=("${runtime_pkgs[@]}") missing
  [[ $mode == test ]] && want+=("${test_pkgs[@]}")
  # PyInstaller reads binaries with objdump; build.spec trims and strips with readelf and strip.
  [[ $mode != run ]] && want+=(binutils)
  # Debian ships venv/ensurepip separately from python3.
  "${PYTHON:-python3}" -c 'import ensurepip, venv' 2>/dev/null || want+=(python3 python3-venv)
  missing=$(missing_pkgs "${want[@]}"; asound_missing)
  missing=$(echo $missing)
  [[ -z $missing ]] && return
  if [[ $(id -u) -ne 0 ]]; then
    say "missing system packages: $missing"
    say "install them, then run this again:"
    say "  sudo apt-get update && sudo apt-get install -y $missing"
    exit 1
  fi
  say "installing system packages: $missing"
  apt-get update -qq
  missing=${missing/libasound2/$(asound_name)}
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

ensure_venv() {
  local py=${PYTHON:-python3}
  "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { say "Python 3.11 or newer is needed ($py is $("$py" --version 2>&1))"; exit 1; }
  [[ -x .venv/bin/python ]] || { say "creating .venv"; "$py" -m venv .venv; }
  local stamp=.venv/.installed extras='.[dev]' want
  [[ $mode == run ]] && extras='.'
  want="$extras $(sha256sum pyproject.toml | cut -c1-16)"
  # A dev install also serves the viewer: only reinstall when pyproject.toml changed or extras grew.
  if ! grep -qxF -- "$want" "$stamp" 2>/dev/null && ! grep -qxF -- ".[dev] ${want#* }" "$stamp" 2>/dev/null; then
    say "installing Python dependencies ($extras)"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e "$extras"
    echo "$want" >"$stamp"
  fi
}

ensure_system
ensure_venv
# Chromium (Qt WebEngine and Playwright's) refuses to run as root without this.
[[ $(id -u) -eq 0 ]] && export QTWEBENGINE_CHROMIUM_FLAGS="${QTWEBENGINE_CHROMIUM_FLAGS:---no-sandbox}"

if [[ $mode == run ]]; then
  exec .venv/bin/msc-logs "$@"
fi

if [[ $mode == bundle ]]; then
  dist=dist
  args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    [[ ${args[i]} == --distpath ]] && dist=${args[i + 1]:-dist}
  done
  say "pyinstaller build.spec"
  .venv/bin/pyinstaller build.spec --noconfirm "$@"
  # The distributable: gzip, not xz. xz -6 packs the ~360 MiB folder into 108 MiB instead of
  # 148 MiB, but takes ~230 s of CPU where gzip takes ~18 s (README, "The desktop app").
  version=$(.venv/bin/python -c 'from importlib.metadata import version; print(version("msc-logging"))')
  archive=$dist/msc-logs-$version-linux-$(uname -m).tar.gz
  tar -C "$dist" --sort=name --owner=0 --group=0 --numeric-owner -c msc-logs | gzip -n >"$archive.part"
  mv "$archive.part" "$archive"
  say "archive: $archive ($(du -h "$archive" | cut -f1))"
  say "bundle: $dist/msc-logs/msc-logs ($(du -sh "$dist/msc-logs" | cut -f1) in $dist/msc-logs/)"
  exit 0
fi

say "ruff"
.venv/bin/ruff check shared backend tests bench
.venv/bin/ruff format --check shared backend tests bench
say "mypy --strict"
.venv/bin/mypy
say "pytest"
exec .venv/bin/pytest "$@"
