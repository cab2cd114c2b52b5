# Shared by scripts/start.sh and scripts/test.sh: make sure Node, the npm dependencies, PostgreSQL and Redis
# are there. Each service is found at its configured URL (else the default local port), else started, else
# installed from apt (as root on Debian or Ubuntu), else the script stops and points to `docker compose up`.
# shellcheck shell=bash

say() { printf '[ecmo] %s\n' "$*"; }
die() { printf '[ecmo] %s\n' "$*" >&2; exit 1; }

# Variables from .env count as configuration here too (the processes load the same file).
load_env_file() {
  if [[ -f .env ]]; then
    set -a
    # shellcheck disable=SC1091
    source .env
    set +a
  fi
}

ensure_node() {
  command -v node >/dev/null || die "Node.js 20.19 or later is needed (https://nodejs.org), or use: docker compose up"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
    die "Node.js $(node --version) is too old: 20.19 or later is needed, or use: docker compose up"
}

ensure_dependencies() {
  # The installed tree records the lockfile it came from; reinstall when the lockfile is newer.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing npm dependencies"
    npm install --no-audit --no-fund
  fi
}

# host port of a URL (postgres:// or redis://), with defaults
url_host() { node -e 'const u=new URL(process.argv[1]); console.log(u.hostname || "127.0.0.1")' "$1"; }
url_port() { node -e 'const u=new URL(process.argv[1]); console.log(u.port || process.argv[2])' "$1" "$2"; }

port_open() {
  node -e 'const s=require("net").connect({host:process.argv[1],port:+process.argv[2]});s.setTimeout(1500);s.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1));s.on("timeout",()=>process.exit(1))' "$1" "$2"
}

wait_for_port() {
  for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 0.5; done
  return 1
}

is_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 || "$1" == '[::1]' ]]; }
can_apt() { [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null && grep -qiE 'debian|ubuntu' /etc/os-release 2>/dev/null; }

start_local_postgres() {
  if command -v pg_lsclusters >/dev/null; then
    local version
    version=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1}')
    [[ -n "$version" ]] && pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null && return 0
  fi
  command -v service >/dev/null && service postgresql start >/dev/null 2>&1 && return 0
  return 1
}

ensure_postgres() {
  local url="${DATABASE_URL:-postgres://ecmo_app:ecmo_app@127.0.0.1:5432/ecmo_registry}"
  local host port
  host=$(url_host "$url"); port=$(url_port "$url" 5432)
  if port_open "$host" "$port"; then say "PostgreSQL found at $host:$port"; return 0; fi
  is_local "$host" || die "PostgreSQL at $host:$port does not answer. Start it, fix DATABASE_URL, or use: docker compose up"
  say "PostgreSQL not running on $host:$port: starting it"
  if ! start_local_postgres; then
    can_apt || die "PostgreSQL is not installed and cannot be installed here (needs root on Debian/Ubuntu). Install PostgreSQL 15+, or use: docker compose up"
    say "installing PostgreSQL from apt"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    start_local_postgres || die "PostgreSQL was installed but did not start; see /var/log/postgresql, or use: docker compose up"
    # A fresh Debian cluster authenticates TCP logins by password: make root a superuser reachable through
    # the local socket (peer authentication), which is what the setup command then uses.
    runuser -u postgres -- psql -qc "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='root') THEN CREATE ROLE root SUPERUSER LOGIN; END IF; END\$\$" postgres
    export DATABASE_ADMIN_URL="${DATABASE_ADMIN_URL:-postgres://root@localhost/postgres?host=/var/run/postgresql}"
  fi
  wait_for_port "$host" "$port" || die "PostgreSQL did not come up on $host:$port"
  say "PostgreSQL running on $host:$port"
}

ensure_redis() {
  local url="${REDIS_URL:-redis://127.0.0.1:6379}"
  local host port
  host=$(url_host "$url"); port=$(url_port "$url" 6379)
  if port_open "$host" "$port"; then say "Redis found at $host:$port"; return 0; fi
  is_local "$host" || die "Redis at $host:$port does not answer. Start it, fix REDIS_URL, or use: docker compose up"
  if ! command -v redis-server >/dev/null; then
    can_apt || die "Redis is not installed and cannot be installed here (needs root on Debian/Ubuntu). Install Redis 7, or use: docker compose up"
    say "installing Redis from apt"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  say "Redis not running on $host:$port: starting it"
  mkdir -p .run
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --maxmemory-policy noeviction \
    --appendonly yes --dir "$PWD/.run" --logfile "$PWD/.run/redis.log" --pidfile "$PWD/.run/redis.pid"
  wait_for_port "$host" "$port" || die "Redis did not come up on $host:$port; see .run/redis.log"
  say "Redis running on $host:$port"
}

# Everything both commands need before npm takes over.
# Debian's Chromium, for the browser tests (playwright-core drives it; Playwright's own browsers cannot be
# downloaded here). Installed from apt as root; otherwise says what to do.
ensure_chromium() {
  if [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then return; fi
  if can_apt; then
    say "installing Chromium from Debian's packages (for the browser tests)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    die "Chromium is needed for the browser tests: install Debian's chromium package (sudo apt-get install chromium), or set CHROMIUM_PATH to a Chromium binary"
  fi
}

prepare_machine() {
  load_env_file
  ensure_node
  ensure_dependencies
  ensure_postgres
  ensure_redis
}
