#!/usr/bin/env python3
"""Checks the release metadata and the release archive.

- META.json follows the PGXN meta-spec 1.0.0 (required keys, semantic
  versions, known licence, whose text is in LICENSE, prereq phases and
  relations, files that exist);
- the version is written once, in META.json: the Makefile reads it, and the
  control file's default_version, the newest SQL script and CHANGELOG.md agree
  with it (the extension's version is the release's major.minor);
- every older extension version has an upgrade path to the newest;
- the Debian packaging agrees: debian/changelog's newest version is the
  release's, debian/pgversions lists META.json's PostgreSQL versions,
  debian/control is control.in's for 15, and debian/ names no sql/ or src/
  file (they are found by wildcard);
- "make dist" builds comm_result-VERSION.zip from git, with everything under
  comm_result-VERSION/ and without CI plumbing, and the archive builds.

Usage: check.py SOURCE_DIR ARCHIVE_BUILD_DIR   (prints "packaging: N passed,
M failed" last; exit status 1 on a failure).
"""
import json
import os
import re
import subprocess
import sys
import zipfile

src, work = sys.argv[1], sys.argv[2]
passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}" + (f": {detail}" if detail else ""))


SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+)?$")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2",
            "bsd", "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2",
            "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit", "mozilla_1_0",
            "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0",
            "ssleay", "sun", "zlib", "open_source", "restricted",
            "unrestricted", "unknown"}

with open(os.path.join(src, "META.json")) as f:
    meta = json.load(f)

# --- META.json against the meta-spec --------------------------------------
for key in ("name", "abstract", "maintainer", "license", "provides",
            "version", "meta-spec"):
    check(key in meta, f"META.json has the required key {key}")
check(meta.get("meta-spec", {}).get("version") == "1.0.0",
      "META.json follows meta-spec 1.0.0")
version = meta.get("version", "")
check(bool(SEMVER.match(version)), "the release version is a semantic version",
      version)
check(meta.get("release_status") in ("stable", "testing", "unstable"),
      "release_status is stable, testing or unstable")
check(meta.get("license") in LICENSES, "the licence is one PGXN knows",
      str(meta.get("license")))
if meta.get("license") == "postgresql":
    with open(os.path.join(src, "LICENSE")) as f:
        check(f.read().startswith("PostgreSQL License"),
              "LICENSE holds the licence text META.json names")
maint = meta.get("maintainer")
check(isinstance(maint, (str, list)) and bool(maint), "a maintainer is named")
provides = meta.get("provides", {})
ext = provides.get("comm_result", {})
check(bool(ext), "META.json provides comm_result")
check(ext.get("version") == version,
      "the provided extension has the release's version",
      f"{ext.get('version')} != {version}")
for key in ("file", "docfile"):
    path = ext.get(key)
    check(path is not None and os.path.isfile(os.path.join(src, path)),
          f"provides.comm_result.{key} exists", str(path))
prereqs = meta.get("prereqs", {})
check(set(prereqs) <= {"configure", "build", "test", "runtime", "develop"},
      "prereq phases are known ones", str(sorted(prereqs)))
check(all(set(rel) <= {"requires", "recommends", "suggests", "conflicts"}
          for rel in prereqs.values()),
      "prereq relations are known ones")
check("PostgreSQL" in prereqs.get("runtime", {}).get("requires", {}),
      "the runtime prereqs name PostgreSQL")
for d in meta.get("no_index", {}).get("directory", []):
    check(os.path.isdir(os.path.join(src, d)), f"no_index directory {d} exists")

# --- one version, everywhere -------------------------------------------------
ext_version = ".".join(version.split(".")[:2])
made = subprocess.run(["make", "-s", "-C", src, "print-version"],
                      capture_output=True, text=True)
check(made.stdout.strip() == version, "the Makefile reads the version from META.json",
      made.stdout.strip() + made.stderr.strip())
with open(os.path.join(src, "comm_result.control")) as f:
    control = f.read()
m = re.search(r"^default_version\s*=\s*'([^']*)'", control, re.M)
check(m is not None and m.group(1) == ext_version,
      "the control file's default_version is the release's major.minor",
      f"{m and m.group(1)} != {ext_version}")

scripts = os.listdir(os.path.join(src, "sql"))
installs, upgrades = set(), []
for name in scripts:
    m1 = re.fullmatch(r"comm_result--([0-9.]+)\.sql", name)
    m2 = re.fullmatch(r"comm_result--([0-9.]+)--([0-9.]+)\.sql", name)
    if m1:
        installs.add(m1.group(1))
    elif m2:
        upgrades.append((m2.group(1), m2.group(2)))
    else:
        check(False, "every file in sql/ is an install or upgrade script", name)


def vkey(v):
    return tuple(int(x) for x in v.split("."))


every = installs | {a for a, _ in upgrades} | {b for _, b in upgrades}
newest = max(every, key=vkey)
check(newest == ext_version, "the newest SQL script is for the release's version",
      f"{newest} != {ext_version}")
# Every version must reach the newest through install and upgrade scripts.
reach = {ext_version}
changed = True
while changed:
    changed = False
    for a, b in upgrades:
        if b in reach and a not in reach:
            reach.add(a)
            changed = True
check(every <= reach, "every version has an upgrade path to the newest",
      str(sorted(every - reach)))

with open(os.path.join(src, "CHANGELOG.md")) as f:
    changelog = f.read()
heads = re.findall(r"^## \[?([0-9][0-9.]*)\]?", changelog, re.M)
check(bool(heads) and heads[0] == version,
      "CHANGELOG.md's newest entry is the release's version", str(heads[:1]))

# --- the Debian package (debian/; test/debian/run.sh builds and tests it) ----
with open(os.path.join(src, "debian", "changelog")) as f:
    m = re.match(r"^\S+ \(([^)]+)\) ", f.readline())
debian_version = m.group(1) if m else ""
# [epoch:]upstream[-revision]: the upstream part is the release's version.
upstream = debian_version.split(":", 1)[-1].rsplit("-", 1)[0]
check(upstream == version, "debian/changelog's newest entry is the release's version",
      f"{debian_version} != {version}-N")
reqs = prereqs.get("runtime", {}).get("requires", {}).get("PostgreSQL", "")
lo, hi = re.search(r">=\s*(\d+)", reqs), re.search(r"<\s*(\d+)", reqs)
with open(os.path.join(src, "debian", "pgversions")) as f:
    pgversions = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
wanted = [str(n) for n in range(int(lo.group(1)), int(hi.group(1)))] if lo and hi else []
check(pgversions == wanted, "debian/pgversions lists the major versions META.json supports",
      f"{pgversions} != {wanted}")
# debian/control is what pg_buildext updatecontrol makes of control.in on
# Debian 12 (PostgreSQL 15); "make deb" remakes it for the installed versions.
with open(os.path.join(src, "debian", "control.in")) as f:
    control_in = f.read()
with open(os.path.join(src, "debian", "control")) as f:
    control_deb = f.read()
check(control_deb.strip() == control_in.replace("PGVERSION", "15").strip(),
      "debian/control is debian/control.in for PostgreSQL 15")
# The packaging picks up sql/*.sql and src/*.c by wildcard (the Makefile's):
# no file of debian/ names one of them.
named = []
for dirpath, _, files in os.walk(os.path.join(src, "debian")):
    for name in files:
        with open(os.path.join(dirpath, name), errors="replace") as f:
            text = f.read()
        named += [(name, s) for d in ("sql", "src") for s in os.listdir(os.path.join(src, d))
                  if s in text]
check(not named, "no file of debian/ names a file of sql/ or src/", str(named[:3]))

# --- the archive -------------------------------------------------------------
made = subprocess.run(["make", "-s", "-C", work, "dist"], capture_output=True, text=True)
archive = os.path.join(work, f"comm_result-{version}.zip")
check(made.returncode == 0 and os.path.isfile(archive), "make dist builds the archive",
      made.stderr.strip())
if os.path.isfile(archive):
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        prefix = f"comm_result-{version}/"
        check(all(n.startswith(prefix) for n in names),
              f"everything in the archive is under {prefix}")
        tracked = subprocess.run(["git", "-C", work, "ls-files"], capture_output=True,
                                 text=True).stdout.split()
        plumbing = (".gitignore", ".gitattributes")
        wanted = [p for p in tracked
                  if not p.startswith(".ci/") and os.path.basename(p) not in plumbing]
        missing = [p for p in wanted if prefix + p not in names]
        check(not missing, "the archive holds every tracked file but CI plumbing",
              str(missing[:5]))
        check(not any(n.startswith(prefix + ".ci/") or os.path.basename(n) in plumbing
                      for n in names), "the archive leaves out .ci/ and .gitignore files")
        check(json.loads(z.read(prefix + "META.json"))["version"] == version,
              "the archive's META.json has the archive's version")
        z.extractall(os.path.join(work, "unpacked"))
    built = subprocess.run(
        ["make", "-s", "-C", os.path.join(work, "unpacked", prefix), "COPT=-Werror",
         "with_llvm=no", "PG_CONFIG=" + os.environ.get("PG_CONFIG", "pg_config")],
        capture_output=True, text=True)
    check(built.returncode == 0 and os.path.isfile(
        os.path.join(work, "unpacked", prefix, "comm_result.so")),
        "the unpacked archive builds with -Werror", built.stderr.strip()[-500:])

print(f"packaging: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
