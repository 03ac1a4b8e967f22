#!/usr/bin/env python3
"""Prints template.yaml with every optional feature switched on through its parameter defaults
(JWT authorizer with a read scope, alarm e-mail, reserved concurrency, names in events), so
cfn-lint and checkov also check the conditional branches the defaults leave off."""
import pathlib
import re
import sys

ON = {
    "AuthIssuerUrl": "https://issuer.example.org/",
    "AuthAudience": "certifications-api",
    "AuthReadScope": "certifications/read",
    "AlarmEmail": "oncall@example.org",
    "ReadsReservedConcurrency": "5",
    "WritesReservedConcurrency": "3",
    "ScanReservedConcurrency": "1",
    "EventsIncludeMentorName": '"true"',
    "AllowedOrigins": "https://app.example.org",
}

text = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml").read_text()
for name, value in ON.items():
    pattern = re.compile(rf"(\n  {name}:\n(?:    .*\n)*?    Default: ).*\n")
    text, n = pattern.subn(lambda m: m.group(1) + value + "\n", text, count=1)
    if n != 1:
        sys.exit(f"template-variant: no Default for parameter {name}")
print(text, end="")
