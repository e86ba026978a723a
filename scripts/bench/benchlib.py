"""Shared helpers of scripts/bench/ingest and scripts/bench/msd-trace: run a command under GNU
time -v, medians, README sections between markers, and the COPY statements and session settings
tracespool sent, read back from the server log."""
import os, re, statistics, subprocess, sys, tempfile, time


def run_measured(cmd, env=None, stdout_to=None, cwd=None):
    """Runs cmd under /usr/bin/time -v. stdout goes to the file stdout_to (or /dev/null when None
    is given as "devnull"); returns dict(wall, rss_kib, user, sys, rc, stdout, stderr)."""
    with tempfile.NamedTemporaryFile(prefix="bench-time-", delete=False) as f:
        timing = f.name
    full = ["/usr/bin/time", "-v", "-o", timing] + cmd
    e = dict(os.environ)
    if env:
        e.update(env)
    t0 = time.perf_counter()
    if stdout_to == "devnull":
        p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e, cwd=cwd)
        out = b""
    else:
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, cwd=cwd)
        out = p.stdout
    wall = time.perf_counter() - t0
    text = open(timing).read()
    os.unlink(timing)

    def num(label, cast=float):
        m = re.search(re.escape(label) + r": ([0-9.]+)", text)
        return cast(m.group(1)) if m else None

    return {
        "wall": wall,
        "rss_kib": num("Maximum resident set size (kbytes)", int),
        "user": num("User time (seconds)"),
        "sys": num("System time (seconds)"),
        "rc": p.returncode,
        "stdout": out.decode("utf-8", "replace"),
        "stderr": p.stderr.decode("utf-8", "replace")[-4000:],
    }


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def write_readme_section(readme, name, body):
    """Replaces the text between <!-- bench:NAME:start --> and <!-- bench:NAME:end --> in readme;
    appends the markers at the very end when absent. Touches nothing else."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = open(readme, encoding="utf-8").read()
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text and text.index(start) < text.index(end):
        i, j = text.index(start), text.index(end) + len(end)
        text = text[:i] + block + text[j:]
    else:
        if not text.endswith("\n"):
            text += "\n"
        text += "\n" + block + "\n"
    with open(readme, "w", encoding="utf-8") as f:
        f.write(text)


def fmt_s(x):
    return "—" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.1f}")


def fmt_mib(kib):
    return "—" if kib is None else f"{kib / 1024:.1f}"


def fmt_rate(rows, wall):
    if not rows or not wall:
        return "—"
    r = rows / wall
    return f"{r / 1e6:.2f} M" if r >= 1e6 else f"{r / 1e3:.0f} k"


def logged_copies(text):
    """The `COPY (select) TO STDOUT` statements in a stretch of a PostgreSQL server log (stderr
    format, log_statement=all), in the order sent, and the session settings tracespool's reader
    connections made (`SET LOCAL …`, except the statement timeout) as {name: value}."""
    # The server log indents every continuation line of a statement with a tab.
    stmts = [m.group(1).replace("\n\t", "\n")
             for m in re.finditer(r"statement: COPY \(\n\t(.*?)\n\t\) TO STDOUT\n", text, re.S)]
    settings = {}
    for m in re.finditer(r"statement: SET LOCAL (\w+) = (.+)\n", text):
        if m.group(1) != "statement_timeout":
            settings[m.group(1)] = m.group(2).strip().strip("'")
    return stmts, settings


def pgoptions(settings):
    """PGOPTIONS that give a psql or Python peer the same session settings."""
    return " ".join(f"-c {k}={v.replace(' ', chr(92) + ' ')}" for k, v in settings.items())


def die(msg):
    sys.exit(msg)
