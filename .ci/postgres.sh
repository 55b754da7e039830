# Sourced by .ci/run: a throwaway PostgreSQL cluster for the relay tests (tests/relay*.rs).
#
# Installs Debian's `postgresql` when no server binaries are found (CI starts on a fresh
# machine), creates a cluster in a temp dir as the non-root `postgres` user (initdb refuses
# root), listens on 127.0.0.1 only on a free port, exports P100_TEST_DATABASE_URL and stops
# and removes the cluster when the calling shell exits. Authentication is `trust`: the cluster
# lives for one run, on loopback, with no data worth protecting.
# An already exported P100_TEST_DATABASE_URL is used as it is (a developer's own server).

p100_pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

p100_pg_start() {
    if [ -n "${P100_TEST_DATABASE_URL:-}" ]; then
        echo "+ using P100_TEST_DATABASE_URL from the environment"
        return 0
    fi
    local bin
    if ! bin=$(p100_pg_bin); then
        echo "+ installing PostgreSQL (apt-get install -y postgresql)"
        if [ "$(id -u)" -ne 0 ]; then
            echo "PostgreSQL is missing and this user cannot install it: apt-get install postgresql" >&2
            return 1
        fi
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
        bin=$(p100_pg_bin) || { echo "PostgreSQL installed but initdb not found" >&2; return 1; }
    fi
    P100_PG_DIR=$(mktemp -d /tmp/p100-pg.XXXXXX)
    local as_user=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$P100_PG_DIR"
        as_user=(runuser -u postgres --)
    fi
    # A port nobody listens on, from a range the kernel does not hand out to clients.
    local port="" candidate
    for candidate in $(seq $((20000 + RANDOM % 10000)) 1 $((30000 + RANDOM % 100))); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            port=$candidate
            break
        fi
    done
    [ -n "$port" ] || { echo "no free loopback port for PostgreSQL" >&2; return 1; }
    "${as_user[@]}" "$bin/initdb" -D "$P100_PG_DIR/data" -U postgres --auth=trust \
        --encoding=UTF8 --no-sync >"$P100_PG_DIR/initdb.log" 2>&1 \
        || { cat "$P100_PG_DIR/initdb.log" >&2; return 1; }
    # fsync off: a test cluster that dies is thrown away anyway, and 2 cores are shared.
    "${as_user[@]}" "$bin/pg_ctl" -D "$P100_PG_DIR/data" -l "$P100_PG_DIR/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $P100_PG_DIR -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start \
        >/dev/null || { cat "$P100_PG_DIR/server.log" >&2; return 1; }
    P100_PG_BIN=$bin
    P100_PG_AS_USER=("${as_user[@]}")
    export P100_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
    echo "+ PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port ($P100_PG_DIR)"
    trap p100_pg_stop EXIT
}

p100_pg_stop() {
    if [ -n "${P100_PG_DIR:-}" ] && [ -d "$P100_PG_DIR/data" ]; then
        "${P100_PG_AS_USER[@]}" "$P100_PG_BIN/pg_ctl" -D "$P100_PG_DIR/data" -m fast -w stop \
            >/dev/null 2>&1 || true
        rm -rf "$P100_PG_DIR"
    fi
}
