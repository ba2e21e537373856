#!/bin/sh
# The entrypoint of persistcheck/redis:7, after the official image's.
# Options alone, or a configuration file first, are redis-server's
# (`docker run IMAGE --appendonly yes`).
set -eu

case "${1:-}" in -*|*.conf) set -- redis-server "$@" ;; esac

if [ "${1:-}" = redis-server ]; then
	# Started as root (docker run --user root): /data is handed to redis,
	# which the server runs as.
	if [ "$(id -u)" = 0 ]; then
		chown redis:redis /data
		exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
	fi
	# Like the official image, whose build turns protected mode off, answer
	# clients from other hosts: the container's network is its own. A
	# configuration file, or the option given, still decides.
	case " $* " in
	*" --protected-mode "* | *.conf" "*) ;;
	*) set -- "$@" --protected-mode no ;;
	esac
fi

exec "$@"
