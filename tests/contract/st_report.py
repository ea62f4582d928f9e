"""Schemathesis results for the partner-contract check (run.sh): failures grouped by check and
operation, from the JUnit report, and one last line of counts for the summary:

    python st_report.py REPORT_DIR OUTPUT_TXT
    ... grouped failures ...
    <operations tested> <operations failing> <failures> <test cases generated>
"""

import collections
import glob
import re
import sys
import xml.etree.ElementTree as ET


def main(report_dir: str, output: str) -> int:
    files = sorted(glob.glob(f"{report_dir}/junit*.xml"))
    if not files:
        print("no JUnit report")
        print("? ? ? ?")
        return 1
    root = ET.parse(files[-1]).getroot()
    groups: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    tested = failing = failures = 0
    for case in root.iter("testcase"):
        tested += 1
        texts = [(f.text or "") for f in list(case.iter("failure")) + list(case.iter("error"))]
        if not texts:
            continue
        failing += 1
        for text in texts:
            checks = re.findall(r"^- (ST\d+ [^\n]+|[A-Z][^\n]+)$", text, re.M) or ["error"]
            for check in checks:
                groups[check.strip()][case.get("name", "?")] += 1
                failures += 1
    for check in sorted(groups):
        ops = groups[check]
        print(f"  {check}: {sum(ops.values())}")
        for op, n in sorted(ops.items()):
            print(f"      {op}" + (f" ({n})" if n > 1 else ""))
    generated = "?"
    try:
        m = re.search(r"(\d+) generated", open(output, encoding="utf-8", errors="replace").read())
        generated = m.group(1) if m else "?"
    except OSError:
        pass
    print(f"{tested} {failing} {failures} {generated}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
