#!/usr/bin/python3
"""Checks deploy/k8s/ without a cluster.

No Kubernetes API server (nor kubeconform) is available on the build
machines, so this validates the manifests against a subset of the
Kubernetes API schemas embedded below, written from the API reference for
exactly the fields these manifests use. Unknown fields are errors, as they
would be for `kubectl apply --validate=strict`, so a misspelt key fails.
It then checks what a schema cannot: that selectors match the pod
template, probe and Service ports name the container port the daemon
listens on, metrics are served on a named port the scrape annotations
name, the PDB and HPA target the Deployment, volumes and ConfigMap
keys line up, the grace period covers preStop plus the drain, the pod's
uid is the image's, and the ConfigMap's settings and manifests are ones
the daemon accepts (it runs the built daemon on the settings file).

Usage: k8s_manifests_test.py K8S_DIR DOCKERFILE CLASSIFYD_BINARY MODELS_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import tomllib

import jsonschema
import yaml

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
PORT_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"  # IANA_SVC_NAME, <= 15 chars
QUANTITY = r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$"


def obj(properties, required=(), extra=False):
    return {"type": "object", "properties": properties,
            "required": list(required), "additionalProperties": extra}


STR = {"type": "string"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
POS = {"type": "integer", "minimum": 1}
NONNEG = {"type": "integer", "minimum": 0}
LABELS = {"type": "object", "additionalProperties": STR, "minProperties": 1}
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
INT_OR_NAME = {"oneOf": [PORT, {"type": "string", "pattern": PORT_NAME,
                                "maxLength": 15}]}
INT_OR_PERCENT = {"oneOf": [NONNEG, {"type": "string", "pattern": r"^[0-9]+%$"}]}
METADATA = obj({"name": {"type": "string", "pattern": DNS_LABEL,
                         "maxLength": 63},
                "namespace": STR, "labels": LABELS,
                "annotations": {"type": "object",
                                "additionalProperties": STR}},
               required=["name"])
LABEL_SELECTOR = obj({"matchLabels": LABELS}, required=["matchLabels"])
RESOURCE_LIST = obj({"cpu": {"type": ["string", "integer"],
                             "pattern": QUANTITY},
                     "memory": {"type": "string", "pattern": QUANTITY}})
HANDLERS = {
    "grpc": obj({"port": PORT, "service": STR}, required=["port"]),
    "tcpSocket": obj({"port": INT_OR_NAME, "host": STR}, required=["port"]),
    "httpGet": obj({"port": INT_OR_NAME, "path": STR, "scheme": STR},
                   required=["port"]),
    "exec": obj({"command": {"type": "array", "items": STR, "minItems": 1}},
                required=["command"]),
}
PROBE = {
    **obj({**HANDLERS, "initialDelaySeconds": NONNEG, "periodSeconds": POS,
           "timeoutSeconds": POS, "failureThreshold": POS,
           "successThreshold": POS, "terminationGracePeriodSeconds": POS}),
    # Exactly one handler.
    "oneOf": [{"required": [h]} for h in HANDLERS],
}
CONTAINER = obj({
    "name": {"type": "string", "pattern": DNS_LABEL},
    "image": {"type": "string", "minLength": 1},
    "imagePullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
    "command": {"type": "array", "items": STR},
    "args": {"type": "array", "items": STR},
    "env": {"type": "array", "items": obj({"name": STR, "value": STR},
                                          required=["name"])},
    "ports": {"type": "array", "items": obj({
        "name": {"type": "string", "pattern": PORT_NAME, "maxLength": 15},
        "containerPort": PORT,
        "protocol": {"enum": ["TCP", "UDP", "SCTP"]}},
        required=["containerPort"])},
    "startupProbe": PROBE, "readinessProbe": PROBE, "livenessProbe": PROBE,
    "lifecycle": obj({"preStop": obj(HANDLERS), "postStart": obj(HANDLERS)}),
    "resources": obj({"requests": RESOURCE_LIST, "limits": RESOURCE_LIST}),
    "securityContext": obj({
        "allowPrivilegeEscalation": BOOL, "readOnlyRootFilesystem": BOOL,
        "runAsNonRoot": BOOL, "runAsUser": NONNEG, "runAsGroup": NONNEG,
        "privileged": BOOL,
        "capabilities": obj({"drop": {"type": "array", "items": STR},
                             "add": {"type": "array", "items": STR}})}),
    "volumeMounts": {"type": "array", "items": obj({
        "name": STR, "mountPath": {"type": "string", "pattern": "^/"},
        "readOnly": BOOL, "subPath": STR}, required=["name", "mountPath"])},
}, required=["name", "image"])
VOLUME = {
    **obj({"name": {"type": "string", "pattern": DNS_LABEL},
           "configMap": obj({"name": STR, "defaultMode": {
               "type": "integer", "minimum": 0, "maximum": 0o777},
               "optional": BOOL,
               "items": {"type": "array", "items": obj(
                   {"key": STR, "path": {"type": "string",
                                         "pattern": "^[^/]"},
                    "mode": INT}, required=["key", "path"])}},
               required=["name"]),
           "emptyDir": obj({"medium": {"enum": ["", "Memory"]},
                            "sizeLimit": {"type": "string",
                                          "pattern": QUANTITY}})},
          required=["name"]),
    "oneOf": [{"required": ["configMap"]}, {"required": ["emptyDir"]}],
}
POD_SPEC = obj({
    "containers": {"type": "array", "items": CONTAINER, "minItems": 1},
    "volumes": {"type": "array", "items": VOLUME},
    "terminationGracePeriodSeconds": NONNEG,
    "automountServiceAccountToken": BOOL,
    "serviceAccountName": STR,
    "securityContext": obj({
        "runAsNonRoot": BOOL, "runAsUser": NONNEG, "runAsGroup": NONNEG,
        "fsGroup": NONNEG,
        "seccompProfile": obj({"type": {"enum": [
            "RuntimeDefault", "Localhost", "Unconfined"]}},
            required=["type"])}),
}, required=["containers"])

SCHEMAS = {
    ("apps/v1", "Deployment"): obj({
        "apiVersion": STR, "kind": STR, "metadata": METADATA,
        "spec": obj({
            "replicas": NONNEG, "revisionHistoryLimit": NONNEG,
            "selector": LABEL_SELECTOR,
            "strategy": obj({
                "type": {"enum": ["RollingUpdate", "Recreate"]},
                "rollingUpdate": obj({"maxUnavailable": INT_OR_PERCENT,
                                      "maxSurge": INT_OR_PERCENT})}),
            "template": obj({"metadata": obj({"labels": LABELS,
                                              "annotations": LABELS},
                                             required=["labels"]),
                             "spec": POD_SPEC},
                            required=["metadata", "spec"])},
            required=["selector", "template"])},
        required=["apiVersion", "kind", "metadata", "spec"]),
    ("v1", "Service"): obj({
        "apiVersion": STR, "kind": STR, "metadata": METADATA,
        "spec": obj({
            "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
            "clusterIP": STR, "publishNotReadyAddresses": BOOL,
            "selector": LABELS,
            "ports": {"type": "array", "minItems": 1, "items": obj({
                "name": {"type": "string", "pattern": PORT_NAME},
                "port": PORT, "targetPort": INT_OR_NAME,
                "protocol": {"enum": ["TCP", "UDP", "SCTP"]},
                "appProtocol": STR}, required=["port"])}},
            required=["selector", "ports"])},
        required=["apiVersion", "kind", "metadata", "spec"]),
    ("v1", "ConfigMap"): obj({
        "apiVersion": STR, "kind": STR, "metadata": METADATA,
        "data": {"type": "object", "additionalProperties": STR,
                 "propertyNames": {"pattern": r"^[-._a-zA-Z0-9]+$"}}},
        required=["apiVersion", "kind", "metadata", "data"]),
    ("policy/v1", "PodDisruptionBudget"): obj({
        "apiVersion": STR, "kind": STR, "metadata": METADATA,
        "spec": {**obj({"maxUnavailable": INT_OR_PERCENT,
                        "minAvailable": INT_OR_PERCENT,
                        "selector": LABEL_SELECTOR}, required=["selector"]),
                 "oneOf": [{"required": ["maxUnavailable"]},
                           {"required": ["minAvailable"]}]}},
        required=["apiVersion", "kind", "metadata", "spec"]),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): obj({
        "apiVersion": STR, "kind": STR, "metadata": METADATA,
        "spec": obj({
            "scaleTargetRef": obj({"apiVersion": STR, "kind": STR,
                                   "name": STR}, required=["kind", "name"]),
            "minReplicas": POS, "maxReplicas": POS,
            "metrics": {"type": "array", "items": obj({
                "type": {"enum": ["Resource"]},
                "resource": obj({
                    "name": {"enum": ["cpu", "memory"]},
                    "target": obj({
                        "type": {"enum": ["Utilization", "AverageValue"]},
                        "averageUtilization": POS},
                        required=["type"])}, required=["name", "target"])},
                required=["type", "resource"])},
            "behavior": obj({d: obj({
                "stabilizationWindowSeconds": NONNEG,
                "selectPolicy": {"enum": ["Max", "Min", "Disabled"]},
                "policies": {"type": "array", "items": obj({
                    "type": {"enum": ["Pods", "Percent"]}, "value": POS,
                    "periodSeconds": POS},
                    required=["type", "value", "periodSeconds"])}})
                for d in ("scaleUp", "scaleDown")})},
            required=["scaleTargetRef", "maxReplicas"])},
        required=["apiVersion", "kind", "metadata", "spec"]),
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"): obj({
        "apiVersion": STR, "kind": STR,
        "resources": {"type": "array", "items": STR, "minItems": 1}},
        required=["resources"]),
}

errors = []


def check(condition, message):
    if not condition:
        errors.append(message)
    return condition


def subset(small, big):
    return all(big.get(k) == v for k, v in small.items())


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    k8s_dir, dockerfile, daemon, models_dir = sys.argv[1:]
    docs, files = [], sorted(f for f in os.listdir(k8s_dir)
                             if f.endswith((".yaml", ".yml")))
    for name in files:
        with open(os.path.join(k8s_dir, name), encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                key = (doc.get("apiVersion"), doc.get("kind"))
                where = f"{name}: {key[1]} {doc.get('metadata', {}).get('name', '')}"
                if key not in SCHEMAS:
                    errors.append(f"{where}: unknown apiVersion/kind {key}")
                    continue
                for e in jsonschema.Draft7Validator(SCHEMAS[key]).iter_errors(doc):
                    path = ".".join(str(p) for p in e.absolute_path)
                    errors.append(f"{where}: {path}: {e.message}")
                docs.append((name, doc))
    if errors:
        return report()

    def of(kind):
        return [d for _, d in docs if d["kind"] == kind]

    kustomization = of("Kustomization")
    if check(len(kustomization) == 1, "expected one kustomization.yaml"):
        check(sorted(kustomization[0]["resources"]) ==
              sorted(f for f in files if f != "kustomization.yaml"),
              "kustomization.yaml must list every other manifest")

    deployments = of("Deployment")
    if not check(len(deployments) == 1, "expected one Deployment"):
        return report()
    deploy = deployments[0]
    name = deploy["metadata"]["name"]
    template_labels = deploy["spec"]["template"]["metadata"]["labels"]
    pod = deploy["spec"]["template"]["spec"]
    check(subset(deploy["spec"]["selector"]["matchLabels"], template_labels),
          "Deployment selector does not match its pod template labels")
    container = pod["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
    listen = [a.split("=", 1)[1] for a in container.get("args", [])
              if a.startswith("--listen=")]
    check(listen and listen[0].startswith("0.0.0.0:"),
          "the daemon must listen on 0.0.0.0 (--listen=0.0.0.0:PORT)")
    listen_port = int(listen[0].rsplit(":", 1)[1]) if listen else None
    check(listen_port in ports.values(),
          f"--listen port {listen_port} is not a containerPort")
    http_listen = [a.split("=", 1)[1] for a in container.get("args", [])
                   if a.startswith("--http-listen=")]
    http_port = int(http_listen[0].rsplit(":", 1)[1]) if http_listen else None
    check(http_port is None or ports.get("http") == http_port,
          f"--http-listen port {http_port} is not the containerPort 'http'")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        p = container.get(probe)
        if check(p is not None and "grpc" in p,
                 f"{probe} must be a native grpc probe"):
            check(p["grpc"]["port"] == listen_port,
                  f"{probe} port {p['grpc']['port']} is not the listen port")

    # Security: the image's uid, non-root, read-only root filesystem.
    with open(dockerfile, encoding="utf-8") as f:
        users = re.findall(r"^USER\s+(\d+)", f.read(), re.M)
    sc, csc = pod.get("securityContext", {}), container.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True, "pod must set runAsNonRoot: true")
    check(users and sc.get("runAsUser") == int(users[-1]),
          f"runAsUser {sc.get('runAsUser')} is not the image's USER {users}")
    check(csc.get("readOnlyRootFilesystem") is True,
          "container must set readOnlyRootFilesystem: true")
    check(csc.get("allowPrivilegeEscalation") is False,
          "container must set allowPrivilegeEscalation: false")
    requests = container.get("resources", {}).get("requests", {})
    check("cpu" in requests and "memory" in requests,
          "container needs cpu and memory requests (the HPA scales on cpu)")
    check("memory" in container.get("resources", {}).get("limits", {}),
          "container needs a memory limit")

    # Volumes: every mount has a volume; ConfigMap items exist; the
    # read-only root leaves a writable runtime directory.
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
    for m in mounts.values():
        check(m["name"] in volumes, f"volumeMount {m['name']} has no volume")
    configmaps = {c["metadata"]["name"]: c for c in of("ConfigMap")}
    for v in volumes.values():
        if "configMap" in v:
            cm = configmaps.get(v["configMap"]["name"])
            if check(cm is not None,
                     f"volume {v['name']} names a missing ConfigMap"):
                for item in v["configMap"].get("items", []):
                    check(item["key"] in cm["data"],
                          f"ConfigMap has no key {item['key']}")
    runtime_dir = [a.split("=", 1)[1] for a in container.get("args", [])
                   if a.startswith("--runtime-dir=")]
    check(runtime_dir and runtime_dir[0] in mounts and
          "emptyDir" in volumes[mounts[runtime_dir[0]]["name"]],
          "--runtime-dir must be a writable emptyDir (read-only root)")

    # What the daemon reads from the ConfigMap.
    config_mount = next((p for p, m in mounts.items()
                         if "configMap" in volumes.get(m["name"], {})), None)
    files_in_config = {}
    if check(config_mount is not None, "no ConfigMap is mounted"):
        v = volumes[mounts[config_mount]["name"]]["configMap"]
        cm = configmaps[v["name"]]
        for item in v.get("items", []):
            if item["key"] in cm["data"]:  # Missing keys are reported above.
                files_in_config[os.path.join(config_mount, item["path"])] = \
                    cm["data"][item["key"]]
    args = dict(a.split("=", 1) for a in container.get("args", [])
                if a.startswith("--") and "=" in a)
    settings_text = files_in_config.get(args.get("--config"))
    drain = 10.0
    if check(settings_text is not None,
             f"--config {args.get('--config')} is not a ConfigMap file"):
        settings = tomllib.loads(settings_text)
        drain = float(settings.get("drain_timeout", drain))
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
            f.write(settings_text)
            f.flush()
            run = subprocess.run([daemon, "--config", f.name, "--help"],
                                 capture_output=True, text=True)
            check(run.returncode == 0,
                  f"the daemon refuses the ConfigMap's settings: "
                  f"{run.stdout}{run.stderr}")
    plugin_dir = args.get("--plugin-dir", "")
    manifests = {p: t for p, t in files_in_config.items()
                 if os.path.dirname(p) == plugin_dir and p.endswith(".toml")}
    check(manifests, f"no manifests are mounted in --plugin-dir {plugin_dir}")
    for path, text in manifests.items():
        m = tomllib.loads(text)
        check(m.get("plugin") in ("fasttext", "lexicon"),
              f"{path}: plugin {m.get('plugin')} is not bundled in the image")
        model = m.get("model", "")
        prefix = "/usr/share/classifyd/models/"
        check(model.startswith(prefix) and os.path.isfile(
                  os.path.join(models_dir, model[len(prefix):])),
              f"{path}: model {model} is not a model the image installs")

    # Drain: preStop pause + drain must end before the kubelet's SIGKILL.
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    pause = 0
    cmd = pre_stop.get("exec", {}).get("command", [])
    if cmd[:1] == ["sleep"]:
        pause = float(cmd[1])
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check(pause + drain < grace,
          f"preStop {pause}s + drain_timeout {drain}s must be under "
          f"terminationGracePeriodSeconds {grace}")

    # Metrics: served on the pod network at a named containerPort that the
    # scrape annotations name too.
    metrics = [a.split("=", 1)[1] for a in container.get("args", [])
               if a.startswith("--metrics-listen=")]
    metrics_port = None
    if check(len(metrics) == 1 and metrics[0].startswith("0.0.0.0:"),
             "metrics must be served on 0.0.0.0 (--metrics-listen=0.0.0.0:PORT)"):
        metrics_port = int(metrics[0].rsplit(":", 1)[1])
        check(ports.get("metrics") == metrics_port,
              f"no containerPort named metrics for --metrics-listen port {metrics_port}")
        notes = deploy["spec"]["template"]["metadata"].get("annotations", {})
        check(notes.get("prometheus.io/scrape") == "true" and
              notes.get("prometheus.io/port") == str(metrics_port) and
              notes.get("prometheus.io/path") == "/metrics",
              f"pod scrape annotations do not name port {metrics_port}, /metrics")

    # Services select the pods; their grpc ports target the gRPC port, a
    # metrics port the metrics port and an http port the HTTP/JSON API's.
    services = of("Service")
    check(any(s["spec"].get("clusterIP") == "None" for s in services),
          "expected a headless Service (clusterIP: None) for client-side "
          "load balancing")
    for s in services:
        sname = s["metadata"]["name"]
        check(subset(s["spec"]["selector"], template_labels),
              f"Service {sname} selector does not match the pod labels")
        for p in s["spec"]["ports"]:
            target = p.get("targetPort", p["port"])
            named = {"metrics": (metrics_port, "metrics"),
                     "http": (http_port, "HTTP")}
            want, what = named.get(p.get("name"), (listen_port, "gRPC"))
            check(ports.get(target) == want if isinstance(target, str)
                  else target == want,
                  f"Service {sname} targetPort {target} is not the {what} port")

    for pdb in of("PodDisruptionBudget"):
        check(subset(pdb["spec"]["selector"]["matchLabels"], template_labels),
              "PodDisruptionBudget selector does not match the pods")
    check(len(of("PodDisruptionBudget")) == 1, "expected a PodDisruptionBudget")
    hpas = of("HorizontalPodAutoscaler")
    check(len(hpas) == 1, "expected a HorizontalPodAutoscaler")
    for hpa in hpas:
        ref = hpa["spec"]["scaleTargetRef"]
        check((ref.get("apiVersion"), ref["kind"], ref["name"]) ==
              ("apps/v1", "Deployment", name),
              f"HPA targets {ref}, not Deployment {name}")
        check(hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"],
              "HPA minReplicas exceeds maxReplicas")
        check(any(m["resource"]["name"] == "cpu" for m in
                  hpa["spec"].get("metrics", [])), "HPA must scale on cpu")
    return report()


def report():
    if errors:
        print("FAIL:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    print("OK: deploy/k8s manifests are valid and consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
