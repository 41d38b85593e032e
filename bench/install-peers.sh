#!/usr/bin/env bash
# install-peers.sh: installs the tools the benchmarks compare heft against,
# when they are missing: liblinear (liblinear-train, liblinear-predict),
# scikit-learn with numpy for /usr/bin/python3, and GNU time (/usr/bin/time
# -v for peak memory). Debian/Ubuntu only (apt-get); needs root or sudo.
# Exit status: 0 when every peer is present afterwards, 1 otherwise.
set -u
PY=${HEFT_BENCH_PYTHON:-/usr/bin/python3}

need=()
command -v liblinear-train >/dev/null 2>&1 &&
  command -v liblinear-predict >/dev/null 2>&1 || need+=(liblinear-tools)
"$PY" -c 'import numpy, sklearn' >/dev/null 2>&1 || need+=(python3-sklearn)
[ -x /usr/bin/time ] || need+=(time)

if [ ${#need[@]} -gt 0 ]; then
  echo "install-peers: installing ${need[*]}"
  sudo=
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-peers: no apt-get; install ${need[*]} by hand" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y "${need[@]}" >/dev/null ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y "${need[@]}" >/dev/null; }
fi

ok=1
command -v liblinear-train >/dev/null 2>&1 || { echo "install-peers: liblinear-train missing" >&2; ok=0; }
"$PY" -c 'import numpy, sklearn' >/dev/null 2>&1 || { echo "install-peers: scikit-learn missing for $PY" >&2; ok=0; }
[ -x /usr/bin/time ] || { echo "install-peers: /usr/bin/time missing" >&2; ok=0; }
[ $ok -eq 1 ]
