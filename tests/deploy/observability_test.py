#!/usr/bin/python3
"""Checks the shipped alert rules and Grafana dashboard against the daemon.

1. promtool: deploy/prometheus/alerts.yml passes `promtool check rules`
   and the cases of tests/deploy/alerts_test.yml.
2. The dashboard is valid JSON with a unique id and query per panel.
3. Every metric name an alert or a panel queries is one the daemon
   exports: the built daemon runs with the bundled classifiers on loopback,
   classifies one document, and its /metrics page is scraped.

Usage: observability_test.py SOURCE_DIR CLASSIFYD CLASSIFYCTL PLUGIN_LIB_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC, DAEMON, CTL, LIBDIR = sys.argv[1:5]
ALERTS = os.path.join(SRC, "deploy/prometheus/alerts.yml")
DASHBOARD = os.path.join(SRC, "deploy/grafana/classifyd-dashboard.json")
# Series Prometheus makes itself, not the daemon.
PROMETHEUS_OWN = {"up"}
METRIC = re.compile(r"\b((?:classifyd|grpc_server|process)_[a-z_]+)")


def queried_names():
    exprs = []
    with open(ALERTS, encoding="utf-8") as f:
        exprs += re.findall(r"expr:\s*(\|[\s\S]*?(?=\n\s*for:|\n\s*labels:)|.*)",
                            f.read())
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), f"panel ids repeat: {ids}"
    for p in dash["panels"]:
        assert p.get("targets"), f"panel {p['title']} has no query"
        exprs += [t["expr"] for t in p["targets"]]
    for v in dash["templating"]["list"]:
        exprs.append(v.get("query", "") if isinstance(v.get("query"), str) else "")
    names = set()
    for e in exprs:
        names |= set(METRIC.findall(e))
    assert len(names) > 10, names
    return names


def scrape():
    with tempfile.TemporaryDirectory() as work:
        port_file = os.path.join(work, "port")
        metrics_file = os.path.join(work, "metrics.port")
        os.mkdir(os.path.join(work, "run"), 0o700)
        daemon = subprocess.Popen(
            [DAEMON, "--listen", "127.0.0.1:0", "--port-file", port_file,
             "--metrics-listen", "127.0.0.1:0",
             "--metrics-port-file", metrics_file,
             "--plugin-dir", os.path.join(SRC, "models/plugins.d"),
             "--plugin-lib-dir", LIBDIR, "--watch", "false",
             "--runtime-dir", os.path.join(work, "run")],
            stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                if os.path.exists(port_file) and os.path.getsize(port_file):
                    break
                assert daemon.poll() is None, "the daemon exited"
                time.sleep(0.2)
            addr = "127.0.0.1:" + open(port_file).read().strip()
            subprocess.run([CTL, "--addr", addr, "classify",
                            "国家队在世界杯预选赛中战胜对手，足球迷彻夜庆祝。"],
                           check=True, stdout=subprocess.DEVNULL)
            port = open(metrics_file).read().strip()
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
                return r.read().decode()
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)


def main():
    rules = subprocess.run(["promtool", "check", "rules", ALERTS],
                           capture_output=True, text=True)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    cases = subprocess.run(["promtool", "test", "rules", "alerts_test.yml"],
                           cwd=os.path.join(SRC, "tests/deploy"),
                           capture_output=True, text=True)
    assert cases.returncode == 0, cases.stdout + cases.stderr
    print("promtool: rules and their test cases pass")

    names = queried_names()
    text = scrape()
    exported = set()
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if not m:
            continue
        exported.add(m.group(1))
        if m.group(2) == "histogram":
            exported |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
    missing = sorted(n for n in names - exported if n not in PROMETHEUS_OWN)
    assert not missing, f"queried but not exported: {missing}"
    print(f"{len(names)} metric names queried by alerts and dashboard, all exported")


if __name__ == "__main__":
    main()
