#!/usr/bin/python3
"""Classifies one document with classifyd and prints its labels.

    classify.py [--addr HOST:PORT] [--plugin NAME]... TEXT

Prints one line per label, best first: name, score and the classifier that
gave it, and "(low confidence)" after the one label returned when none
reached the server's min_score. A document the server refuses exits 1 with
the server's reason.

The channel carries a service config with a retry policy: a call that fails
with UNAVAILABLE (the daemon is starting and has no classifier ready yet, or
a connection broke) or CANCELLED (it reached a daemon that was stopping) is
retried with exponential backoff, within the call's deadline. Classify has
no side effects, so retrying it is safe.
"""

import argparse
import json
import os
import sys

import grpc

try:
    from classifyd.v1 import classifier_pb2, classifier_pb2_grpc
except ImportError:
    sys.exit("classify.py: the generated classifyd.v1 Python modules are not "
             "on PYTHONPATH; build the project and set "
             "PYTHONPATH=build/release/clients/python")

# The policy docs/scale-out.md recommends: these methods have no side
# effects, and CANCELLED is what a call sent to a daemon that has begun to
# drain can get.
SERVICE_CONFIG = json.dumps({
    "methodConfig": [{
        "name": [
            {"service": "classifyd.v1.Classifier", "method": "Classify"},
            {"service": "classifyd.v1.Classifier", "method": "ClassifyBatch"},
            {"service": "classifyd.v1.Classifier", "method": "ListPlugins"},
        ],
        "retryPolicy": {
            "maxAttempts": 5,
            "initialBackoff": "0.05s",
            "maxBackoff": "1s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"],
        },
    }]
})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("text")
    parser.add_argument("--addr", default=os.environ.get(
        "CLASSIFYD_ADDR", "127.0.0.1:50051"))
    parser.add_argument("--plugin", action="append", default=[],
                        help="run only this classifier (repeatable)")
    parser.add_argument("--timeout", type=float, default=10,
                        help="deadline of the call, retries included")
    args = parser.parse_args()

    options = [("grpc.service_config", SERVICE_CONFIG),
               ("grpc.enable_retries", 1)]
    with grpc.insecure_channel(args.addr, options=options) as channel:
        stub = classifier_pb2_grpc.ClassifierStub(channel)
        request = classifier_pb2.ClassifyRequest(text=args.text,
                                                 plugins=args.plugin)
        try:
            response = stub.Classify(request, timeout=args.timeout)
        except grpc.RpcError as e:
            print(f"classify.py: {e.code().name}: {e.details()}",
                  file=sys.stderr)
            return 1
    for label in response.labels:
        # A best guess under the server's min_score says so.
        note = "\t(low confidence)" if label.low_confidence else ""
        print(f"{label.name}\t{label.score:.3f}\t{label.plugin}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
