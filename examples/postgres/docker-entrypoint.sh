#!/bin/sh
# The entrypoint of persistcheck/postgres:15, after the official image's.
# On the first start, when $PGDATA holds no cluster, initdb makes one:
#   POSTGRES_PASSWORD            the password of postgres (none by default)
#   POSTGRES_HOST_AUTH_METHOD    how clients over the network authenticate:
#                                scram-sha-256 when there is a password,
#                                trust otherwise
#   POSTGRES_DB                  a database made besides postgres
#   POSTGRES_INITDB_ARGS         more arguments of initdb
# Clients on the local socket are trusted. Then the command runs; options
# alone are options of postgres (`docker run IMAGE -c fsync=off`).
set -eu

case "${1:-}" in -*) set -- postgres "$@" ;; esac

if [ "${1:-}" = postgres ]; then
	# Started as root (docker run --user root): the data directory is
	# handed to postgres, which the server runs as.
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$PGDATA"
		chown postgres:postgres "$PGDATA"
		chmod 0700 "$PGDATA"
		exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
	fi

	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		# As the official image does: a data directory below a mount that
		# the server's user may write to is made on the first start.
		mkdir -p "$PGDATA" 2>/dev/null || :
		chmod 0700 "$PGDATA" 2>/dev/null || :
		if [ ! -w "$PGDATA" ]; then
			echo >&2 "error: $PGDATA is not writable by $(id -un) (uid $(id -u)): chown it to 999:999, or start the container as root"
			exit 1
		fi
		auth="${POSTGRES_HOST_AUTH_METHOD:-}"
		if [ -z "$auth" ]; then
			if [ -n "${POSTGRES_PASSWORD:-}" ]; then auth=scram-sha-256; else auth=trust; fi
		fi
		if [ "$auth" = trust ]; then
			echo >&2 "warning: clients over the network connect without a password (POSTGRES_HOST_AUTH_METHOD=trust)"
		fi
		pwfile=
		if [ -n "${POSTGRES_PASSWORD:-}" ]; then
			pwfile="$(mktemp)"
			printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		fi
		# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is split on purpose
		initdb --username=postgres --auth-local=trust --auth-host="$auth" \
			${pwfile:+--pwfile="$pwfile"} ${POSTGRES_INITDB_ARGS:-}
		[ -z "$pwfile" ] || rm -f "$pwfile"
		printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
		if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
			echo "CREATE DATABASE \"$POSTGRES_DB\"" | postgres --single -D "$PGDATA" postgres >/dev/null
		fi
		echo "PostgreSQL init process complete; ready for start up."
	fi
fi

exec "$@"
