"""JUnit XML: one testcase per gate; a failure carries that gate's blocking findings."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gates.model import Status, Verdict


def render(verdict: Verdict) -> str:
    suite = ET.Element("testsuite", {
        "name": f"gates: {verdict.branch}",
        "tests": str(len(verdict.results)),
        "failures": str(sum(r.status == Status.FAIL for r in verdict.results)),
        "errors": str(sum(r.status == Status.ERROR for r in verdict.results)),
        "skipped": str(sum(r.status == Status.SKIPPED for r in verdict.results)),
        "time": f"{verdict.duration:.3f}",
        "timestamp": verdict.started.rstrip("Z"),
    })
    for r in verdict.results:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"gates.{r.gate}", "name": r.gate, "time": f"{r.duration:.3f}"})
        if r.status == Status.ERROR:
            el = ET.SubElement(case, "error", {"message": r.reason[:500]})
            el.text = r.reason + "\n" + str(r.metrics.get("traceback", ""))
        elif r.status == Status.FAIL:
            blocking = [f for f in r.findings if f.blocking]
            el = ET.SubElement(case, "failure", {
                "message": f"{len(blocking)} blocking finding(s)" if blocking else r.reason})
            el.text = "\n".join(
                f"{f.severity.label:8} {f.location or '-'} [{f.rule}] {f.message}"
                for f in blocking) or r.reason
        elif r.status == Status.SKIPPED:
            ET.SubElement(case, "skipped", {"message": r.reason})
        if not r.blocking and r.status in (Status.FAIL, Status.ERROR):
            ET.SubElement(case, "system-out").text = "this gate does not block the merge"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
