#!/usr/bin/env bash
# `make bench`: this package vs django-post_office 3.12.0, same workloads, same SMTP sink.
# QUICK=1 for a ~2 minute smoke run; BENCH_DBS="sqlite" (or "postgres") for one database;
# sizes: BENCH_ENQUEUE_N, BENCH_SEND_MANY_N, BENCH_TEMPLATED_N, BENCH_DISPATCH_N, BENCH_RAW_N,
# BENCH_QUERY_BATCHES ("100 500 2000"), BENCH_RSS_SMALL, BENCH_RSS_LARGE (see bench/compare.py).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$BENCH_DIR")"
OURS_PY="${BENCH_OURS_PYTHON:-$REPO/.venv/bin/python}"
UPSTREAM_VENV="$BENCH_DIR/upstream-venv"
PYTHON="${PYTHON:-python3.11}"

if [[ ! -x "$OURS_PY" ]]; then
    echo "bench: $OURS_PY not found; run 'make test' (or create .venv) first." >&2
    exit 1
fi

# django-post_office from the package index, in its own venv: never copied into this repository.
if ! "$UPSTREAM_VENV/bin/python" -c 'import importlib.metadata as m; assert m.version("django-post_office") == "3.12.0"' 2>/dev/null; then
    echo "bench: creating $UPSTREAM_VENV with django-post_office 3.12.0"
    rm -rf "$UPSTREAM_VENV"
    "$PYTHON" -m venv "$UPSTREAM_VENV"
    "$UPSTREAM_VENV/bin/pip" install --quiet --disable-pip-version-check \
        "django-post_office==3.12.0" "Django>=5.2,<5.3" "psycopg[binary]>=3.1" "aiosmtpd>=1.4"
fi

export BENCH_OURS_PYTHON="$OURS_PY" BENCH_UPSTREAM_PYTHON="$UPSTREAM_VENV/bin/python"
cd "$BENCH_DIR"
exec "$OURS_PY" "$BENCH_DIR/compare.py"
