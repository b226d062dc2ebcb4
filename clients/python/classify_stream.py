#!/usr/bin/python3
"""Streams a file of documents to classifyd and prints the labels of each.

    classify_stream.py [--addr HOST:PORT] [--text-lines] [--batch N]
                       [--linger-ms MS] [--plugin NAME]... [--language TAG]
                       [FILE]

Each input line is one document: a JSON object {"id": "...", "text": "..."}
(JSON Lines), or, if it does not start with "{" or with --text-lines, the
text itself (its id is then the line number). Reads standard input when FILE
is "-" or missing.

Prints exactly one JSON line per input line, in input order:
    {"id": "7", "labels": [{"name": "sports", "score": 0.97, "plugin": "news-topics"}]}
    {"id": "9", "labels": [{"name": "games", "score": 0.06, "plugin": "news-topics", "low_confidence": true}]}
    {"id": "8", "error": {"code": 3, "message": "line 8: ..."}}
Exit status: 0 if every document was classified, 1 if some had an error,
3 if the stream itself failed or the input could not be read to its end
(the lines read before are still answered).

All documents go over one ClassifyBatchStream call: lines read within
--linger-ms of each other (up to --batch) travel as one message, so the
server classifies them as one batch, and each answer message is unpacked
into one output line per document. The server answers in request order,
which is what lets this program pair answers with lines without buffering
the file: it only remembers the lines still in flight.
"""

import argparse
import collections
import json
import os
import queue
import sys
import threading
import time

import grpc

try:
    from classifyd.v1 import classifier_pb2, classifier_pb2_grpc
except ImportError:
    sys.exit("classify_stream.py: the generated classifyd.v1 Python modules "
             "are not on PYTHONPATH; build the project (./test.sh or "
             "deploy/setup.sh) and set PYTHONPATH=build/release/clients/python")

# gRPC code of a line this program could not turn into a request.
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]


def parse_line(line, number, text_lines):
    """Returns (request, None) for a good line, (None, error message) else."""
    line = line.rstrip("\r\n")
    if not line.strip():
        return None, f"line {number}: blank line"
    if text_lines or not line.lstrip().startswith("{"):
        return classifier_pb2.ClassifyRequest(id=str(number), text=line), None
    try:
        doc = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as e:
        return None, f"line {number}: invalid JSON: {e}"
    if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
        return None, f'line {number}: expected an object with a string "text"'
    try:
        return classifier_pb2.ClassifyRequest(
            id=str(doc.get("id", number)), text=doc["text"]), None
    except UnicodeError as e:  # A lone surrogate escape, say "\ud800".
        return None, f"line {number}: not valid Unicode text: {e}"


# Most text bytes in one message, well under the server's default message
# limit (64 MiB), so that a run of long documents is split into messages
# rather than refused together.
MAX_MESSAGE_TEXT_BYTES = 16 << 20


def batched(requests, max_batch=64, linger=0.001, failure=None):
    """Yields ClassifyBatchRequest messages of the ClassifyRequests that
    `requests` yields: the first of a message waits at most `linger` seconds
    for the others, and a message holds at most `max_batch` documents and
    about MAX_MESSAGE_TEXT_BYTES of text. Order is kept. `requests` is read
    on a thread of its own, so a slow source (a pipe, a user typing) never
    delays a message past its linger. If reading `requests` raises, the
    messages end there and the exception is appended to `failure`."""
    pipe = queue.Queue(maxsize=4 * max_batch)
    end = object()

    def pull():
        try:
            for request in requests:
                pipe.put(request)
        except Exception as e:  # The input could not be read on.
            if failure is not None:
                failure.append(e)
        finally:
            pipe.put(end)

    threading.Thread(target=pull, daemon=True).start()
    carry = None  # Taken from the pipe, not yet in a message.
    while True:
        first = pipe.get() if carry is None else carry
        carry = None
        if first is end:
            return
        batch = classifier_pb2.ClassifyBatchRequest(documents=[first])
        text_bytes = len(first.text.encode())
        due = time.monotonic() + linger
        while len(batch.documents) < max_batch:
            try:
                request = pipe.get(timeout=max(0.0, due - time.monotonic()))
            except queue.Empty:
                break
            size = 0 if request is end else len(request.text.encode())
            if request is end or text_bytes + size > MAX_MESSAGE_TEXT_BYTES:
                carry = request  # It starts the next message, or ends them.
                break
            text_bytes += size
            batch.documents.append(request)
        yield batch


def response_json(response):
    if response.error.code != 0:
        return {"id": response.id,
                "error": {"code": response.error.code,
                          "message": response.error.message}}
    return {"id": response.id,
            "labels": [label_json(l) for l in response.labels]}


def label_json(label):
    out = {"name": label.name, "score": round(label.score, 6),
           "plugin": label.plugin}
    # Only when set: the best guess for a document with no label at the
    # server's min_score.
    if label.low_confidence:
        out["low_confidence"] = True
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", default="-")
    parser.add_argument("--addr", default=os.environ.get(
        "CLASSIFYD_ADDR", "127.0.0.1:50051"))
    parser.add_argument("--connect-timeout", type=float, default=10,
                        help="seconds to wait for the daemon to accept "
                             "connections")
    parser.add_argument("--text-lines", action="store_true",
                        help="every line is plain text, even if it looks "
                             "like JSON")
    parser.add_argument("--batch", type=int, default=64,
                        help="most documents per message (default 64)")
    parser.add_argument("--linger-ms", type=float, default=1.0,
                        help="how long a line waits for others to share its "
                             "message (default 1)")
    parser.add_argument("--plugin", action="append", default=[],
                        metavar="NAME",
                        help="classifier to run; repeat or separate with "
                             "commas for several (default: every ready one)")
    parser.add_argument("--language", default="", metavar="TAG",
                        help="the documents' language as a BCP 47 tag (en, "
                             "zh-Hant), for lines that give none: the server "
                             "then does not detect it")
    args = parser.parse_args()
    plugins = [name for arg in args.plugin for name in arg.split(",") if name]
    # Bytes that are not UTF-8 become U+FFFD, from a file or a pipe alike.
    if args.file == "-":
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
        source = sys.stdin
    else:
        source = open(args.file, encoding="utf-8", errors="replace")

    # One entry per input line, in order: ("sent", None) for a line that
    # went to the server, ("bad", output) for one answered locally. The
    # request generator (run on a gRPC thread) appends; the main thread pops
    # as answers arrive. An entry is always appended before the request of
    # the next line is sent, so when an answer arrives every entry up to it
    # is already here.
    in_flight = collections.deque()
    lock = threading.Lock()

    def requests():
        for number, line in enumerate(source, start=1):
            request, error = parse_line(line, number, args.text_lines)
            with lock:
                if request is None:
                    in_flight.append(("bad", {
                        "id": str(number),
                        "error": {"code": INVALID_ARGUMENT, "message": error}}))
                else:
                    in_flight.append(("sent", None))
            if request is not None:
                request.plugins.extend(plugins)
                if not request.language:
                    request.language = args.language
                yield request

    errors = 0
    failure = []  # Why reading the input stopped early, if it did.
    with grpc.insecure_channel(args.addr) as channel:
        try:
            # A daemon that is still starting is waited for, up to a point,
            # rather than failing the whole file at once.
            grpc.channel_ready_future(channel).result(
                timeout=args.connect_timeout)
        except grpc.FutureTimeoutError:
            print(f"classify_stream.py: cannot connect to {args.addr}",
                  file=sys.stderr)
            return 3
        stub = classifier_pb2_grpc.ClassifierStub(channel)
        try:
            # No deadline: a stream lasts as long as the file does.
            messages = batched(requests(), max(1, args.batch),
                               max(0.0, args.linger_ms) / 1000, failure)
            for answer in stub.ClassifyBatchStream(messages):
                for response in answer.results:
                    errors += flush_local(in_flight, lock)
                    with lock:
                        in_flight.popleft()
                    if response.error.code != 0:
                        errors += 1
                    print(json.dumps(response_json(response),
                                     ensure_ascii=False))
        except grpc.RpcError as e:
            print(f"classify_stream.py: stream failed: {e.code().name}: "
                  f"{e.details()}", file=sys.stderr)
            return 3
    errors += flush_local(in_flight, lock)
    if failure:
        print(f"classify_stream.py: stopped reading the input: "
              f"{type(failure[0]).__name__}: {failure[0]}", file=sys.stderr)
        return 3
    return 1 if errors else 0


def flush_local(in_flight, lock):
    """Prints the locally answered lines at the head of `in_flight`."""
    count = 0
    with lock:
        while in_flight and in_flight[0][0] == "bad":
            print(json.dumps(in_flight.popleft()[1], ensure_ascii=False))
            count += 1
    return count


if __name__ == "__main__":
    sys.exit(main())
