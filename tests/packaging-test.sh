#!/usr/bin/env bash
# What a Debian server gets (packaging/, docs/operations.md "Installing on Debian"):
#   1. `make install DESTDIR=…` lays out the FHS tree; the shipped /etc/motcua/motcua.json names
#      files that are really installed, and another PREFIX is written into the config and unit;
#   2. the systemd unit passes `systemd-analyze verify`, keeps its hardening (`systemd-analyze
#      security --offline`, at most 2.0 exposure) and starts what the config names;
#   3. the nginx sample proxies to the configured port with TLS and the WebSocket upgrade;
#   4. the installed binary, run from the install tree with the shipped config (paths prefixed
#      by the tree, a free port, a temporary state directory) as an unprivileged user, is ready
#      and serves the pages and a guide;
#   5. `make deb` builds the package with dpkg-buildpackage; it installs into an empty root with
#      `dpkg --root` (its maintainer scripts run chrootless: the motcua user is created, the unit
#      enabled), its dependencies are installed here, it starts from that root as in 4, and it
#      purges cleanly.
# systemd is not PID 1 in the test container, so the unit itself is not started (no sandbox is
# exercised); 4 and 5 run what its ExecStart runs.
# Ends with "packaging: N passed, N failed"; exits non-zero when N failed is not 0.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
P=0 F=0
ok() { echo "ok   $1"; P=$((P + 1)); }
bad() { echo "FAIL $1"; F=$((F + 1)); }
check() { # check NAME COMMAND...: ok when the command succeeds
  local name=$1; shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/motcua-pkg.XXXXXX) || exit 1
chmod 0755 "$tmp" # the unprivileged server must reach its files
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# json_get FILE KEY.SUB: a value of a JSON file
json_get() { "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }
# unit_get FILE KEY: the values of KEY= in a unit file, one a line
unit_get() { sed -n "s/^$2=//p" "$1"; }

# serve ROOT STATE NAME: runs ROOT/usr/bin/motcua with ROOT/etc/motcua/motcua.json, its /usr and
# /var/lib/motcua paths moved under ROOT and STATE and its port made 0, then checks the server.
serve() {
  local root=$1 state=$2 name=$3 cfg=$tmp/$3.json log=$tmp/$3.log port="" i run=()
  mkdir -p "$state"
  sed -e "s|\"/usr/|\"$root/usr/|g" -e "s|\"/var/lib/motcua/|\"$state/|g" \
      -e 's|"port": *[0-9]*|"port": 0|' "$root/etc/motcua/motcua.json" >"$cfg"
  if grep -q '"port": 0' "$cfg"; then ok "$name: shipped config adjusted to the tree"; else
    bad "$name: shipped config has no \"port\" to adjust"; return; fi
  # As root, run as nobody: the installed tree is then read-only to the server, as under
  # ProtectSystem=strict, and only the state directory is writable.
  if [ "$(id -u)" = 0 ]; then
    chown -R 65534:65534 "$state"
    run=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  fi
  (cd / && exec "${run[@]}" "$root/usr/bin/motcua" serve --config "$cfg") 2>"$log" &
  SERVER_PID=$!
  for i in $(seq 1 100); do
    port=$(sed -n 's/.*event=master\.ready.* port=\([0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then bad "$name: server not ready"; tail -20 "$log"; SERVER_PID=""; return; fi
  ok "$name: server started from the tree (port $port)"
  # GET each path: status 200, its content type, and a piece of its body
  "$PY" - "$port" "$name" <<'EOF' && ok "$name: /readyz, pages and a guide served" || bad "$name: HTTP checks"
import sys, urllib.request
port, name = sys.argv[1], sys.argv[2]
checks = [("/readyz", "application/json", '"status"'), ("/", "text/html", "widget.js"),
          ("/widget.js", "javascript", "widget-net.js"), ("/widget-net.js", "javascript", "WebSocket"),
          ("/widget-render.js", "javascript", "renderReply"), ("/widget-conv.js", "javascript", "Conversation"),
          ("/kiosk", "text/html", "kiosk"),
          ("/thu-tuc/khai-sinh", "text/html", "khai sinh"),
          ("/api/v1/procedures", "application/json", '"khai-sinh"')]
bad = 0
for path, ctype, piece in checks:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=10) as r:
            body = r.read().decode("utf-8")
            status, got = r.status, r.headers.get("Content-Type", "")
    except Exception as e:
        print("  %s %s: %s" % (name, path, e)); bad += 1; continue
    if status != 200 or ctype not in got or piece.lower() not in body.lower():
        print("  %s %s: status %d, %s, %r not in the body" % (name, path, status, got, piece)); bad += 1
sys.exit(1 if bad else 0)
EOF
  if grep -q 'level=error' "$log"; then bad "$name: errors logged"; grep 'level=error' "$log" | head -5; fi
  kill "$SERVER_PID"; wait "$SERVER_PID"; local rc=$?; SERVER_PID=""
  check "$name: stops with exit 0 on SIGTERM (exit $rc)" [ "$rc" -eq 0 ]
  check "$name: state only in the state directory" test -s "$state/state.db"
}

# 1. make install
inst=$tmp/inst
if make --no-print-directory -s BUILD="$BUILD" install DESTDIR="$inst" PREFIX=/usr >"$tmp/install.log" 2>&1; then
  ok "make install DESTDIR PREFIX=/usr"
else
  bad "make install DESTDIR PREFIX=/usr"; tail -20 "$tmp/install.log"
fi
missing=""
for f in usr/bin/motcua usr/share/motcua/motcua.db usr/share/motcua/web/index.html \
         usr/share/motcua/web/widget.js usr/share/motcua/web/widget-net.js \
         usr/share/motcua/web/widget-render.js usr/share/motcua/web/widget-conv.js \
         usr/share/motcua/web/kiosk.html etc/motcua/motcua.json \
         etc/motcua/motcua.env lib/systemd/system/motcua.service usr/lib/sysusers.d/motcua.conf \
         usr/share/doc/motcua/examples/nginx-motcua.conf usr/share/doc/motcua/operations.md; do
  [ -f "$inst/$f" ] || missing="$missing $f"
done
check "FHS layout (missing:${missing:- none})" [ -z "$missing" ]
check "binary executable" test -x "$inst/usr/bin/motcua"
check "secrets file is 0600" [ "$(stat -c %a "$inst/etc/motcua/motcua.env" 2>/dev/null)" = 600 ]
cfg=$inst/etc/motcua/motcua.json
for k in data.knowledge_db data.web_root; do
  v=$(json_get "$cfg" "$k" 2>/dev/null)
  case "$v" in /usr/share/motcua/*) check "config $k=$v is installed" test -e "$inst$v" ;;
    *) bad "config $k=\"$v\" is not under /usr/share/motcua" ;; esac
done
v=$(json_get "$cfg" data.state_db 2>/dev/null)
case "$v" in /var/lib/motcua/*) ok "config data.state_db=$v (StateDirectory=motcua)" ;;
  *) bad "config data.state_db=\"$v\" is not in /var/lib/motcua" ;; esac

# another PREFIX is written into the config and the unit; an edited config is kept
loc=$tmp/local
make --no-print-directory -s BUILD="$BUILD" install DESTDIR="$loc" PREFIX=/usr/local >"$tmp/install2.log" 2>&1 \
  || { bad "make install PREFIX=/usr/local"; tail -20 "$tmp/install2.log"; }
check "PREFIX=/usr/local: config names /usr/local/share/motcua/web" \
  [ "$(json_get "$loc/etc/motcua/motcua.json" data.web_root 2>/dev/null)" = /usr/local/share/motcua/web ]
check "PREFIX=/usr/local: unit runs /usr/local/bin/motcua from /etc/systemd/system" \
  grep -q '^ExecStart=/usr/local/bin/motcua serve' "$loc/etc/systemd/system/motcua.service"
echo '{"listen":{"port":9999}}' >"$loc/etc/motcua/motcua.json"
make --no-print-directory -s BUILD="$BUILD" install DESTDIR="$loc" PREFIX=/usr/local >"$tmp/install3.log" 2>&1
check "reinstall keeps an edited config (new one as .dist)" \
  test "$(json_get "$loc/etc/motcua/motcua.json" listen.port 2>/dev/null)" = 9999 -a -f "$loc/etc/motcua/motcua.json.dist"

# 2. the systemd unit
unit=$inst/lib/systemd/system/motcua.service
if ! command -v systemd-analyze >/dev/null; then
  bad "systemd-analyze not installed (make deb-deps)"
else
  # verify checks that ExecStart's binary exists: point it at the tree's (the one change)
  mkdir -p "$tmp/verify"
  sed "s|^ExecStart=/usr/bin/motcua|ExecStart=$inst/usr/bin/motcua|" "$unit" >"$tmp/verify/motcua.service"
  if systemd-analyze verify "$tmp/verify/motcua.service" >"$tmp/verify.log" 2>&1 && [ ! -s "$tmp/verify.log" ]; then
    ok "systemd-analyze verify motcua.service"
  else
    bad "systemd-analyze verify motcua.service"; cat "$tmp/verify.log"
  fi
  exposure=$(systemd-analyze security --offline=yes "$tmp/verify/motcua.service" 2>/dev/null |
             sed -n 's/.*Overall exposure level for motcua.service: \([0-9.]*\).*/\1/p')
  if systemd-analyze security --offline=yes --threshold=20 "$tmp/verify/motcua.service" >/dev/null 2>&1; then
    ok "systemd-analyze security: exposure ${exposure:-?} <= 2.0"
  else
    bad "systemd-analyze security: exposure ${exposure:-?} > 2.0"
  fi
fi
for kv in User=motcua ProtectSystem=strict StateDirectory=motcua NoNewPrivileges=yes \
          ProtectHome=yes PrivateTmp=yes CapabilityBoundingSet= WantedBy=multi-user.target; do
  check "unit sets $kv" grep -qx "$kv" "$unit"
done
exec_start=$(unit_get "$unit" ExecStart)
check "unit runs the installed binary with the shipped config ($exec_start)" \
  [ "$exec_start" = "/usr/bin/motcua serve --config /etc/motcua/motcua.json" ]
check "sysusers.d creates the unit's user" grep -qE '^u motcua - .* /var/lib/motcua$' "$inst/usr/lib/sysusers.d/motcua.conf"

# 3. the nginx sample (nginx itself is not installed here: its lines are checked)
ngx=$tmp/nginx.conf # the sample without its comments
sed 's/#.*//' "$inst/usr/share/doc/motcua/examples/nginx-motcua.conf" >"$ngx"
port=$(json_get "$cfg" listen.port 2>/dev/null)
host=$(json_get "$cfg" listen.host 2>/dev/null)
for pat in "server $host:$port;" 'listen 443 ssl' 'ssl_certificate ' 'ssl_certificate_key ' \
           'proxy_set_header Upgrade $http_upgrade;' 'proxy_set_header Connection $motcua_connection;' \
           'proxy_http_version 1.1;' 'proxy_set_header X-Forwarded-Proto $scheme;' \
           'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;' 'location ~ ^/(ws|officer/ws)$' \
           'return 301 https://'; do
  check "nginx sample: $pat" grep -qF -- "$pat" "$ngx"
done
proxies=$(json_get "$cfg" listen.trusted_proxies 2>/dev/null)
check "config trusts the proxy's address ($proxies)" grep -q "$host" <<<"$proxies"

# 4. the installed binary, from the tree
serve "$inst" "$tmp/state-inst" "install tree"

# 5. the Debian package
if ! make --no-print-directory BUILD="$BUILD" deb-deps >"$tmp/deb.log" 2>&1; then
  bad "deb-deps"; tail -5 "$tmp/deb.log"
fi
start=$(date +%s)
if make --no-print-directory BUILD="$BUILD" deb >>"$tmp/deb.log" 2>&1; then
  ok "make deb (dpkg-buildpackage, $(($(date +%s) - start)) s)"
else
  bad "make deb"; tail -30 "$tmp/deb.log"
fi
deb=$(ls "$BUILD"/deb/motcua_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then
  bad "no $BUILD/deb/motcua_*.deb"
else
  check "package ships the unit, config and binary" \
    bash -c 'c=$(dpkg-deb -c "$1"); for f in ./lib/systemd/system/motcua.service ./etc/motcua/motcua.json ./usr/bin/motcua ./usr/share/motcua/motcua.db; do grep -q " $f\$" <<<"$c" || { echo "  missing $f"; exit 1; }; done' _ "$deb"
  # dpkg-buildflags' hardening (debian/rules) reached the compiler and the linker
  dpkg-deb -x "$deb" "$tmp/x" 2>/dev/null
  check "packaged binary is hardened (BIND_NOW, fortified)" \
    bash -c 'readelf -d "$1" | grep -q "BIND_NOW" && readelf -s --wide "$1" | grep -q "__[a-z]*printf_chk@"' _ "$tmp/x/usr/bin/motcua"
  check "config and secrets are conffiles" \
    bash -c 'c=$(dpkg-deb -I "$1" conffiles); grep -qx /etc/motcua/motcua.json <<<"$c" && grep -qx /etc/motcua/motcua.env <<<"$c"' _ "$deb"
  # every dependency is installed on this Debian (one alternative of each, at its version)
  deps=$(dpkg-deb -f "$deb" Depends)
  unmet=$("$PY" - "$deps" <<'EOF'
import subprocess, sys, re
unmet = []
for group in sys.argv[1].split(","):
    alts = [a.strip() for a in group.split("|")]
    def ok(a):
        m = re.match(r"([^ (]+)(?: \((\S+) ([^)]+)\))?", a)
        name, op, ver = m.group(1), m.group(2), m.group(3)
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Version}", name], capture_output=True, text=True)
        if r.returncode or not r.stdout.startswith("install ok installed"): return False
        if not op: return True
        have = r.stdout.split()[-1]
        return subprocess.run(["dpkg", "--compare-versions", have, {">=": "ge", "<=": "le", "=": "eq", ">>": "gt", "<<": "lt"}[op], ver]).returncode == 0
    if not any(ok(a) for a in alts): unmet.append(group.strip())
print("; ".join(unmet))
EOF
)
  check "package dependencies met on this system (${deps:0:60}…; unmet: ${unmet:-none})" [ -z "$unmet" ]
  root=$tmp/root
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
  : >"$root/var/lib/dpkg/status"; : >"$root/var/lib/dpkg/available"
  # --force-depends: the empty root's dpkg database knows no libraries (checked above instead)
  if dpkg --root="$root" --force-script-chrootless --force-depends --force-not-root \
       -i "$deb" >"$tmp/dpkg.log" 2>&1 &&
     dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' motcua | grep -q 'install ok installed'; then
    ok "dpkg --root -i: installed and configured"
  else
    bad "dpkg --root -i"; grep -v 'Package .* is not installed\|depends on\|dependency problems' "$tmp/dpkg.log" | tail -20
  fi
  check "postinst created the motcua user" grep -q '^motcua:x:[0-9]*:[0-9]*:.*:/var/lib/motcua:' "$root/etc/passwd"
  check "postinst enabled motcua.service" test -L "$root/etc/systemd/system/multi-user.target.wants/motcua.service"
  serve "$root" "$root/var/lib/motcua" "package"
  if dpkg --root="$root" --force-script-chrootless --force-depends --force-not-root \
       --purge motcua >"$tmp/purge.log" 2>&1; then
    left=$(cd "$root" && find usr lib etc/motcua etc/systemd -type f 2>/dev/null | head -5)
    check "dpkg --purge removes the files and the unit's link (left: ${left:-none})" \
      test -z "$left" -a ! -e "$root/etc/systemd/system/multi-user.target.wants/motcua.service"
  else
    bad "dpkg --purge"; tail -10 "$tmp/purge.log"
  fi
fi

echo "packaging: $P passed, $F failed"
[ "$F" -eq 0 ]
