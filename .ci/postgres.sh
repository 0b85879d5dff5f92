#!/usr/bin/env bash
# A throw-away Postgres cluster for the test suite, on a free loopback port.
#   eval "$(.ci/postgres.sh start)"   # exports TEST_POSTGRES_URL and PG_TEST_DIR
#   .ci/postgres.sh stop
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
case "${1:-}" in
start)
  dir=$(mktemp -d /tmp/invio-pg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  as_pg=(runuser -u postgres --)
  [ "$(id -u)" -ne 0 ] && as_pg=()
  chown postgres "$dir" 2>/dev/null || true
  "${as_pg[@]}" "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres -E UTF8 >"$dir/initdb.log" 2>&1
  "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
  echo "export PG_TEST_DIR=$dir TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  dir=${PG_TEST_DIR:?PG_TEST_DIR is not set}
  as_pg=(runuser -u postgres --)
  [ "$(id -u)" -ne 0 ] && as_pg=()
  "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
