"""The issue's targets, checked against one run's figures, and the table printed at the end."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

HANDFUL_OF_403S = 5

# Why a target can be missed, and what would close it: printed only when it is missed.
WHY = {
    "bound": "8 requests in flight (the client's cap) where 11 fit gives 1.25× at best; the rest "
    "is the sandbox's own CPU per request (its state is scanned, not indexed: mean response "
    "time above the configured latency). Closer: index the sandbox; let the gate go to 10.",
    "conc1": "the concurrency-1 figure is a scaled sample; see its measured time.",
    "plan": "the planner is CPU-bound Python; a loaded machine slows it in proportion.",
    "memory": "the roster (frozen dataclasses) and the snapshot are both held while planning.",
    "ui": "mid-sync gaps are the GUI thread waiting for the interpreter lock behind the "
    "sync's 8 worker threads (Python hands it over every 5 ms); with "
    "sys.setswitchinterval(0.001) they went away in a trial, leaving one gap as the "
    "results of all records are shown at the end. Closer: a 1 ms switch interval in the "
    "GUI app; fill the results table in chunks.",
    "startup": "Qt and the demo sandbox are imported before the first window.",
    "sub": "the sub-account was read page by page (logins and links per person), which the "
    "cost model found clearly quicker than the root's report at this size.",
    "changed": "time outside the report and the writes: parsing, planning, polling the "
    "report (it is seen done up to one poll late) and downloading it.",
    "auto": "the cost model's guess of the job and write times was off for this Canvas; it "
    "learns from each run's timings.",
    "small": "a small school's sync is bounded by the first requests and the check; "
    "see the two wall times.",
    "verify": "records whose write Canvas's answer did not confirm are read back one by one.",
}


@dataclass
class Target:
    item: str
    what: str
    figure: str
    target: str
    met: bool | None  # None: a figure to report, no target
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(
    item: str, what: str, figure: str, target: str, met: bool | None, why: str = ""
) -> Target:
    return Target(item, what, figure, target, met, "" if met in (True, None) else WHY.get(why, ""))


def _verify_targets(s: dict[str, Any]) -> list[Target]:
    """Requests spent checking the writes, against the records written (initial syncs)."""
    out: list[Target] = []
    for label, key in (("API", "initial_api"), ("SIS Import", "initial_sis_import")):
        run = s.get(key) or {}
        phases = run.get("phase_requests")
        written = run.get("records_done") or 0
        if phases is None:
            out.append(
                _check(
                    "9",
                    f"verify requests vs records written ({label})",
                    "not measured",
                    "≤ 1.05×",
                    None,
                )
            )
            continue
        checked = phases.get("verify", 0)
        out.append(
            _check(
                "9",
                f"verify requests vs records written ({label})",
                f"{_ratio(checked, written):.3f}× ({checked} / {written})",
                "≤ 1.05×",
                _ratio(checked, written) <= 1.05,
                "verify",
            )
        )
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def evaluate(r: dict[str, Any]) -> list[Target]:
    out: list[Target] = []
    if "sync" in r:
        s = r["sync"]
        api, one, bound = s["initial_api"], s["initial_api_concurrency_1"], s["lower_bound"]
        ratio = _ratio(api["wall_s"], one["wall_s"])
        multiple = _ratio(api["wall_s"], bound["bound_s"])
        out += [
            _check(
                "1",
                "initial API sync vs concurrency 1",
                f"1/{1 / ratio:.1f}" if ratio else "-",
                "≤ 1/6",
                bool(ratio) and ratio <= 1 / 6,
                "conc1",
            ),
            _check(
                "1",
                "initial API sync vs throttle's lower bound",
                f"{multiple:.2f}×",
                "≤ 1.25×",
                multiple <= 1.25,
                "bound",
            ),
            _check(
                "1",
                "records failed (API)",
                str(api["records_failed"]),
                "0",
                api["records_failed"] == 0,
            ),
            _check(
                "1",
                "403s received (API)",
                str(api["throttled_403"]),
                f"≤ {HANDFUL_OF_403S}",
                api["throttled_403"] <= HANDFUL_OF_403S,
            ),
        ]
        out += _verify_targets(s)
        same = s["resync_unchanged"]
        share = _ratio(same["requests"], api["requests"])
        out += [
            _check("2", "resync unchanged: writes", str(same["writes"]), "0", same["writes"] == 0),
            _check(
                "2",
                "resync unchanged: requests vs initial (root)",
                f"{share:.2%}",
                "≤ 2%",
                share <= 0.02,
            ),
            _check(
                "2",
                "resync unchanged: time vs initial",
                f"{_ratio(same['wall_s'], api['wall_s']):.2%}",
                "-",
                None,
            ),
        ]
        sub = s["resync_unchanged_sub_account"]
        sub_share = _ratio(sub["requests"], api["requests"])
        out.append(
            _check(
                "2",
                "resync unchanged, sub-account: requests vs initial",
                f"{sub_share:.1%} ({sub['read_with']})",
                "≤ 5%",
                sub_share <= 0.05,
                "sub",
            )
        )
        pages = s.get("resync_unchanged_sub_account_pages")
        if pages:
            out.append(
                _check(
                    "2",
                    "… the same read page by page (no report rights)",
                    f"{_ratio(pages['requests'], api['requests']):.0%}",
                    "-",
                    None,
                )
            )
        changed = s["resync_changed"]
        out.append(
            _check(
                "3",
                "resync 1 % changed: writes = changed records",
                f"{changed['writes']} = {changed['changed_records']}",
                "equal",
                changed["writes"] == changed["changed_records"] == changed["planned_writes"],
            )
        )
        least = changed.get("least_s") or 0.0
        changed_ratio = _ratio(changed["wall_s"], least)
        out.append(
            _check(
                "3",
                "resync 1 % changed: time vs (report time + write time)",
                f"{changed_ratio:.2f}× ({changed['wall_s']:.1f} s / {least:.1f} s)",
                "≤ 1.2×",
                bool(least) and changed_ratio <= 1.2,
                "changed",
            )
        )
        auto, sis = s.get("initial_auto"), s["initial_sis_import"]
        if auto:
            better = min(api["wall_s"], sis["wall_s"])
            auto_ratio = _ratio(auto["wall_s"], better)
            out.append(
                _check(
                    "7",
                    "--method auto initial sync vs the better of api / sis-import",
                    f"{auto_ratio:.2f}× ({auto['method']})",
                    "≤ 1.1×",
                    auto_ratio <= 1.1,
                    "auto",
                )
            )
    if "small" in r:
        m = r["small"]
        small_ratio = _ratio(m["ours"]["wall_s"], m["script"]["wall_s"])
        out.append(
            _check(
                "8",
                "370 people at 60 ms: initial sync vs one-call-at-a-time script",
                f"1/{1 / small_ratio:.1f}" if small_ratio else "-",
                "≤ 1/12",
                bool(small_ratio) and small_ratio <= 1 / 12,
                "small",
            )
        )
    if "plan" in r:
        p = r["plan"]
        out += [
            _check(
                "4",
                f"parse roster ({p['people']:,} people)",
                f"{p['parse_s']:.2f} s",
                "≤ 2 s",
                p["parse_s"] <= 2,
                "plan",
            ),
            _check("4", "plan", f"{p['plan_s']:.2f} s", "≤ 1 s", p["plan_s"] <= 1, "plan"),
            _check(
                "4",
                "peak memory",
                f"{p['peak_rss_mb']:.0f} MB",
                "≤ 400 MB",
                p["peak_rss_mb"] <= 400,
                "memory",
            ),
        ]
    if "ui" in r:
        u = r["ui"]
        gaps = [float(g) for g in u.get("runs_longest_gap_ms") or [u["longest_gap_ms"]]]
        met = sum(1 for g in gaps if g <= 50)
        out += [
            _check(
                "5",
                f"longest GUI-thread gap during sync, {len(gaps)} run(s)",
                " ".join(f"{g:.0f}" for g in gaps) + " ms",
                "≤ 50 ms",
                met == len(gaps),
                "ui",
            ),
            _check(
                "5",
                "progress signals reaching the UI",
                f"{u['progress_signals_per_s']}/s",
                "-",
                None,
            ),
        ]
    if "startup" in r:
        st = r["startup"]
        out += [
            _check(
                "6",
                "start-up to first window (median)",
                f"{st['median_s']:.2f} s",
                "≤ 1.5 s",
                st["median_s"] <= 1.5,
                "startup",
            ),
            _check(
                "6",
                "Qt modules imported by the core",
                str(len(st["qt_modules_loaded_by_core"])),
                "0",
                not st["qt_modules_loaded_by_core"],
            ),
        ]
    return out


def _sync_table(s: dict[str, Any]) -> list[str]:
    bound = s["lower_bound"]
    rows = [
        ("initial, API", s["initial_api"]),
        ("initial, API ×1 (scaled)", s["initial_api_concurrency_1"]),
        ("initial, SIS Import", s["initial_sis_import"]),
        ("initial, auto", s.get("initial_auto")),
        ("resync, unchanged", s["resync_unchanged"]),
        ("resync, unchanged, sub-acct (scaled)", s["resync_unchanged_sub_account"]),
        ("… page by page only (scaled)", s.get("resync_unchanged_sub_account_pages")),
        ("resync, 1 % changed", s["resync_changed"]),
    ]
    cost = s.get("job_cost") or ["?", "?"]
    lines = [
        f"Sync of {s['school']}, latency {s['latency_s'] * 1000:.0f} ms; Canvas's reports and "
        f"SIS Imports take {cost[0]} s + {cost[1]} s per 1,000 users/rows (an assumption)",
        f"{'run':38} {'wall s':>8} {'requests':>9} {'writes':>7} {'403s':>5} {'failed':>6} {'mean ms':>8} {'read':>7} {'method':>10} {'load':>10}",
    ]
    for label, f in rows:
        if not f:
            continue
        load = "→".join(f"{x:.1f}" for x in f["load_1min"])
        lines.append(
            f"{label:38} {f['wall_s']:>8.1f} {f['requests']:>9.0f} {f['writes']:>7.0f} {f['throttled_403']:>5.0f} {f['records_failed']:>6} {f['mean_response_ms']:>8.1f} {f.get('read_with', ''):>7} {f.get('method', ''):>10} {load:>10}"
        )
    one = s["initial_api_concurrency_1"]
    lines.append(
        f"(×1 measured {one['measured_wall_s']:.1f} s on a {one['scaled_from_sample']:.0%} sample; sub-account likewise on its sample)"
    )
    lines.append(
        f"Throttle's lower bound: {bound['bound_s']} s (in flight: {bound['in_flight_s']} s at {bound['fits_in_flight']} requests; "
        f"outflow: {bound['outflow_s']} s); at the observed mean latency: {bound['bound_at_observed_latency_s']} s"
    )
    return lines


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"Machine: {m['nproc']} cores, {m['cpu']}, {m['ram_gb']} GB RAM; load at start {m['load_at_start']}; {m['when']}",
        f"Sizes: {r['sizes']}; total {r['total_s']} s",
        "",
    ]
    if "sync" in r:
        lines += [*_sync_table(r["sync"]), ""]
    if "small" in r:
        m = r["small"]
        lines += [
            f"Small school ({m['school']}) at {m['latency_s'] * 1000:.0f} ms: ours "
            f"{m['ours']['wall_s']} s in {m['ours']['requests']} requests "
            f"(read {m['ours'].get('read_with', '?')}), a one-call-at-a-time script "
            f"{m['script']['wall_s']} s in {m['script']['requests']} requests",
            "",
        ]
    if "plan" in r:
        p = r["plan"]
        lines += [
            f"Planning {p['people']:,} people, {p['links']:,} links ({p['roster_mb']} MB roster, {p['changed_records']} changed): "
            f"parse {p['parse_s']} s, report→snapshot {p['snapshot_from_report_s']} s, plan {p['plan_s']} s, peak {p['peak_rss_mb']} MB",
            "",
        ]
    if "ui" in r:
        u = r["ui"]
        lines += [
            f"UI ({u['window']}): {u['school']} at {u['latency_s'] * 1000:.0f} ms in {u['sync_s']} s; "
            f"longest gap {u['longest_gap_ms']} ms, p99 {u['p99_gap_ms']} ms, {u['gaps_over_50ms']} gaps > 50 ms; "
            f"{u['progress_signals_per_s']} progress signals/s; status {u['status']}",
            "",
        ]
    if "startup" in r:
        st = r["startup"]
        lines += [
            f'Start-up to "{st["first_window"]}": runs {st["runs_s"]} s; core: {st["core_modules_imported"]} modules in {st["core_import_s"]} s, Qt modules: {st["qt_modules_loaded_by_core"] or "none"}',
            "",
        ]
    for name, error in r.get("errors", {}).items():
        lines += [f"{name}: FAILED — {error}", ""]
    lines.append(f"{'item':4} {'what':58} {'figure':>16} {'target':>9}  met")
    for t in r["targets"]:
        met = "-" if t["met"] is None else "yes" if t["met"] else "NO"
        lines.append(f"{t['item']:4} {t['what']:58} {t['figure']:>16} {t['target']:>9}  {met}")
        if t["note"]:
            lines.append(f"     why: {t['note']}")
    return "\n".join(lines)
