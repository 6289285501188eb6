#!/usr/bin/env bash
# Install or upgrade Autónomo on a Debian/Ubuntu mini PC (run as root):
#   sudo bash packaging/install.sh [path/to/autonomo]     # default: target/release/autonomo
# Creates the `autonomo` system user, installs the binary to /usr/bin, the systemd unit, an
# example configuration, and starts the service. On an upgrade it takes a local backup of every
# database first (migrations then run automatically when the new binary starts).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$HERE/../target/release/autonomo}
DATA=/var/lib/autonomo
[ "$(id -u)" = 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release)" >&2; exit 1; }

id autonomo >/dev/null 2>&1 || useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin autonomo
install -d -o autonomo -g autonomo -m 0750 "$DATA" "$DATA/backups"
install -d -o root -g autonomo -m 0750 /etc/autonomo

upgrade=no
if [ -x /usr/bin/autonomo ] && [ -f "$DATA/control.db" ]; then
    upgrade=yes
    echo "· upgrade: local backup of every database before the new version migrates them"
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    runuser -u autonomo -- /usr/bin/autonomo --data-dir "$DATA" backup local --to "$DATA/backups/pre-upgrade-$stamp"
    systemctl stop autonomo 2>/dev/null || true
fi

install -o root -g root -m 0755 "$BIN" /usr/bin/autonomo
install -o root -g root -m 0644 "$HERE/autonomo.service" /lib/systemd/system/autonomo.service
[ -f "$DATA/autonomo.toml" ] || install -o autonomo -g autonomo -m 0640 "$HERE/autonomo.toml" "$DATA/autonomo.toml"
[ -f /etc/autonomo/autonomo.env ] || install -o root -g autonomo -m 0640 /dev/null /etc/autonomo/autonomo.env
install -d /usr/share/doc/autonomo
for doc in operations.md operations-backup.md benchmarks.md; do
    [ -f "$HERE/../docs/$doc" ] && install -m 0644 "$HERE/../docs/$doc" /usr/share/doc/autonomo/
done

systemctl daemon-reload
systemctl enable autonomo >/dev/null
systemctl restart autonomo
for _ in $(seq 1 50); do
    if runuser -u autonomo -- /usr/bin/autonomo --data-dir "$DATA" status >/dev/null 2>&1; then break; fi
    sleep 0.2
done
runuser -u autonomo -- /usr/bin/autonomo --data-dir "$DATA" status || true
if [ "$upgrade" = no ]; then
    cat <<MSG

Autónomo instalado / installed. Next steps:
  sudo -u autonomo autonomo --data-dir $DATA tenant create gollos --name "Gollos Chicken's"
  sudo -u autonomo autonomo --data-dir $DATA user create ...     # staff accounts
  journalctl -u autonomo -f                                       # logs
MSG
fi
