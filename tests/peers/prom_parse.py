#!/usr/bin/env python3
"""Parses Prometheus text exposition format from stdin with the official Python client's parser
(prometheus_client, an independent implementation) and prints the samples as JSON:
[{"family": .., "type": .., "name": .., "labels": {..}, "value": ..}, ...].
Exit status 1 with the parser's message on stderr if the text does not parse.
"""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    text = sys.stdin.read()
    out = []
    try:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out.append({"family": family.name, "type": family.type, "name": s.name,
                            "labels": dict(s.labels), "value": s.value})
    except Exception as e:  # the parser raises ValueError and friends on malformed input
        print(f"not valid Prometheus text: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
