#!/usr/bin/python3
"""Checks deploy/docker/Dockerfile without a container engine.

No Docker or Podman engine runs on the build machines, so the image cannot
be built in CI. This test checks what would break it instead:

- the runtime stage installs (directly, or through the Depends of what it
  installs, or as part of every debian:12 image) the Debian package of
  every shared library that `ldd` finds for the binaries and plugins the
  image ships;
- every package it names exists;
- its shape: debian:12 build stage, debian:12-slim runtime stage, a
  non-root USER, EXPOSE 50051, a HEALTHCHECK that runs an installed
  program, and an ENTRYPOINT listening on 0.0.0.0:50051.

The Debian dependency graph is read from this machine's dpkg database,
which holds the same Debian 12 packages the build used.

Usage: docker_runtime_test.py DOCKERFILE BINARY...
"""
import os
import re
import shlex
import subprocess
import sys

# Sanitizer runtimes appear in ldd output of sanitizer builds of the test
# suite only; the image is built without sanitizers.
SANITIZER_LIBS = re.compile(r"^lib(asan|ubsan|tsan|lsan)\.so")


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def parse_dockerfile(path):
    """Returns [(stage alias, base image, [(instruction, args)])]."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and (not stripped or stripped.startswith("#")):
            continue  # Blank or comment line inside a continued instruction.
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    stages = []
    for line in lines:
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = args.split()
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append((alias, words[0], []))
        elif stages:
            stages[-1][2].append((instruction, args.strip()))
    return stages


def exec_form(args):
    """The argv of an exec-form (JSON) or shell-form instruction."""
    if args.startswith("["):
        import json
        return json.loads(args)
    return ["/bin/sh", "-c", args]


def apt_installed_packages(run_args):
    """Packages named by `apt-get install` commands in a RUN instruction."""
    packages = []
    tokens = shlex.split(run_args)
    command = []
    for token in tokens + ["&&"]:
        if token in ("&&", ";", "||"):
            if command[:1] == ["apt-get"] and "install" in command:
                after = command[command.index("install") + 1:]
                packages += [t for t in after if not t.startswith("-")]
            command = []
        else:
            command.append(token)
    return packages


def needed_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"ldd {binary}: {out.stderr.strip()}")
    libs = []
    for line in out.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            fail(f"{binary}: {line}")
        m = re.match(r"^(\S+) => (\S+) \(", line)
        if m and not SANITIZER_LIBS.match(m.group(1)):
            libs.append(m.group(2))
    return libs


def owning_packages(paths):
    """{library path: Debian package}, from one dpkg -S call (it is slow)."""
    # Debian 12 merges /lib into /usr/lib; dpkg knows each file under the
    # name its package shipped it with.
    candidates = {}
    for path in paths:
        for c in (path, os.path.realpath(path)):
            for variant in (c, c[len("/usr"):] if c.startswith("/usr/")
                            else "/usr" + c):
                candidates.setdefault(variant, set()).add(path)
    out = subprocess.run(["dpkg", "-S"] + sorted(candidates),
                         capture_output=True, text=True)
    owners = {}
    for line in out.stdout.splitlines():
        package, sep, file = line.partition(": ")
        if sep and file in candidates:
            for path in candidates[file]:
                owners[path] = package.split(",")[0].split(":")[0].strip()
    for path in paths:
        if path not in owners:
            fail(f"no Debian package owns {path}")
    return owners


def installed_packages():
    """{name: (priority, essential, [dependency alternatives], provides)}."""
    fmt = "${Package}\t${Status}\t${Priority}\t${Essential}\t${Pre-Depends}, ${Depends}\t${Provides}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt],
                         capture_output=True, text=True, check=True).stdout
    packages, providers = {}, {}
    for line in out.splitlines():
        name, status, priority, essential, depends, provides = line.split("\t")
        if not status.endswith(" installed"):
            continue
        alternatives = []
        for clause in depends.split(","):
            clause = clause.strip()
            if clause:
                alternatives.append([re.split(r"[ (:]", a.strip())[0]
                                     for a in clause.split("|")])
        packages[name] = (priority, essential, alternatives)
        for p in provides.split(","):
            p = re.split(r"[ (]", p.strip())[0]
            if p:
                providers.setdefault(p, []).append(name)
    return packages, providers


def closure(roots, packages, providers):
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for alternatives in packages.get(name, ("", "", []))[2]:
            for a in alternatives:
                chosen = [a] if a in packages else providers.get(a, [])
                if chosen:
                    todo.extend(chosen)
                    break
    return seen


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    dockerfile, binaries = sys.argv[1], sys.argv[2:]
    stages = parse_dockerfile(dockerfile)
    if len(stages) < 2:
        fail("expected a multi-stage Dockerfile (build, runtime)")
    build, runtime = stages[0], stages[-1]
    if build[1] != "debian:12":
        fail(f"build stage is FROM {build[1]}, expected debian:12")
    if runtime[1] != "debian:12-slim":
        fail(f"runtime stage is FROM {runtime[1]}, expected debian:12-slim")
    instructions = runtime[2]

    def last(name):
        values = [a for i, a in instructions if i == name]
        return values[-1] if values else None

    user = last("USER")
    if user is None or user.split(":")[0] in ("root", "0"):
        fail(f"runtime stage must switch to a non-root USER, has {user!r}")
    if "50051" not in (last("EXPOSE") or "").split():
        fail("runtime stage must EXPOSE 50051")
    entrypoint = exec_form(last("ENTRYPOINT") or "[]")
    if "0.0.0.0:50051" not in entrypoint:
        fail(f"ENTRYPOINT must listen on 0.0.0.0:50051: {entrypoint}")
    shipped = {os.path.basename(b) for b in binaries}
    if os.path.basename(entrypoint[0]) not in shipped:
        fail(f"ENTRYPOINT runs {entrypoint[0]}, which is not a shipped binary")
    healthcheck = last("HEALTHCHECK")
    if healthcheck is None:
        fail("runtime stage has no HEALTHCHECK")
    health_cmd = exec_form(healthcheck[healthcheck.index("CMD") + 3:].strip())
    if os.path.basename(health_cmd[0]) not in shipped:
        fail(f"HEALTHCHECK runs {health_cmd[0]}, which is not shipped")
    if not any(i == "COPY" and "--from=build" in a for i, a in instructions):
        fail("runtime stage does not copy the install tree from the build stage")

    listed = []
    for instruction, args in instructions:
        if instruction == "RUN":
            listed += apt_installed_packages(args)
    if not listed:
        fail("runtime stage installs no packages")

    packages, providers = installed_packages()
    for name in listed:
        if name not in packages:
            known = subprocess.run(["apt-cache", "show", name],
                                   capture_output=True).returncode == 0
            if not known:
                fail(f"runtime stage installs '{name}', which is no Debian package")
    # What every debian:12 image has: required and essential packages, apt,
    # and their dependencies.
    base = [n for n, (priority, essential, _) in packages.items()
            if priority == "required" or essential == "yes"] + ["apt"]
    available = closure(listed + base, packages, providers)

    needs = {b: needed_libraries(b) for b in binaries}
    owners = owning_packages(sorted({l for libs in needs.values() for l in libs}))
    missing = {}
    for binary, libs in needs.items():
        for lib in libs:
            if owners[lib] not in available:
                missing.setdefault(owners[lib], []).append(
                    f"{os.path.basename(binary)} needs {lib}")
    if missing:
        fail("the runtime stage lacks packages:\n" + "\n".join(
            f"  {p}: {'; '.join(why)}" for p, why in sorted(missing.items())))
    print(f"OK: {len(binaries)} binaries; runtime stage installs "
          f"{len(listed)} packages covering every needed shared library")


if __name__ == "__main__":
    main()
