"""Run a benchmark: ``python -m bench NAME [options]`` (results go to docs/benchmarks.md).

Benchmarks:
  stance   quality and speed of the stance model on the FNC-1 dev split
  ingest   polling cycles of 1,000 feeds (new, 304, slow, broken) from a local server
  pipeline real news text through the whole pipeline: throughput, overhead, alert latency
  embed    embedding backends (torch, onnx, onnx-int8): speed, start, memory, agreement, stance
  vectors  archive search: the numpy scan against pgvector's HNSW index
  desk     the desk set replayed through the pipeline and read back from Slack: matching,
           stance, contradictions, attribution, story grouping (--calibrate fits the decision)
"""

from __future__ import annotations

import sys


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {
        "stance",
        "ingest",
        "pipeline",
        "vectors",
        "embed",
        "desk",
    }:
        print(__doc__)
        sys.exit(2)
    name, rest = sys.argv[1], sys.argv[2:]
    if name == "stance":
        from bench import stance

        stance.main(rest)
    elif name == "embed":
        from bench import embed

        embed.main(rest)
    elif name == "ingest":
        from bench import ingest

        ingest.main(rest)
    elif name == "desk":
        from bench import desk

        desk.main(rest)
    elif name == "vectors":
        from bench import vectors

        vectors.main(rest)
    else:
        from bench import pipeline

        pipeline.main(rest)


if __name__ == "__main__":
    main()
