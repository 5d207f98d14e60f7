#!/usr/bin/env bash
# Checks that the servers the tests talk to answer: PostgreSQL at
# FILEDGE_POSTGRES_URL (with its database) and NATS with JetStream at
# FILEDGE_NATS_URL. Prints how to start a missing one and exits 1.
# Never prints a password: URLs are shown with it masked.
set -euo pipefail

pg_url=${FILEDGE_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
nats_url=${FILEDGE_NATS_URL:-nats://127.0.0.1:4222}

# mask URL: the URL with its password replaced by ***.
mask() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

# hostport URL DEFAULT_PORT: prints "host port" of a URL.
hostport() {
	local rest=${1#*://}
	rest=${rest%%/*}
	rest=${rest%%\?*}
	rest=${rest##*@}
	local host=${rest%:*} port=$2
	[[ $rest == *:* ]] && port=${rest##*:}
	[[ -n $host ]] || host=127.0.0.1
	echo "$host $port"
}

# nats_info HOST PORT: prints the INFO line a NATS server greets with.
nats_info() {
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && head -n 1 <&3' _ "$1" "$2" 2>/dev/null
}

failed=0

read -r pg_host pg_port < <(hostport "$pg_url" 5432)
pg_db=${pg_url#*://}
pg_db=${pg_db#*/}
pg_db=${pg_db%%\?*}
pg_up=0
if command -v pg_isready >/dev/null 2>&1; then
	pg_isready -q -t 5 -d "$pg_url" && pg_up=1
else
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$pg_host" "$pg_port" 2>/dev/null && pg_up=1
fi
if ((pg_up == 0)); then
	cat >&2 <<MSG
PostgreSQL is not answering at $pg_host:$pg_port (FILEDGE_POSTGRES_URL=$(mask "$pg_url")).
  Start the machine's server:  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start
  or point FILEDGE_POSTGRES_URL at a server (trust auth, database ${pg_db:-test}).
MSG
	failed=1
elif command -v psql >/dev/null 2>&1 && ! psql "$pg_url" -qtAc 'select 1' >/dev/null 2>&1; then
	echo "PostgreSQL answers at $pg_host:$pg_port, but $(mask "$pg_url") does not connect (missing database or role?)." >&2
	echo "  Create the database:  createdb -h $pg_host -p $pg_port -U postgres ${pg_db:-test}" >&2
	failed=1
else
	echo "PostgreSQL: $(mask "$pg_url") answers"
fi

read -r nats_host nats_port < <(hostport "$nats_url" 4222)
info=$(nats_info "$nats_host" "$nats_port" || true)
if [[ $info != INFO* ]]; then
	cat >&2 <<MSG
NATS is not answering at $nats_host:$nats_port (FILEDGE_NATS_URL=$(mask "$nats_url")).
  Start the machine's server:  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  or any NATS server with JetStream:  nats-server -js   (or: docker compose up -d nats)
MSG
	failed=1
elif [[ $info != *'"jetstream":true'* ]]; then
	echo "NATS answers at $nats_host:$nats_port but without JetStream: restart it with -js." >&2
	failed=1
else
	echo "NATS: $(mask "$nats_url") answers with JetStream"
fi

exit "$failed"
