# tests/mysql.sh: private MariaDB servers for the MySQL store scenarios (sourced after tests/lib.sh).
# Each server is Debian's mariadbd on a unix socket (and optionally a
# loopback TCP port) with its data directory in $T, started as the current
# user; bg registers it, so lib.sh's cleanup stops it at exit.
#
#   mysql_start NAME [PORT]   start server NAME; database "roaming", user "roaming"
#                             (again after mysql_stop: the same data)
#   mysql_stop NAME           stop it (and wait until it is gone)
#   mysql_sql NAME SQL        run SQL as root in "roaming"; rows tab-separated, no header
#   mysql_cnf FILE [LINE...]  a 0600 option file: [client] user and password,
#                             [roaming] database plus the given lines
#   mysql_built               0 if roaming was built with MySQL
#   mysql_require             skip without MySQL; fail if mariadb-server is missing

MYSQL_USER=roaming
MYSQL_PASS=pw$(od -An -tx1 -N9 /dev/urandom | tr -d ' \n')

mysql_built() {
	grep -q 'ROAMING_HAVE_MYSQL 1' "$TOP/config.h" 2>/dev/null
}

# mysql_require: skips the scenario in a build without MySQL; fails it if
# the build has MySQL but the machine has no server to test against.
mysql_require() {
	if ! mysql_built; then
		ok "# SKIP built without MySQL (./configure --without-mysql)"
		exit 0
	fi
	for _c in mariadbd mariadb-install-db mariadb; do
		command -v $_c >/dev/null || { not_ok "$_c is installed (tools/deps installs mariadb-server)"; exit 1; }
	done
}

mysql_sql() {
	mariadb --no-defaults -S "$T/$1.sock" -uroot -N -B roaming -e "$2"
}

mysql_start() {
	_n=$1 _port=${2:-}
	_me=$(id -un)
	# small logs and pool: a test server holds a few hundred rows; the
	# benchmark sets MYSQL_DURABLE=1 for a server as sites run it (a log
	# flush at every commit) with room for its 100,000 rows
	if [ -n "${MYSQL_DURABLE:-}" ]; then
		_opts="--innodb-log-file-size=64M --innodb-buffer-pool-size=256M --skip-name-resolve"
		_flush=1
	else
		_opts="--innodb-log-file-size=8M --innodb-buffer-pool-size=32M --skip-name-resolve"
		_flush=2
	fi
	_fresh=1
	[ -d "$T/$_n.data" ] && _fresh=0 # a restart keeps its data
	# shellcheck disable=SC2086
	if [ $_fresh = 1 ] && ! timeout 120 mariadb-install-db --no-defaults --datadir="$T/$_n.data" --user="$_me" \
		--auth-root-authentication-method=normal --skip-test-db $_opts \
		> "$T/$_n.install.log" 2>&1; then
		sed 's/^/# /' "$T/$_n.install.log" | tail -20
		return 1
	fi
	if [ -n "$_port" ]; then
		_net="--port=$_port --bind-address=127.0.0.1"
	else
		_net="--skip-networking"
	fi
	# shellcheck disable=SC2086
	bg mariadbd --no-defaults --datadir="$T/$_n.data" --socket="$T/$_n.sock" \
		--pid-file="$T/$_n.pid" --log-error="$T/$_n.err" --user="$_me" --tmpdir="$T" \
		--skip-log-bin --innodb-flush-log-at-trx-commit=$_flush --open-files-limit=1024 \
		$_opts $_net 2>>"$T/$_n.stderr"
	eval "MYSQL_PID_$_n=$LASTPID"
	if ! wait_for 60 mariadb --no-defaults -S "$T/$_n.sock" -uroot -e "SELECT 1"; then
		sed 's/^/# /' "$T/$_n.err" | tail -20
		return 1
	fi
	[ $_fresh = 1 ] || return 0
	mariadb --no-defaults -S "$T/$_n.sock" -uroot -e "
		CREATE DATABASE IF NOT EXISTS roaming;
		CREATE USER '$MYSQL_USER'@'localhost' IDENTIFIED BY '$MYSQL_PASS';
		CREATE USER '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASS';
		GRANT ALL ON roaming.* TO '$MYSQL_USER'@'localhost';
		GRANT ALL ON roaming.* TO '$MYSQL_USER'@'127.0.0.1';"
}

mysql_stop() {
	eval "_p=\${MYSQL_PID_$1:-}"
	[ -n "$_p" ] || return 0
	kill "$_p" 2>/dev/null
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 600 ]; do sleep 0.05; _i=$((_i + 1)); done
	kill -9 "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	eval "MYSQL_PID_$1="
	return 0
}

mysql_cnf() {
	_f=$1
	shift
	(
		umask 077
		{
			printf '[client]\nuser=%s\npassword=%s\n\n[roaming]\ndatabase=roaming\n' \
				"$MYSQL_USER" "$MYSQL_PASS"
			for _l; do printf '%s\n' "$_l"; done
		} > "$_f"
	)
	chmod 600 "$_f"
}
