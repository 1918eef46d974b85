"""The audit's outputs: ``audit.json`` for machines, ``report.md`` and ``report.html`` for people.

Both reports have the same sections: verdict, violations (each naming the field to fix),
results per control (every control of the three catalogues, with the policies that
implement it or the reason it is organisational), the estate map, connectivity, and the
policy catalogue.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from html import escape
from typing import Any

from infra.audit.estate import Estate
from infra.audit.pack import (
    NCSC_ORGANISATIONAL, NDG_ORGANISATIONAL, PACK_NAME, Control, Outcome, Policy, all_controls,
)
from infra.audit.svg import connectivity_svg, estate_svg

AUDIT_VERSION = 1
STATUS_ORDER = {"error": 0, "fail": 1, "pass": 2, "not-applicable": 3, "disabled": 4}


@dataclasses.dataclass
class AuditResult:
    as_of: str
    stacks: dict[str, list[Outcome]]
    resources: dict[str, int]
    policies: tuple[Policy, ...]
    levels: dict[str, str]
    reasons: dict[str, str]
    estate: Estate
    seconds: float = 0.0

    @property
    def findings(self) -> list[tuple[str, Outcome, Any]]:
        return [(stack, o, f) for stack, outcomes in self.stacks.items() for o in outcomes for f in o.findings]

    @property
    def mandatory_violations(self) -> int:
        return sum(1 for _, o, _ in self.findings if o.blocking)

    @property
    def advisory_violations(self) -> int:
        return sum(1 for _, o, _ in self.findings if not o.blocking)

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory_violations else 0

    def aggregate(self, policy_id: str) -> tuple[str, list[str]]:
        """(worst status over stacks, stacks at that status when it is a failure)."""
        statuses = [(stack, o.status) for stack, outcomes in self.stacks.items() for o in outcomes if o.policy.id == policy_id]
        if not statuses:
            return "not-run", []
        checked = [s for s in statuses if s[1] not in ("not-applicable", "disabled")]
        if not checked:
            return statuses[0][1], []
        worst = min((s for _, s in checked), key=lambda s: STATUS_ORDER[s])
        return worst, [stack for stack, s in checked if s == worst and s in ("fail", "error")]


def controls_index(policies: tuple[Policy, ...]) -> list[tuple[Control, list[Policy]]]:
    by_key: dict[str, list[Policy]] = defaultdict(list)
    for policy in policies:
        for control in policy.controls:
            by_key[control.key].append(policy)
    return [(control, by_key.get(control.key, [])) for control in all_controls()]


def organisational_reason(control: Control) -> str:
    if control.framework == "NCSC":
        return NCSC_ORGANISATIONAL.get(control.ref, "")
    if control.framework == "DSPT":
        return NDG_ORGANISATIONAL.get(control.ref, "")
    return ""


def audit_document(result: AuditResult) -> dict[str, Any]:
    by_id = {p.id: p for p in result.policies}
    findings = [
        {
            "stack": stack,
            "policy": finding.policy,
            "resource": finding.resource,
            "urn": finding.urn,
            "severity": outcome.policy.severity,
            "level": outcome.level,
            "message": finding.message,
            "controls": [c.key for c in by_id[finding.policy].controls],
        }
        for stack, outcome, finding in result.findings
    ]
    findings.sort(key=lambda f: (f["level"] != "mandatory", f["stack"], f["policy"], f["resource"]))
    counts: dict[str, int] = defaultdict(int)
    for outcomes in result.stacks.values():
        for outcome in outcomes:
            counts[outcome.status] += 1
    return {
        "auditVersion": AUDIT_VERSION,
        "pack": PACK_NAME,
        "asOf": result.as_of,
        "stacks": sorted(result.stacks),
        "summary": {
            "verdict": "fail" if result.exit_code else "pass",
            "exitCode": result.exit_code,
            "mandatoryViolations": result.mandatory_violations,
            "advisoryViolations": result.advisory_violations,
            "resources": sum(result.resources.values()),
            "results": dict(sorted(counts.items())),
            "seconds": round(result.seconds, 3),
        },
        "findings": findings,
        "results": [
            {
                "stack": stack, "policy": o.policy.id, "family": o.policy.family, "kind": o.policy.kind,
                "severity": o.policy.severity, "level": o.level, "status": o.status, "checked": o.checked,
                "violations": len(o.findings), "reason": o.reason,
            }
            for stack, outcomes in sorted(result.stacks.items()) for o in outcomes
        ],
        "policies": [
            {
                "id": p.id, "family": p.family, "kind": p.kind, "severity": p.severity, "level": result.levels[p.id],
                "levelReason": result.reasons.get(p.id, ""), "description": p.description,
                "remediation": p.remediation, "controls": [{"key": c.key, "label": c.label} for c in p.controls],
                "engineNote": p.engine_note,
            }
            for p in result.policies
        ],
        "estate": {
            "clusters": [dataclasses.asdict(c) for c in sorted(result.estate.clusters.values(), key=lambda c: c.name)],
            "trusts": [dataclasses.asdict(t) for t in sorted(result.estate.trusts.values(), key=lambda t: t.ods)],
            "agreements": [
                {**dataclasses.asdict(a), "clusters": sorted(a.clusters)}
                for a in sorted(result.estate.agreements.values(), key=lambda a: a.id)
            ],
            "crossTrustFlows": [
                {"cluster": conn.cluster, "from": f.source, "to": f.target, "ports": f.ports,
                 "agreement": f.agreement, "category": f.category}
                for conn in result.estate.connectivity for f in conn.flows.values()
                if f.category in ("agreement", "unapproved")
            ],
        },
    }


# ---- Markdown ---------------------------------------------------------------------------

def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _status_text(status: str, stacks: list[str]) -> str:
    return f"{status} ({', '.join(stacks)})" if stacks else status


def markdown_report(result: AuditResult) -> str:
    doc = audit_document(result)
    summary = doc["summary"]
    lines = [
        f"# Policy audit: {', '.join(doc['stacks'])}",
        "",
        f"**Verdict: {summary['verdict'].upper()}** (exit code {summary['exitCode']}). "
        f"{summary['mandatoryViolations']} mandatory and {summary['advisoryViolations']} advisory violations; "
        f"{len(result.policies)} policies of the `{PACK_NAME}` pack on {summary['resources']} resources, "
        f"agreements judged on {result.as_of}.",
        "",
        "## Violations",
        "",
    ]
    if doc["findings"]:
        lines += ["| Level | Severity | Stack | Policy | Resource | Field to fix |", "|---|---|---|---|---|---|"]
        lines += [f"| {f['level']} | {f['severity']} | {f['stack']} | `{f['policy']}` | {_md(f['resource'])} | "
                  f"{_md(f['message'])} |" for f in doc["findings"]]
    else:
        lines.append("None.")
    lines += ["", "## Controls", "",
              "Every control of the three catalogues, the policies implementing it and their result over the audited "
              "stacks (stacks named where a policy fails).", "",
              "| Control | Policies and result |", "|---|---|"]
    for control, policies in controls_index(result.policies):
        if policies:
            cell = "; ".join(f"`{p.id}`: {_status_text(*result.aggregate(p.id))}" for p in policies)
        else:
            cell = "organisational: " + (organisational_reason(control) or "not covered by an automated policy")
        lines.append(f"| {control.key} {_md(control.title)} | {_md(cell)} |")
    lines += ["", "## Estate", ""]
    estate = result.estate
    for region, clusters in estate.regions.items():
        trusts = sorted(t.ods for t in estate.trusts.values() if t.cluster in {c.name for c in clusters})
        lines.append(f"- **{region}**: clusters {', '.join(c.name for c in clusters)}; "
                     f"{len(trusts)} trusts ({', '.join(trusts)})")
    for agreement in sorted(estate.agreements.values(), key=lambda a: a.id):
        state = "live" if agreement.live else "NOT LIVE"
        lines.append(f"- agreement `{agreement.id}`: {agreement.consumer} retrieves from {agreement.provider} "
                     f"({agreement.services}), expires {agreement.expires_on}, {state}")
    lines += ["", "## Connectivity", "",
              "Flows between trusts derived from the NetworkPolicies (namespace level).", ""]
    cross = doc["estate"]["crossTrustFlows"]
    if cross:
        lines += ["| Cluster | From | To | Ports | Agreement |", "|---|---|---|---|---|"]
        lines += [f"| {c['cluster']} | {c['from']} | {c['to']} | {c['ports']} | {c['agreement'] or '**NONE**'} |"
                  for c in cross]
    else:
        lines.append("No flow between trusts.")
    lines += ["", "## Policies", ""]
    for policy in result.policies:
        lines += [f"### `{policy.id}`", "",
                  f"{policy.description} Severity {policy.severity}, level {result.levels[policy.id]}"
                  f"{' (' + result.reasons[policy.id] + ')' if policy.id in result.reasons else ''}.", "",
                  f"Controls: {', '.join(c.label for c in policy.controls)}.", "",
                  "Remediation:", "", *(f"    {step}" for step in policy.remediation.splitlines()), ""]
    return "\n".join(lines) + "\n"


# ---- HTML -------------------------------------------------------------------------------

CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
.pass{color:#1a7f37}.fail,.error{color:#b42318;font-weight:bold}.not-applicable,.disabled{color:#777}
.mandatory{color:#b42318;font-weight:bold}.advisory{color:#9a6700}
.verdict-pass{background:#dafbe1;padding:8px}.verdict-fail{background:#ffebe9;padding:8px}
code{background:#f6f8fa;padding:0 3px}
.svg{overflow-x:auto;border:1px solid #eee;margin:1em 0}
"""


def _status_html(status: str, stacks: list[str]) -> str:
    extra = f" ({escape(', '.join(stacks))})" if stacks else ""
    return f"<span class='{escape(status)}'>{escape(status)}</span>{extra}"


def html_report(result: AuditResult) -> str:
    doc = audit_document(result)
    summary = doc["summary"]
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Policy audit: {escape(', '.join(doc['stacks']))}</title><style>{CSS}</style></head><body>",
        f"<h1>Policy audit: {escape(', '.join(doc['stacks']))}</h1>",
        f"<p class='verdict-{summary['verdict']}'><b>Verdict: {summary['verdict'].upper()}</b> (exit code "
        f"{summary['exitCode']}). {summary['mandatoryViolations']} mandatory and {summary['advisoryViolations']} "
        f"advisory violations; {len(result.policies)} policies of the <code>{PACK_NAME}</code> pack on "
        f"{summary['resources']} resources; agreements judged on {escape(result.as_of)}.</p>",
        "<h2 id='violations'>Violations</h2>",
    ]
    if doc["findings"]:
        out.append("<table><tr><th>Level</th><th>Severity</th><th>Stack</th><th>Policy</th><th>Resource</th>"
                   "<th>Field to fix</th></tr>")
        for f in doc["findings"]:
            out.append(f"<tr><td class='{f['level']}'>{f['level']}</td><td>{f['severity']}</td><td>{escape(f['stack'])}"
                       f"</td><td><a href='#{f['policy']}'><code>{f['policy']}</code></a></td>"
                       f"<td>{escape(f['resource'])}</td><td>{escape(f['message'])}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    out += ["<h2 id='controls'>Controls</h2>",
            "<p>Every control of the three catalogues, the policies implementing it, and their result over the "
            "audited stacks (stacks named where a policy fails).</p>",
            "<table><tr><th>Control</th><th>Title</th><th>Policies and result</th></tr>"]
    for control, policies in controls_index(result.policies):
        if policies:
            cell = "<br>".join(f"<a href='#{p.id}'><code>{p.id}</code></a>: {_status_html(*result.aggregate(p.id))}"
                               for p in policies)
        else:
            cell = "<i>organisational</i>: " + escape(organisational_reason(control)
                                                       or "not covered by an automated policy")
        out.append(f"<tr id='{control.key}'><td>{control.key}</td><td>{escape(control.title)}</td><td>{cell}</td></tr>")
    out += ["</table>", "<h2 id='estate'>Estate</h2>", f"<div class='svg'>{estate_svg(result.estate)}</div>",
            "<h2 id='connectivity'>Connectivity</h2>",
            "<p>Allowed flows between namespaces, derived from the NetworkPolicies (rows: source, columns: "
            "destination; pod selectors ignored, so a cell may stand for some pods only).</p>"]
    for conn in result.estate.connectivity:
        out += [f"<h3>Cluster {escape(conn.cluster)}</h3>", f"<div class='svg'>{connectivity_svg(conn)}</div>"]
        if conn.external:
            out.append("<details><summary>Flows to and from address blocks</summary><table><tr><th>Namespace</th>"
                       "<th>Direction</th><th>Network</th><th>Ports</th></tr>")
            out += [f"<tr><td>{escape(n)}</td><td>{d}</td><td>{escape(c)}</td><td>{escape(p)}</td></tr>"
                    for n, d, c, p in conn.external]
            out.append("</table></details>")
    cross = doc["estate"]["crossTrustFlows"]
    out.append("<h3>Flows between trusts</h3>")
    if cross:
        out.append("<table><tr><th>Cluster</th><th>From</th><th>To</th><th>Ports</th><th>Agreement</th></tr>")
        out += [f"<tr><td>{escape(c['cluster'])}</td><td>{escape(c['from'])}</td><td>{escape(c['to'])}</td>"
                f"<td>{escape(c['ports'])}</td><td>{escape(c['agreement']) or '<b class=fail>NONE</b>'}</td></tr>"
                for c in cross]
        out.append("</table>")
    else:
        out.append("<p>No flow between trusts.</p>")
    out.append("<h2 id='policies'>Policies</h2>")
    for policy in result.policies:
        status, stacks = result.aggregate(policy.id)
        reason = f" ({escape(result.reasons[policy.id])})" if policy.id in result.reasons else ""
        steps = "".join(f"<li>{escape(step.split('. ', 1)[-1])}</li>" for step in policy.remediation.splitlines())
        out += [f"<h3 id='{policy.id}'><code>{policy.id}</code> {_status_html(status, stacks)}</h3>",
                f"<p>{escape(policy.description)} Severity <b>{policy.severity}</b>, level "
                f"<span class='{result.levels[policy.id]}'>{result.levels[policy.id]}</span>{reason}.</p>",
                f"<p><i>Why:</i> {escape(policy.rationale)}</p>",
                f"<p>Controls: {', '.join(escape(c.label) for c in policy.controls)}.</p>",
                f"<p>Remediation:</p><ol>{steps}</ol>"]
        if policy.engine_note:
            out.append(f"<p><i>Under the Pulumi engine:</i> {escape(policy.engine_note)}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
