#!/usr/bin/env python3
"""Offline checks of packaging/k8s/aspen.yaml and packaging/Containerfile.

No cluster and no container engine here, so no `kubectl apply` and no image
build: instead (docs/operators.md, "Kubernetes", says what was run):
  - every document parses, has a known apiVersion/kind, and every field at
    every level we use is one the Kubernetes API defines (a strict schema of
    the subset of the API the manifests use: a misspelt field such as
    `hostPid` fails, as kubeconform -strict would);
  - the DaemonSet: hostPID, the bpffs, tracefs and cgroup2 host mounts,
    each volumeMount naming a volume, the selector matching the template,
    readiness and liveness probes on aspend's ready file, the capabilities
    equal to aspend.service's CapabilityBoundingSet, aspend's options
    known to `aspend --help`, the init container compiling the ConfigMap's
    key;
  - the ConfigMap's policy passes `aspenc --check` (and `aspenc fmt --check`
    once fmt exists);
  - the Containerfile builds on debian:12 and its entry point is where the
    package installs aspend;
  - and the checker itself rejects broken copies (a misspelt field, a
    missing mount), so it can fail.

  k8s-validate.py SRC_DIR ASPENC ASPEND
"""
import copy
import os
import re
import subprocess
import sys
import tempfile

import yaml

S, I, B, L, M = str, int, bool, list, dict  # leaf types

# Allowed fields, per object, for the subset of the API the manifests use.
META = {"name": S, "namespace": S, "labels": M, "annotations": M}
PROBE = {"exec": {"command": [S]}, "initialDelaySeconds": I, "periodSeconds": I,
         "timeoutSeconds": I, "failureThreshold": I, "successThreshold": I}
SECCTX = {"privileged": B, "allowPrivilegeEscalation": B, "readOnlyRootFilesystem": B,
          "runAsUser": I, "runAsNonRoot": B,
          "capabilities": {"add": [S], "drop": [S]},
          "seccompProfile": {"type": S, "localhostProfile": S},
          "appArmorProfile": {"type": S, "localhostProfile": S}}
MOUNT = {"name": S, "mountPath": S, "readOnly": B, "subPath": S,
         "mountPropagation": ("None", "HostToContainer", "Bidirectional")}
CONTAINER = {"name": S, "image": S, "imagePullPolicy": ("Always", "IfNotPresent", "Never"),
             "command": [S], "args": [S], "env": [{"name": S, "value": S}],
             "securityContext": SECCTX,
             "resources": {"requests": M, "limits": M},
             "readinessProbe": PROBE, "livenessProbe": PROBE, "startupProbe": PROBE,
             "volumeMounts": [MOUNT], "ports": [{"name": S, "containerPort": I, "protocol": S}]}
VOLUME = {"name": S,
          "configMap": {"name": S, "items": [{"key": S, "path": S}], "defaultMode": I},
          "emptyDir": {"medium": S, "sizeLimit": S},
          "hostPath": {"path": S, "type": ("", "Directory", "DirectoryOrCreate", "File",
                                            "FileOrCreate", "Socket", "CharDevice", "BlockDevice")}}
POD = {"serviceAccountName": S, "hostPID": B, "hostNetwork": B, "priorityClassName": S,
       "tolerations": [{"operator": ("Exists", "Equal"), "key": S, "value": S, "effect": S}],
       "terminationGracePeriodSeconds": I, "nodeSelector": M,
       "initContainers": [CONTAINER], "containers": [CONTAINER], "volumes": [VOLUME]}
SCHEMAS = {
    ("v1", "Namespace"): {"apiVersion": S, "kind": S, "metadata": META},
    ("v1", "ServiceAccount"): {"apiVersion": S, "kind": S, "metadata": META,
                               "automountServiceAccountToken": B},
    ("v1", "ConfigMap"): {"apiVersion": S, "kind": S, "metadata": META, "data": M, "binaryData": M},
    ("apps/v1", "DaemonSet"): {"apiVersion": S, "kind": S, "metadata": META, "spec": {
        "selector": {"matchLabels": M},
        "updateStrategy": {"type": ("RollingUpdate", "OnDelete"),
                           "rollingUpdate": {"maxUnavailable": (I, S), "maxSurge": (I, S)}},
        "template": {"metadata": META, "spec": POD}}},
}


def check_schema(node, schema, path, errs):
    if isinstance(schema, dict):
        if not isinstance(node, dict):
            errs.append(f"{path}: expected a mapping")
            return
        for k, v in node.items():
            if k not in schema:
                errs.append(f"{path}.{k}: unknown field")
            else:
                check_schema(v, schema[k], f"{path}.{k}", errs)
    elif isinstance(schema, list):
        if not isinstance(node, list):
            errs.append(f"{path}: expected a list")
            return
        for i, item in enumerate(node):
            check_schema(item, schema[0], f"{path}[{i}]", errs)
    elif isinstance(schema, tuple):
        if all(isinstance(t, type) for t in schema):
            if not isinstance(node, schema):
                errs.append(f"{path}: wrong type")
        elif node not in schema:
            errs.append(f"{path}: {node!r} is not one of {schema}")
    elif schema is M:
        if not isinstance(node, dict) or not all(isinstance(v, (str, int)) for v in node.values()):
            errs.append(f"{path}: expected a mapping of scalars")
    elif schema is I:
        if not isinstance(node, int) or isinstance(node, bool):
            errs.append(f"{path}: expected an integer")
    elif not isinstance(node, schema):
        errs.append(f"{path}: expected {schema.__name__}")


def unit_caps(src):
    text = open(os.path.join(src, "packaging/systemd/aspend.service.in")).read()
    line = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.M).group(1)
    return sorted(c.removeprefix("CAP_") for c in line.split())


def check_docs(docs, src, aspend_opts):
    errs = []
    kinds = {}
    for i, d in enumerate(docs):
        key = (d.get("apiVersion"), d.get("kind"))
        if key not in SCHEMAS:
            errs.append(f"document {i}: unknown apiVersion/kind {key}")
            continue
        check_schema(d, SCHEMAS[key], f"{key[1]}", errs)
        kinds.setdefault(key[1], []).append(d)
    ds = (kinds.get("DaemonSet") or [None])[0]
    if not ds:
        return errs + ["no DaemonSet"]
    ns = {d["metadata"]["name"] for d in kinds.get("Namespace", [])}
    for d in docs:
        n = d.get("metadata", {}).get("namespace")
        if n is not None and n not in ns:
            errs.append(f"{d.get('kind')} {d['metadata'].get('name')}: namespace {n} is not defined")
    spec = ds["spec"]["template"]["spec"]
    tlabels = ds["spec"]["template"]["metadata"].get("labels", {})
    for k, v in ds["spec"]["selector"]["matchLabels"].items():
        if tlabels.get(k) != v:
            errs.append(f"DaemonSet selector {k}={v} does not match the pod template")
    if spec.get("hostPID") is not True:
        errs.append("DaemonSet: hostPID must be true (aspend reads /proc/PID of the node's processes)")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    host = {v["hostPath"]["path"]: n for n, v in vols.items() if "hostPath" in v}
    for need in ("/sys/fs/bpf", "/sys/kernel/tracing", "/sys/fs/cgroup"):
        if need not in host:
            errs.append(f"DaemonSet: no hostPath volume for {need}")
    if "serviceAccountName" in spec:
        if spec["serviceAccountName"] not in {d["metadata"]["name"] for d in kinds.get("ServiceAccount", [])}:
            errs.append("DaemonSet: its service account is not defined")
    cms = {d["metadata"]["name"]: d for d in kinds.get("ConfigMap", [])}
    for v in vols.values():
        if "configMap" in v and v["configMap"]["name"] not in cms:
            errs.append(f"volume {v['name']}: ConfigMap {v['configMap']['name']} is not defined")
    containers = spec.get("initContainers", []) + spec.get("containers", [])
    for c in containers:
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                errs.append(f"container {c['name']}: mount {m['name']} names no volume")
    main = [c for c in spec.get("containers", []) if c["name"] == "aspend"]
    if not main:
        return errs + ["DaemonSet: no container named aspend"]
    main = main[0]
    mounts = {m["name"]: m["mountPath"] for m in main.get("volumeMounts", [])}
    for need in ("/sys/fs/bpf", "/sys/kernel/tracing", "/sys/fs/cgroup"):
        if need in host and host[need] not in mounts:
            errs.append(f"aspend does not mount the {need} volume")
    cmd = " ".join(main.get("command", []) + main.get("args", []))
    if "/usr/sbin/aspend" not in cmd:
        errs.append("aspend container does not run /usr/sbin/aspend")
    for opt in re.findall(r"(?<![\w-])--[a-z][a-z-]*", cmd.split("/usr/sbin/aspend", 1)[-1]):
        if opt not in aspend_opts:
            errs.append(f"aspend container: option {opt} is not in `aspend --help`")
    m = re.search(r"--ready-file\s+(\S+)", cmd)
    for probe in ("readinessProbe", "livenessProbe"):
        p = main.get(probe)
        if not p:
            errs.append(f"aspend container: no {probe}")
        elif not m or m.group(1) not in " ".join(p.get("exec", {}).get("command", [])):
            errs.append(f"aspend container: {probe} does not check aspend's --ready-file")
    cg = re.search(r"--cgroup\s+(\S+)", cmd)
    if cg and not any(cg.group(1).startswith(p) for n, p in mounts.items() if vols.get(n, {}).get("hostPath", {}).get("path") == "/sys/fs/cgroup"):
        errs.append("aspend --cgroup is not under the host cgroup2 mount")
    caps = sorted(main.get("securityContext", {}).get("capabilities", {}).get("add", []))
    if caps != unit_caps(src):
        errs.append(f"aspend capabilities {caps} differ from aspend.service's {unit_caps(src)}")
    if main.get("securityContext", {}).get("capabilities", {}).get("drop") != ["ALL"]:
        errs.append("aspend container does not drop ALL other capabilities")
    # the init container compiles a key of the policy ConfigMap into the
    # path aspend loads
    obj = re.search(r"/usr/sbin/aspend\s+(\S+)", cmd)
    compiled = False
    for c in spec.get("initContainers", []):
        argv = c.get("command", []) + c.get("args", [])
        if argv and argv[0].endswith("/aspenc") and "-o" in argv:
            out = argv[argv.index("-o") + 1]
            compiled = obj is not None and out == obj.group(1)
            srcs = [a for a in argv if a.endswith(".asp")]
            cmounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            for s in srcs:
                d, f = os.path.split(s)
                v = vols.get(cmounts.get(d, ""), {})
                if f not in cms.get(v.get("configMap", {}).get("name"), {}).get("data", {}):
                    errs.append(f"init container compiles {s}: no such ConfigMap key mounted there")
    if not compiled:
        errs.append("no init container compiles the object aspend loads")
    return errs


def check_containerfile(src):
    errs = []
    text = open(os.path.join(src, "packaging/Containerfile")).read()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    if not froms or any(f != "debian:12" for f in froms):
        errs.append(f"Containerfile: every stage must be FROM debian:12 (got {froms})")
    if "cpack -G DEB" not in text:
        errs.append("Containerfile: does not build the Debian package")
    if 'ENTRYPOINT ["/usr/sbin/aspend"]' not in text:
        errs.append("Containerfile: the entry point is not the packaged /usr/sbin/aspend")
    return errs


def main():
    src, aspenc, aspend = sys.argv[1:4]
    help_text = subprocess.run([aspend, "--help"], capture_output=True, text=True).stdout
    aspend_opts = set(re.findall(r"--[a-z][a-z-]*", help_text))
    path = os.path.join(src, "packaging/k8s/aspen.yaml")
    docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    errs = check_docs(docs, src, aspend_opts) + check_containerfile(src)

    # The ConfigMap's policy compiles, and is formatted.
    for d in docs:
        for key, text in (d.get("data") or {}).items() if d.get("kind") == "ConfigMap" else []:
            if not key.endswith(".asp"):
                continue
            with tempfile.TemporaryDirectory() as tmp:
                f = os.path.join(tmp, key)
                open(f, "w").write(text)
                r = subprocess.run([aspenc, "--check", f], capture_output=True, text=True)
                if r.returncode != 0:
                    errs.append(f"ConfigMap {d['metadata']['name']} {key}: aspenc --check: {r.stderr}")
                if "aspenc fmt" in subprocess.run([aspenc, "--help"], capture_output=True, text=True).stdout:
                    r = subprocess.run([aspenc, "fmt", "--check", f], capture_output=True, text=True)
                    if r.returncode != 0:
                        errs.append(f"ConfigMap {d['metadata']['name']} {key}: not formatted (aspenc fmt)")

    # The checker can fail: broken copies must be rejected.
    def broken(edit, what):
        bad = copy.deepcopy(docs)
        ds = next(d for d in bad if d["kind"] == "DaemonSet")
        edit(ds["spec"]["template"]["spec"])
        if not check_docs(bad, src, aspend_opts):
            errs.append(f"self-test: the checker accepted {what}")
    broken(lambda s: s.update(hostPid=s.pop("hostPID")), "a misspelt hostPID")
    broken(lambda s: s["volumes"].pop([v["name"] for v in s["volumes"]].index("bpffs")), "no bpffs volume")
    broken(lambda s: s["containers"][0].pop("readinessProbe"), "no readiness probe")
    broken(lambda s: s["containers"][0]["securityContext"]["capabilities"]["add"].append("SYS_MODULE"),
           "an extra capability")

    for e in errs:
        print("FAIL:", e)
    if errs:
        return 1
    print(f"ok: {len(docs)} manifests in {os.path.relpath(path, src)} and the Containerfile pass the offline checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
