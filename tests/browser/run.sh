#!/usr/bin/env bash
# Browser tests of the staff UI: builds the binary, starts it on a fresh data directory with
# demo brands, products and accounts, and drives Debian's headless Chromium through the
# daily flows with playwright-core. Screenshots land in docs/screenshots/.
#
# Needs: chromium (apt-get install -y chromium chromium-driver), node + npm.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "ERROR: Chromium not found at $CHROMIUM." >&2
  echo "Install Debian's packages first: apt-get install -y chromium chromium-driver" >&2
  echo "(or point CHROMIUM=/path/to/chromium at another build)." >&2
  exit 1
fi
for tool in node npm curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "ERROR: $tool is required for the browser tests (apt-get install -y nodejs npm curl)." >&2
    exit 1
  fi
done

echo "== build"
cargo build --locked --bin autonomo
BIN=$ROOT/target/debug/autonomo

echo "== node dependencies"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

DATA=$(mktemp -d)
PORT=${PORT:-$((20000 + RANDOM % 20000))}
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$DATA"
}
trap cleanup EXIT

echo "== demo data in $DATA"
A() { "$BIN" --data-dir "$DATA" "$@"; }
A tenant create gollos --name "Gollos Chicken's" --currency PEN --timezone America/Lima --country PE >/dev/null
A tenant create eco-eterno --name "Eco Eterno" --currency PEN --timezone America/Lima --country PE >/dev/null
PASSWORD="clave-de-prueba-123"
echo "$PASSWORD" | A user create --email encargada@gollos.pe --name "Lucía Ramos" --role manager --tenant gollos --tenant eco-eterno >/dev/null
echo "$PASSWORD" | A user create --email caja@gollos.pe --name "Diego Caja" --role staff --tenant gollos >/dev/null
TOKEN=$(A token create --tenant gollos --scope write --label browser-tests)
# WhatsApp for the inbox step: the tests sign webhooks with this secret; replies go to a
# Graph API address nothing listens on, so they stay queued (and nothing leaves the machine).
WA_PHONE_ID=118093456721984
WA_APP_SECRET=browser-test-app-secret
printf '%s' "$WA_APP_SECRET" >"$DATA/wa-secret"
printf '%s' "browser-test-token" >"$DATA/wa-token"
A whatsapp set --tenant gollos --phone-number-id "$WA_PHONE_ID" --verify-token verify-me \
  --app-secret-file "$DATA/wa-secret" --access-token-file "$DATA/wa-token" >/dev/null
export AUTONOMO_WHATSAPP_API_BASE=http://127.0.0.1:9

"$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null || { echo "server did not start:"; cat "$DATA/server.log"; exit 1; }

api() { curl -fsS -X POST "$BASE$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$2" >/dev/null; }
while IFS='|' read -r sku name cat price stock; do
  [ -z "$sku" ] && continue
  api /api/marcas/gollos/productos "{\"sku\":\"$sku\",\"nombre\":\"$name\",\"categoria\":\"$cat\",\"precio\":$price,\"stock\":$stock}"
done <<'PRODUCTS'
POL-14|1/4 Pollo a la brasa|Pollos|1490|null
POL-12|1/2 Pollo a la brasa|Pollos|2790|null
POL-1|Pollo entero a la brasa|Pollos|5200|null
ALI-6|Alitas broaster x6|Pollos|1890|40
PAP-1|Papas fritas|Acompañamientos|850|null
ENS-1|Ensalada fresca|Acompañamientos|600|null
INK-5|Inca Kola 500 ml|Bebidas|350|48
CHI-1|Chicha morada 1 L|Bebidas|900|20
COM-F|Combo familiar|Combos|6990|null
PRODUCTS
i=0
for who in "Carmen Flores|987111001|carmen@correo.pe" "Jorge Quispe|987111002|" "Ana Lucía Torres|987111003|ana.torres@correo.pe" "Pedro Huamán|987111004|"; do
  IFS='|' read -r name phone email <<<"$who"
  i=$((i+1))
  mail=""; [ -n "$email" ] && mail=",\"email\":\"$email\""
  api /api/pedidos "{\"marca\":\"gollos\",\"canal\":\"whatsapp\",\"confirmar\":true,\"cliente\":{\"nombre\":\"$name\",\"telefono\":\"$phone\"$mail,\"canal_adquisicion\":\"whatsapp\"},\"items\":[{\"sku\":\"POL-12\",\"cantidad\":$i},{\"sku\":\"INK-5\",\"cantidad\":2}],\"notas\":null}"
done

echo "== browser tests against $BASE"
BASE_URL=$BASE CHROMIUM=$CHROMIUM PASSWORD=$PASSWORD SCREENSHOTS=$ROOT/docs/screenshots \
  WA_PHONE_ID=$WA_PHONE_ID WA_APP_SECRET=$WA_APP_SECRET \
  node tests/browser/ui.test.mjs
