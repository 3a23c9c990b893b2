#!/usr/bin/python3
"""Checks docker-compose.yml without a Docker engine (none runs on our CI):
it must parse as YAML and declare what the deployment relies on."""
import re
import sys

import yaml

path = sys.argv[1] if len(sys.argv) > 1 else "docker-compose.yml"
problems = []
with open(path, encoding="utf-8") as f:
    doc = yaml.safe_load(f)
svc = (doc or {}).get("services", {}).get("motcua")
if not svc:
    problems.append("services.motcua: missing")
else:
    if "build" not in svc and "image" not in svc:
        problems.append("services.motcua: needs build or image")
    hc = svc.get("healthcheck", {}).get("test", [])
    if not any("/healthz" in str(x) for x in hc):
        problems.append("services.motcua.healthcheck: must probe /healthz")
    vols = svc.get("volumes", [])
    if not any(str(v).endswith(":/var/lib/motcua") for v in vols):
        problems.append("services.motcua.volumes: state volume /var/lib/motcua missing")
    named = [str(v).split(":")[0] for v in vols]
    for n in named:
        if not n.startswith((".", "/")) and n not in (doc.get("volumes") or {}):
            problems.append(f"volumes.{n}: used but not declared")
    env = svc.get("environment", {})
    for k in env:
        if not k.startswith("MOTCUA_"):
            problems.append(f"services.motcua.environment.{k}: not a motcua setting")
    # every secret a channel needs (gateway/cfg.c, the one list of settings) can be set:
    # without MOTCUA_ZALO_REFRESH_TOKEN and _APP_SECRET the Zalo token was never refreshed
    with open("gateway/cfg.c", encoding="utf-8") as f:
        cfg_src = f.read()
    channel_secrets = re.findall(
        r'\{"((?:messenger|zalo)\.[a-z_]+)",\s*CFG_STR,\s*S\(\w+\),\s*0,\s*0,\s*'
        r'(?:"[^"]*"|\w+),\s*true,', cfg_src)
    if not channel_secrets:
        problems.append("gateway/cfg.c: no channel secrets found (has the table changed?)")
    for key in channel_secrets:
        var = "MOTCUA_" + key.upper().replace(".", "_")
        if var not in env:
            problems.append(f"services.motcua.environment.{var}: missing ({key})")
# profile `cluster` (issue 18, docs/scaling.md): nginx in front of two or more nodes that share
# their state in PostgreSQL; every node gets what the single one gets
services = (doc or {}).get("services", {})
cluster = {n: v for n, v in services.items() if "cluster" in (v or {}).get("profiles", [])}
nodes = {n: v for n, v in cluster.items() if "MOTCUA_DATA_STATE_URL" in (v.get("environment") or {})}
if len(nodes) < 2:
    problems.append("profile cluster: needs at least two motcua nodes with MOTCUA_DATA_STATE_URL")
for n, v in nodes.items():
    env = v.get("environment") or {}
    if not str(env["MOTCUA_DATA_STATE_URL"]).startswith("postgresql://"):
        problems.append(f"services.{n}: MOTCUA_DATA_STATE_URL is not a postgresql:// URL")
    if not env.get("MOTCUA_LISTEN_TRUSTED_PROXIES"):
        problems.append(f"services.{n}: MOTCUA_LISTEN_TRUSTED_PROXIES missing (every citizen would be nginx)")
    if not any("/readyz" in str(x) for x in v.get("healthcheck", {}).get("test", [])):
        problems.append(f"services.{n}.healthcheck: must probe /readyz (not ready without its database)")
    single = (services.get("motcua") or {}).get("environment", {})
    for k in single:
        if k not in env:
            problems.append(f"services.{n}.environment.{k}: the single node has it")
pg = cluster.get("postgres")
if not pg:
    problems.append("profile cluster: services.postgres missing")
else:
    if not any(str(v).endswith(":/var/lib/postgresql/data") for v in pg.get("volumes", [])):
        problems.append("services.postgres.volumes: the data directory is not on a volume")
    if not pg.get("healthcheck"):
        problems.append("services.postgres.healthcheck: missing (nodes wait for it)")
ngx = cluster.get("nginx")
if not ngx:
    problems.append("profile cluster: services.nginx missing")
elif not any("packaging/nginx/cluster.conf" in str(v) for v in ngx.get("volumes", [])):
    problems.append("services.nginx.volumes: packaging/nginx/cluster.conf is not mounted")
else:
    with open("packaging/nginx/cluster.conf", encoding="utf-8") as f:
        conf = f.read()
    for n in nodes:
        if f"server {n}:8080" not in conf:
            problems.append(f"packaging/nginx/cluster.conf: node {n} is not in the upstream")
    for need in ("proxy_set_header Upgrade $http_upgrade", "X-Forwarded-For"):
        if need not in conf:
            problems.append(f"packaging/nginx/cluster.conf: missing {need!r}")
with open("Dockerfile", encoding="utf-8") as f:
    df = f.read()
for need in ("FROM debian:bookworm", "USER motcua", "HEALTHCHECK", "AS build", "VOLUME"):
    if need not in df:
        problems.append(f"Dockerfile: missing {need!r}")
# the runtime stage (after the last FROM) has the sqlite3 shell for the documented backup
runtime = df[df.rfind("\nFROM "):]
if not re.search(r"(?<![\w-])sqlite3(?![\w-])", runtime):
    problems.append("Dockerfile: the runtime stage lacks sqlite3 (the state database's backup)")
for p in problems:
    print(f"{path}: {p}")
sys.exit(1 if problems else 0)
