"""The issue's targets, judged from one run's results, and the summary table for the README."""

from __future__ import annotations

from pathlib import Path

VENDOR_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def _rate(result: dict | None) -> float | None:
    return result["rate"] if result else None


def _ratio(ours: float | None, upstream: float | None) -> float | None:
    return ours / upstream if ours and upstream else None


def _dispatch(results: dict, key: str, package: str) -> float | None:
    return _rate((results.get("dispatch", {}).get(key) or {}).get(package))


def _target(name: str, met: bool | None, detail: str) -> dict:
    return {"name": name, "met": bool(met), "detail": detail}


def one_connection_share(results: dict, package: str) -> float | None:
    """Dispatch over one connection as a share of raw smtplib over one: the median of each
    round's own ratio (both measured back to back), else the ratio of the median runs."""
    shares = sorted(results.get("one_connection_shares", {}).get(package) or [])
    if shares:
        return shares[len(shares) // 2]
    raw, ours = _rate(results.get("raw_smtp", {}).get("1")), _dispatch(results, "p1_t1", package)
    return ours / raw if raw and ours else None


def evaluate(results: dict) -> list[dict]:
    """One entry per target of the issue, with the numbers it was judged on."""
    targets = []
    sm = results.get("send_many", {})
    ratio = _ratio(_rate(sm.get("ours")), _rate(sm.get("upstream")))
    cpu = _ratio(*(((sm.get(p) or {}).get("cpu_us_per_email")) for p in ("upstream", "ours")))
    targets.append(_target("send_many >= 5x django-post_office", ratio and ratio >= 5,
                           (f"x{ratio:.2f}" if ratio else "no data") + (f"; CPU per email x{cpu:.2f}" if cpu else "")))
    for key, what in (("p1_t5", "1 process"), ("p2_t5", "2 processes")):
        ratio = _ratio(_dispatch(results, key, "ours"), _dispatch(results, key, "upstream"))
        runs = results.get("dispatch", {}).get(key) or {}
        cpu = _ratio(*(((runs.get(p) or {}).get("cpu_ms_per_email")) for p in ("upstream", "ours")))
        targets.append(_target(f"dispatch ({what}) >= 2x django-post_office", ratio and ratio >= 2,
                               (f"x{ratio:.2f}" if ratio else "no data")
                               + (f"; dispatcher CPU per email x{cpu:.2f}" if cpu else "")))
    raw1 = _rate(results.get("raw_smtp", {}).get("1"))
    raw2 = _rate(results.get("raw_smtp", {}).get("2"))
    one_conn = _dispatch(results, "p1_t1", "ours")
    share = one_connection_share(results, "ours")
    if share is not None:
        rounds = ", ".join(f"{s:.0%}" for s in sorted(results.get("one_connection_shares", {}).get("ours", [])))
        targets.append(_target("dispatch over one connection >= 80% of raw smtplib over one connection",
                               share >= 0.8, f"median of rounds {share:.0%} (rounds: {rounds or 'n/a'}); "
                               f"median runs {one_conn or 0:.0f}/s vs raw {raw1 or 0:.0f}/s"))
    p1, p2 = _dispatch(results, "p1_t5", "ours"), _dispatch(results, "p2_t5", "ours")
    if p1 and p2 and raw2:
        saturated = p1 >= 0.8 * raw2
        grows = p2 >= 1.05 * p1
        targets.append(_target("dispatch grows with processes until the sink saturates", grows or saturated,
                               f"1 process {p1:.0f}/s, 2 processes {p2:.0f}/s (x{p2 / p1:.2f}); "
                               f"sink with 2 raw connections {raw2:.0f}/s"))
    rss = results.get("rss", {})
    if len(rss) == 2 and all(rss.values()):
        (small_n, small), (large_n, large) = sorted(rss.items(), key=lambda item: int(item[0]))
        growth = large["maxrss_kb"] / small["maxrss_kb"] - 1
        targets.append(_target(f"peak RSS dispatching {int(large_n):,} within 10% of {int(small_n):,}",
                               growth <= 0.10, f"{small['maxrss_kb'] / 1024:.1f} MB -> "
                               f"{large['maxrss_kb'] / 1024:.1f} MB ({growth:+.1%})"))
    queries = [(int(batch), out["ours"]) for batch, out in results.get("queries", {}).items() if out.get("ours")]
    if queries:
        queries.sort()
        per_email = [q["per_email_excl_log_inserts"] for _, q in queries]
        low = all(value <= 0.05 for value in per_email)
        flat = all(later <= earlier + 1e-9 for earlier, later in zip(per_email, per_email[1:], strict=False))
        detail = ", ".join(f"{batch}: {q['per_email_excl_log_inserts']:.4f} ({q['queries'] - q['log_inserts']} "
                           f"queries + {q['log_inserts']} log insert(s))" for batch, q in queries)
        targets.append(_target("queries per dispatched email <= 0.05 (excl. log inserts)", low, detail))
        targets.append(_target("queries per dispatched email flat as BATCH_SIZE grows", flat,
                               "queries per batch excl. log inserts: "
                               + ", ".join(str(q["queries"] - q["log_inserts"]) for _, q in queries)))
    return targets


def _fmt(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def write_summary(all_results: dict, path: Path) -> None:
    vendors = list(all_results)
    header = "| workload | " + " | ".join(
        f"{VENDOR_NAMES.get(v, v)}: ours | {VENDOR_NAMES.get(v, v)}: 3.12 | ratio" for v in vendors) + " |"
    lines = [header, "|" + " --- |" * (1 + 3 * len(vendors))]

    def row(label: str, cells) -> None:
        lines.append(f"| {label} | " + " | ".join(" | ".join(cells(all_results[v])) for v in vendors) + " |")

    def rate_row(label: str, get) -> None:
        def cells(res):
            ours, up = get(res, "ours"), get(res, "upstream")
            return [_fmt(ours), _fmt(up), _x(_ratio(ours, up))]
        row(label, cells)

    any_res = next(iter(all_results.values()))
    sizes = any_res["sizes"]
    rate_row(f"`mail.send`, {sizes['ENQUEUE_N']:,} emails (emails/s)", lambda r, p: _rate(r["enqueue"].get(p)))
    rate_row(f"`send_many` of {sizes['SEND_MANY_N']:,} (emails/s)", lambda r, p: _rate(r["send_many"].get(p)))
    rate_row(f"templated `mail.send`, {sizes['TEMPLATED_N']:,} (emails/s)",
             lambda r, p: _rate(r["templated"].get(p)))
    for key, label in (("p1_t1", "1 process x 1 thread"), ("p1_t5", "1 process x 5 threads"),
                       ("p2_t5", "2 processes x 5 threads")):
        rate_row(f"dispatch {sizes['DISPATCH_N']:,} to SMTP sink, {label} (emails/s)",
                 lambda r, p, key=key: _dispatch(r, key, p))

    rate_row(f"dispatch {sizes['DISPATCH_N']:,}, dummy backend: the dispatcher's own cost (emails/s)",
             lambda r, p: _dispatch(r, "dummy_p1_t5", p))

    def raw_cells(conns):
        def cells(res):
            raw = _rate(res.get("raw_smtp", {}).get(conns))
            return [_fmt(raw), "", "physical limit"]
        return cells

    row("raw smtplib, 1 connection, prebuilt messages (emails/s)", raw_cells("1"))
    row("raw smtplib, 2 connections (sink saturation) (emails/s)", raw_cells("2"))

    def share_cells(res):
        ours, up = one_connection_share(res, "ours"), one_connection_share(res, "upstream")
        return [_fmt(ours and 100 * ours) + "%", _fmt(up and 100 * up) + "%", ""]
    row("dispatch over 1 connection as % of raw smtplib over 1 connection (median of rounds)", share_cells)

    for batch in any_res.get("queries", {}):
        def q_cells(res, batch=batch):
            out = res.get("queries", {}).get(batch, {})
            ours, up = out.get("ours"), out.get("upstream")
            return [_fmt(ours and ours["per_email_excl_log_inserts"], 4),
                    _fmt(up and up["per_email_excl_log_inserts"], 4), ""]
        row(f"queries per dispatched email, BATCH_SIZE {batch} (excl. log inserts)", q_cells)

    for n in any_res.get("rss", {}):
        def rss_cells(res, n=n):
            out = res.get("rss", {}).get(n)
            return [_fmt(out and out["maxrss_kb"] / 1024, 1) + " MB", "", ""]
        row(f"peak RSS of the dispatcher, {int(n):,} queued emails (dummy backend)", rss_cells)

    lines += ["", "CPU time per email of the measuring process (µs; lower is better; speedup = 3.12 / ours). "
              "Less sensitive to other load on the machine than the rates above; on PostgreSQL it leaves out "
              "the server's own CPU, on SQLite it includes the database work.", ""]
    lines.append("| workload | " + " | ".join(
        f"{VENDOR_NAMES.get(v, v)}: ours | {VENDOR_NAMES.get(v, v)}: 3.12 | speedup" for v in vendors) + " |")
    lines.append("|" + " --- |" * (1 + 3 * len(vendors)))

    def cpu_row(label: str, get) -> None:
        def cells(res):
            ours, up = get(res, "ours"), get(res, "upstream")
            return [_fmt(ours), _fmt(up), _x(_ratio(up, ours))]
        row(label, cells)

    for key, label in (("enqueue", "`mail.send`"), ("send_many", "`send_many`"),
                       ("templated", "templated `mail.send`")):
        cpu_row(label, lambda r, p, key=key: (r[key].get(p) or {}).get("cpu_us_per_email"))
    for key, label in (("p1_t5", "dispatch to SMTP sink, 1 process x 5 threads"),
                       ("p2_t5", "dispatch to SMTP sink, 2 processes x 5 threads"),
                       ("dummy_p1_t5", "dispatch, dummy backend")):
        def get(r, p, key=key):
            cpu = ((r.get("dispatch", {}).get(key) or {}).get(p) or {}).get("cpu_ms_per_email")
            return cpu * 1000 if cpu else None
        cpu_row(label, get)

    lines.append("")
    for vendor in vendors:
        lines.append(f"Targets on {VENDOR_NAMES.get(vendor, vendor)}:")
        lines.append("")
        for target in all_results[vendor].get("targets", []):
            lines.append(f"- {'met' if target['met'] else '**missed**'}: {target['name']} ({target['detail']})")
        lines.append("")
    if any(res.get("quick") for res in all_results.values()):
        lines.append("**QUICK run: smoke-test sizes, not the issue's; the targets above are only indicative.**")
        lines.append("")
    lines.append("Ratios are ours / django-post_office 3.12.0, measured in the same run on the same machine "
                 "(2 shared cores: absolute figures are noisy, the ratios are what count). Both packages run "
                 "with the same settings (BATCH_SIZE 100, THREADS_PER_PROCESS 5 unless stated, LOG_LEVEL 2, "
                 "MESSAGE_ID_ENABLED) and the same workload script (`bench/workload.py`). Dispatch is timed around "
                 "`send_queued_mail` in a fresh process (Django start-up excluded); every dispatched email is "
                 "checked to have "
                 "arrived at the sink exactly once. The RSS runs use Django's dummy email backend so 100,000 "
                 "emails stay affordable; they measure the dispatcher, not the network.")
    path.write_text("\n".join(lines) + "\n")
