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
