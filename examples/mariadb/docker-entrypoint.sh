#!/bin/sh
# The entrypoint of persistcheck/mariadb:10.11, after the official image's.
# On the first start, when the data directory holds no system tables, it is
# initialised: root and mysql log in over the local socket as the system
# users of those names; the database `test` is made, and $MARIADB_DATABASE
# too when it is set. Then the command runs; options alone are options of
# mariadbd (`docker run IMAGE --innodb-flush-log-at-trx-commit=1`).
set -eu

datadir=/var/lib/mysql

case "${1:-}" in -*) set -- mariadbd "$@" ;; esac

if [ "${1:-}" = mariadbd ] || [ "${1:-}" = mysqld ]; then
	# Started as root (docker run --user root): the data directory is
	# handed to mysql, which the server runs as.
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$datadir"
		chown mysql:mysql "$datadir"
		exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
	fi

	if [ ! -d "$datadir/mysql" ]; then
		if [ ! -w "$datadir" ]; then
			echo >&2 "error: $datadir is not writable by $(id -un) (uid $(id -u)): chown it to 999:999, or start the container as root"
			exit 1
		fi
		server="$1"
		shift
		# The command's options (InnoDB's page size, say) apply to the
		# initialisation too.
		mariadb-install-db --datadir="$datadir" --user=mysql \
			--auth-root-authentication-method=socket \
			--skip-test-db --skip-name-resolve "$@" >/dev/null
		{
			echo 'CREATE DATABASE IF NOT EXISTS `test`;'
			if [ -n "${MARIADB_DATABASE:-}" ]; then
				echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
			fi
		} | "$server" --bootstrap --datadir="$datadir" --log-warnings=0 "$@"
		set -- "$server" "$@"
		echo "MariaDB init process done; ready for start up."
	fi
fi

exec "$@"
