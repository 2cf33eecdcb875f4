#!/usr/bin/env python3
"""Reads `journalctl -o json` lines on stdin (helper of scripts/systemd-e2e.sh).

journal_field.py FIELD VALUE [FIELD VALUE ...]
                               exit 0 and describe the first entry whose every FIELD is its VALUE (a VALUE
                               ending in * matches as a prefix), else exit 1
journal_field.py --summary     one line: how many entries, by _TRANSPORT, and which non-trusted fields occur
"""
import collections
import json
import sys


def entries():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            yield json.loads(line)
        except ValueError:
            continue


def text(value):
    # journalctl prints binary (non-UTF-8 or control-character) values as arrays of bytes.
    if isinstance(value, list):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


def main(argv):
    if argv[1:] == ["--summary"]:
        transports = collections.Counter()
        fields = set()
        count = 0
        for entry in entries():
            count += 1
            transports[text(entry.get("_TRANSPORT"))] += 1
            fields.update(k for k in entry if not k.startswith("_"))
        by = ", ".join(f"{k}:{v}" for k, v in sorted(transports.items()))
        print(f"{count} entries (_TRANSPORT {by or 'none'}); fields: {' '.join(sorted(fields)) or 'none'}")
        return 0
    pairs = list(zip(argv[1::2], argv[2::2]))

    def matches(entry, field, value):
        got = text(entry.get(field)) if field in entry else None
        if got is None:
            return False
        return got.startswith(value[:-1]) if value.endswith("*") else got == value

    for entry in entries():
        if all(matches(entry, field, value) for field, value in pairs):
            keep = ["MESSAGE", "PRIORITY", "_TRANSPORT", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "LOGGER"]
            keep += [field for field, _ in pairs]
            shown = {k: text(entry[k]) for k in dict.fromkeys(keep) if k in entry}
            wanted = " ".join(f"{field}={value}" for field, value in pairs)
            print(f"{wanted} in {json.dumps(shown, ensure_ascii=False)}")
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
