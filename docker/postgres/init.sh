#!/bin/bash
# Runs once, when the postgres container initialises an empty data directory. Creates what
# `node dist/apps/cli/src/main.js setup` creates elsewhere: the group role the migrations grant to, the owner
# role (migrations), the least-privilege application role, and the database owned by the owner.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v db="$ECMO_DB_NAME" -v owner="$ECMO_OWNER_USER" -v owner_pw="$ECMO_OWNER_PASSWORD" \
  -v app="$ECMO_APP_USER" -v app_pw="$ECMO_APP_PASSWORD" <<'SQL'
CREATE ROLE registry_app NOLOGIN;
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE :"app" LOGIN PASSWORD :'app_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT registry_app TO :"app";
CREATE DATABASE :"db" OWNER :"owner";
\connect :"db"
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO registry_app;
GRANT USAGE ON SCHEMA public TO registry_app;
SQL
