"""Tables (Markdown, also printed), latest.json, latest.md and the gnuplot chart."""
import os
import shutil
import subprocess

SUBJECT = "cove"


def _fmt(x):
    if x is None:
        return "—"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def cell(res, single=False):
    st = res.get("status")
    if st != "ok":
        err = (res.get("error") or "").replace("|", "/")
        if len(err) > 110:
            err = err[:107] + "..."
        return f"{st}: {err}" if err else st
    if res.get("at_floor"):
        return f"≤{_fmt(res['median'])} (lowest tried)"
    if single or res.get("n", 0) < 3:
        return _fmt(res["median"]) if res.get("n", 0) <= 1 else f"{_fmt(res['median'])} (n={res['n']})"
    return f"{_fmt(res['median'])} ({_fmt(res['p10'])}–{_fmt(res['p90'])})"


def subject_cell(res, single=False):
    text = cell(res, single)
    return text if res.get("status") == "ok" else f"cove: {text}"


def ratio_cell(bench, ref):
    r = bench["ratios"].get(f"{SUBJECT}/{ref}")
    if r is None:
        return "—"
    target = (bench.get("target") or {}).get(f"{SUBJECT}/{ref}")
    mark = ""
    if target is not None:
        mark = " ✓" if r <= target else f" ✗ (≤{target:g})"
    return f"{r:.2f}×{mark}"


def table(benches, tools):
    """benches: JSON rows with results for SUBJECT and each of tools (reference tools)."""
    head = ["benchmark", "unit", SUBJECT] + tools + [f"{SUBJECT}/{t}" for t in tools]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for b in benches:
        single = b["unit"] == "MiB"
        res = b["results"]
        row = [b["title"].replace("|", "/"), b["unit"],
               subject_cell(res.get(SUBJECT, {"status": "skipped"}), single)]
        row += [cell(res.get(t, {"status": "skipped"}), single) for t in tools]
        row += [ratio_cell(b, t) for t in tools]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def markdown(doc):
    m = doc["meta"]
    out = [f"# Cove benchmark results ({m['mode']})", "",
           f"{m['date']} · commit `{m['git']}` · cells are median (p10–p90) over n runs; ratios compare medians "
           "(lower is better for Cove); ✓/✗ against the targets of issue 8.", "",
           "## Machine", ""]
    for k in ("cpu", "nproc", "kernel", "memory", "cgroups", "loadavg_start", "loadavg_end"):
        out.append(f"- {k}: {m['machine'].get(k)}")
    out += ["", "## Tools", ""]
    for k, v in m["versions"].items():
        out.append(f"- {k}: `{v}`")
    out += ["", "## How the runtimes were run", "", m.get("how_run", "(runtime benchmarks not run)"), "",
            f"Bundle: busybox-static root filesystem from scripts/mkrootfs.sh and one config.json from `runc spec` "
            f"with args [\"/bin/true\"] and terminal false, used by all three runtimes. Runs: "
            + ", ".join(f"{k}={v // 1024} KiB" if k.startswith("mem_") else f"{k}={v}" for k, v in m["runs"].items())
            + ".", ""]
    if m.get("page_cache"):
        out += [m["page_cache"], ""]
    if doc["runtime"]:
        out += ["## Container runtimes", "", table(doc["runtime"], ["crun", "runc"]), ""]
    if doc["tools"]:
        out += ["## Toolkit and network", ""]
        groups = {}
        for b in doc["tools"]:
            ref = [t for t in b["results"] if t != SUBJECT][0]
            groups.setdefault(ref, []).append(b)
        for ref, rows in groups.items():
            out += [table(rows, [ref]), ""]
    if doc.get("netns_script"):
        ns = doc["netns_script"]
        out += ["## bench/netns.sh", "", f"`{' '.join(ns['argv'])}` exited {ns['exit']}:", "", "```",
                ns["output"].rstrip(), "```", ""]
    if doc.get("netns_floor"):
        fl = doc["netns_floor"]
        out += ["## bench/floor/netns.sh", "", "The same netns add/delete syscalls from a static C program and from "
                "the smallest static Swift program: the floor of any implementation, and of any Swift one.", "",
                f"`{' '.join(fl['argv'])}` exited {fl['exit']}:", "", "```", fl["output"].rstrip(), "```", ""]
    notes = doc.get("notes") or []
    leftovers = doc.get("leftovers") or []
    if notes or leftovers:
        out += ["## Notes", ""]
        out += [f"- {n}" for n in notes]
        out += [f"- leftover found and {'removed' if l.get('removed') else 'NOT removed'}: {l['path']}"
                + (f" ({l['error']})" if l.get("error") else "") for l in leftovers]
        out.append("")
    if doc.get("chart"):
        out += ["![chart](latest.png)", ""]
    return "\n".join(out)


# ---- chart ---------------------------------------------------------------------------------------

def _num(res, key):
    if res.get("status") != "ok" or res.get(key) is None:
        return "NaN"
    return f"{res[key]:.4f}"


def _write_dat(path, rows, tools):
    with open(path, "w") as f:
        for b in rows:
            label = b.get("short", b["title"]).replace('"', "'")
            vals = []
            for t in tools:
                r = b["results"].get(t, {"status": "skipped"})
                vals += [_num(r, "median"), _num(r, "p10"), _num(r, "p90")]
            f.write(f'"{label}" ' + " ".join(vals) + "\n")


def chart(doc, png, tmp):
    """Three panels: runtime latencies (log scale), peak RSS and memory floor, toolkit/network latencies.
    Bars are medians, error bars p10–p90; a missing bar means the tool is unsupported or failed."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed"
    short = {"lifecycle": "lifecycle", "lifecycle_limits": "lifecycle+limits", "run": "run",
             "run_detach_delete": "run -d+wait+delete", "parallel_run": "50x run (wall)", "exec": "exec",
             "peak_rss_cli": "RSS cli", "peak_rss_init": "RSS init", "min_memory_limit": "min mem limit",
             "unshare": "unshare", "netns": "netns add+del", "veth": "veth add+del"}
    rt_tools = [SUBJECT, "crun", "runc"]

    def has_data(b):
        return any(r.get("status") == "ok" and r.get("median") is not None for r in b["results"].values())
    lat = [dict(b, short=short[b["key"]]) for b in doc["runtime"]
           if b["unit"] == "ms" and b["key"] in short and has_data(b)]
    mem = [dict(b, short=short[b["key"]]) for b in doc["runtime"]
           if b["unit"] == "MiB" and b["key"] in short and has_data(b)]
    tools = [dict(b, short=short.get(b["key"], b["key"])) for b in doc["tools"] if has_data(b)]
    panels = []
    if lat:
        _write_dat(os.path.join(tmp, "lat.dat"), lat, rt_tools)
        panels.append(("lat.dat", "Container runtimes: time per operation (ms, log scale)", True, rt_tools))
    if mem:
        _write_dat(os.path.join(tmp, "mem.dat"), mem, rt_tools)
        panels.append(("mem.dat", "Memory (MiB)", False, rt_tools))
    if tools:
        panels.append(("tools.dat", "Toolkit and network: Cove vs util-linux/iproute2 (ms)", False,
                       ["cove", "util-linux / iproute2"]))
    if not panels:
        return "nothing to plot"
    if tools:  # each row has its own reference tool (util-linux or iproute2): columns are cove, reference
        with open(os.path.join(tmp, "tools.dat"), "w") as f:
            for b in tools:
                ref = [t for t in b["results"] if t != SUBJECT][0]
                vals = []
                for t in (SUBJECT, ref):
                    r = b["results"][t]
                    vals += [_num(r, "median"), _num(r, "p10"), _num(r, "p90")]
                f.write(f'"{b["short"]}" ' + " ".join(vals) + "\n")
    colors = ["#d62728", "#1f77b4", "#7f7f7f"]
    script = [f"set terminal pngcairo size 1400,{420 * len(panels)} font 'sans,10'" if _has_cairo(gp)
              else f"set terminal png size 1400,{420 * len(panels)}",
              f"set output '{png}'",
              f"set multiplot layout {len(panels)},1 title 'Cove benchmarks — {doc['meta']['date']} "
              f"({doc['meta']['mode']}, {doc['meta']['machine']['nproc']} CPUs) — bars: median, error bars: p10-p90; "
              f"no bar: unsupported or failed, see latest.md' noenhanced",
              "set style data histogram", "set style histogram errorbars gap 1.5 lw 1",
              "set style fill solid 0.8 border -1", "set boxwidth 0.9", "set grid ytics",
              "set key top left", "set datafile missing 'NaN'", "set xtics noenhanced", "set key noenhanced"]
    missing = {"lat.dat": lat, "mem.dat": mem, "tools.dat": tools}
    for dat, title, log, names in panels:
        if not any(b["results"].get(SUBJECT, {}).get("status") == "ok" for b in missing[dat]):
            title += " — no Cove bars: unsupported (see the table)"
        script.append(f"set title '{title}' noenhanced")
        script.append("set logscale y" if log else "unset logscale y")
        script.append("set yrange [*:*]" if log else "set yrange [0:*]")
        plots = []
        for k, name in enumerate(names):
            c = 2 + 3 * k
            xt = ":xtic(1)" if k == 0 else ""
            plots.append(f"'{os.path.join(tmp, dat)}' using {c}:{c + 1}:{c + 2}{xt} title '{name}' "
                         f"lc rgb '{colors[k]}'")
        script.append("plot " + ", ".join(plots))
    script.append("unset multiplot")
    p = subprocess.run([gp], input="\n".join(script) + "\n", capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return f"gnuplot failed: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else p.returncode}"
    return None


def _has_cairo(gp):
    p = subprocess.run([gp, "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in (p.stdout + p.stderr)
