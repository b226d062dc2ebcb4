#!/usr/bin/env python3
"""classifyd-peer-python: the server a Python programmer would write instead
of running classifyd: grpcio's synchronous server around the fasttext
module, doing the fastText plugin's per-document work (normalise, split into
characters and word runs, predict). bench/run_bench.sh runs it beside
classifyd so every report shows the ratio. Not a product.

    python_server.py --model FILE.ftz --port-file FILE --stubs DIR
                     [--classifier NAME] [--top-k K] [--threshold T]

--stubs is the directory of the generated classifyd.v1 modules
(<build>/clients/python).
"""
import argparse
import concurrent.futures
import math
import re
import sys
import unicodedata

_CJK = ("\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
        "\uac00-\ud7af\U00020000-\U0002fa1f")
# As plugins/common/text/tokenizer.h: every ideograph, kana or hangul is a
# token; a run of other letters and digits is one; the rest separates.
_TOKEN = re.compile("[%s]|[^\\W_%s]+" % (_CJK, _CJK))


def fasttext_line(text):
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_TOKEN.findall(text))


def serve(args):
    sys.path.insert(0, args.stubs)
    import fasttext
    import grpc
    from classifyd.v1 import classifier_pb2, classifier_pb2_grpc

    fasttext.FastText.eprint = lambda *a, **k: None  # No load-time warning.
    model = fasttext.load_model(args.model)
    prefix = "__label__"

    def answer(request):
        response = classifier_pb2.ClassifyResponse(id=request.id)
        if not request.text:
            response.error.code = grpc.StatusCode.INVALID_ARGUMENT.value[0]
            response.error.message = "text is empty"
            return response
        line = fasttext_line(request.text)
        if not line:
            return response
        names, scores = model.predict(line, k=args.top_k,
                                      threshold=args.threshold)
        for name, score in zip(names, scores):
            response.labels.add(name=name[len(prefix):] if name.startswith(prefix) else name,
                                score=min(float(score), 1.0),
                                plugin=args.classifier)
        return response

    class Peer(classifier_pb2_grpc.ClassifierServicer):
        def Classify(self, request, context):
            return answer(request)

        def ClassifyBatch(self, request, context):
            return classifier_pb2.ClassifyBatchResponse(
                results=[answer(d) for d in request.documents])

        def ClassifyStream(self, requests, context):
            for request in requests:
                yield answer(request)

        def ClassifyBatchStream(self, requests, context):
            for request in requests:
                yield classifier_pb2.ClassifyBatchResponse(
                    results=[answer(d) for d in request.documents])

        def ListPlugins(self, request, context):
            info = classifier_pb2.PluginInfo(
                name=args.classifier, plugin="fasttext",
                state=classifier_pb2.PluginInfo.READY)
            return classifier_pb2.ListPluginsResponse(plugins=[info])

    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=16))
    classifier_pb2_grpc.add_ClassifierServicer_to_server(Peer(), server)
    port = server.add_insecure_port(args.listen)
    if port == 0:
        sys.exit("classifyd-peer-python: cannot listen on %s" % args.listen)
    server.start()
    with open(args.port_file, "w") as f:
        f.write("%d\n" % port)
    server.wait_for_termination()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--classifier", default="news-topics")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.0)
    serve(parser.parse_args())


if __name__ == "__main__":
    main()
