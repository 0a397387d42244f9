#!/usr/bin/env python3
"""Computes the expected findings for internal/vuln's corpus matching test,
independently of medshield's code: versions are compared by dpkg itself.

Input: ../shared/corpora/vuln/inventory/dpkg-status-debian12-bookworm and
../shared/corpora/vuln/osv/debian-derived/*.json. The corpus records stop at
Debian 11, so (as the corpus README suggests) every "Debian:11" entry is
treated as if it were "Debian:12" — the Go test applies the same rewrite.

Output, in the directory given (default internal/vuln/testdata):
debian12-evaluations.golden.tsv: every (record, affected entry, installed
source package of the same name) with dpkg's verdict on the range, for all
Debian releases in the corpus (the ecosystem is ignored: this checks range
evaluation on real version strings);
debian12-findings.golden.tsv: the findings for the host when Debian:11
entries are read as Debian:12, one line per (source package, CVE).
Usage: python3 scripts/vuln/gen-inventory-golden.py [outdir]
"""
import glob, json, os, subprocess, sys

root = os.environ.get("MEDSHIELD_CORPORA", os.path.join(os.path.dirname(__file__), "../../../shared/corpora"))
status = os.path.join(root, "vuln/inventory/dpkg-status-debian12-bookworm")

def dpkg_lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0

def dpkg_gt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "gt", b]).returncode == 0

# installed source packages: name -> version (from Source: "name (ver)")
sources = {}
for stanza in open(status, encoding="utf-8").read().split("\n\n"):
    f = {}
    for line in stanza.splitlines():
        if line[:1] in (" ", "\t") or ":" not in line:
            continue
        k, v = line.split(":", 1)
        f[k] = v.strip()
    if "Package" not in f:
        continue
    name, ver = f["Package"], f["Version"]
    if "Source" in f:
        parts = f["Source"].split(" ", 1)
        name = parts[0]
        if len(parts) == 2 and parts[1].startswith("("):
            ver = parts[1].strip("()")
    sources.setdefault(name, set()).add(ver)

evals = []  # every (record, entry, installed source) with the same name
findings = {}  # (src, ver, key) -> [fixed, ids], for Debian:11 entries read as Debian:12
for path in sorted(glob.glob(os.path.join(root, "vuln/osv/debian-derived/*.json"))):
    rec = json.load(open(path, encoding="utf-8"))
    if rec.get("withdrawn"):
        continue
    cves = [x for x in [rec["id"]] + rec.get("aliases", []) + rec.get("upstream", []) if x.startswith("CVE-")]
    cves = list(dict.fromkeys(cves)) or [rec["id"]]
    for i, aff in enumerate(rec.get("affected", [])):
        eco = aff["package"]["ecosystem"]
        name = aff["package"]["name"]
        for ver in sorted(sources.get(name, ())):
            for rng in aff.get("ranges", []):
                # The derived records use exactly introduced "0" plus at most one fixed.
                assert all(list(e) in (["introduced"], ["fixed"]) for e in rng["events"]), path
                fixed = [e["fixed"] for e in rng["events"] if "fixed" in e]
                affected = not fixed or dpkg_lt(ver, fixed[0])
                evals.append((rec["id"], str(i), eco, name, ver, fixed[0] if fixed else "", "yes" if affected else "no"))
                if eco != "Debian:11" or not affected:
                    continue
                for cve in cves:
                    ids = {rec["id"], cve} | {u for u in rec.get("upstream", []) if u == cve or u.endswith("-" + cve)}
                    cur = findings.setdefault((name, ver, cve), ["", set()])
                    cur[1] |= ids
                    if fixed and (cur[0] == "" or dpkg_gt(fixed[0], cur[0])):
                        cur[0] = fixed[0]

out = sys.argv[1] if len(sys.argv) > 1 else "internal/vuln/testdata"
with open(os.path.join(out, "debian12-evaluations.golden.tsv"), "w") as w:
    w.write("# record\taffected_index\tecosystem\tsource\tinstalled\tfixed\taffected  (dpkg --compare-versions)\n")
    for e in evals:
        w.write("\t".join(e) + "\n")
with open(os.path.join(out, "debian12-findings.golden.tsv"), "w") as w:
    w.write("# source\tinstalled\tkey\tfixed\tids  (Debian:11 entries read as Debian:12; dpkg --compare-versions)\n")
    for (name, ver, key), (fixed, ids) in sorted(findings.items()):
        w.write("\t".join([name, ver, key, fixed, ",".join(sorted(ids))]) + "\n")
print(len(evals), "evaluations,", len(findings), "findings", file=sys.stderr)
