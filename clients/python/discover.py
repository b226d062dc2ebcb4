#!/usr/bin/python3
"""Discovers classifyd's API through gRPC server reflection and calls it,
like grpcurl, with no generated classifyd code.

    discover.py [--addr HOST:PORT] list
    discover.py [--addr HOST:PORT] describe SERVICE
    discover.py [--addr HOST:PORT] call SERVICE/METHOD JSON

`list` prints the services the server offers, `describe` the methods of one
with their request and response types, and `call` sends one unary request
written in protobuf's JSON mapping and prints the response the same way:

    discover.py call classifyd.v1.Classifier/Classify '{"text": "..."}'

Only the reflection protocol's own messages are generated code
(reflection_pb2, see CMakeLists.txt); everything about classifyd is learned
from the server at run time.
"""

import argparse
import os
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

try:
    import reflection_pb2
    import reflection_pb2_grpc
except ImportError:
    sys.exit("discover.py: the generated reflection modules are not on "
             "PYTHONPATH; build the project and set "
             "PYTHONPATH=build/release/clients/python")


class Reflection:
    """One ServerReflectionInfo stream, asked one question at a time."""

    def __init__(self, channel, timeout):
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        self._requests = _Queue()
        self._responses = stub.ServerReflectionInfo(iter(self._requests),
                                                    timeout=timeout)

    def ask(self, **question):
        self._requests.put(reflection_pb2.ServerReflectionRequest(**question))
        response = next(self._responses)
        if response.HasField("error_response"):
            raise LookupError(response.error_response.error_message)
        return response

    def close(self):
        self._requests.put(None)

    def services(self):
        return [s.name for s in
                self.ask(list_services="*").list_services_response.service]

    def pool_for(self, symbol):
        """A descriptor pool holding `symbol`'s file and its imports."""
        files = {}
        pending = [self.ask(file_containing_symbol=symbol)]
        while pending:
            response = pending.pop()
            for raw in response.file_descriptor_response.file_descriptor_proto:
                proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files.setdefault(proto.name, proto)
            for proto in list(files.values()):
                for dep in proto.dependency:
                    if dep not in files:
                        pending.append(self.ask(file_by_filename=dep))
        pool = descriptor_pool.DescriptorPool()
        added = set()
        # A file can only be added after the files it imports.
        while len(added) < len(files):
            ready = [p for n, p in files.items() if n not in added
                     and all(d in added for d in p.dependency)]
            if not ready:
                raise LookupError("the server's descriptors import each "
                                  "other in a cycle")
            for proto in ready:
                pool.Add(proto)
                added.add(proto.name)
        return pool


class _Queue:
    """A blocking iterator of requests; put(None) ends it."""

    def __init__(self):
        import queue
        self._queue = queue.Queue()

    def put(self, item):
        self._queue.put(item)

    def __iter__(self):
        while (item := self._queue.get()) is not None:
            yield item


def message_class(descriptor):
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(
        descriptor)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--addr", default=os.environ.get(
        "CLASSIFYD_ADDR", "127.0.0.1:50051"))
    parser.add_argument("--timeout", type=float, default=30,
                        help="deadline of each call, in seconds")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list")
    commands.add_parser("describe").add_argument("service")
    call = commands.add_parser("call")
    call.add_argument("method", help="SERVICE/METHOD")
    call.add_argument("json", help="the request in protobuf's JSON mapping")
    args = parser.parse_args()

    with grpc.insecure_channel(args.addr) as channel:
        reflection = Reflection(channel, args.timeout)
        try:
            if args.command == "list":
                for name in reflection.services():
                    print(name)
            elif args.command == "describe":
                service = reflection.pool_for(args.service) \
                    .FindServiceByName(args.service)
                for m in service.methods:
                    stream_in = "stream " if m.client_streaming else ""
                    stream_out = "stream " if m.server_streaming else ""
                    print(f"rpc {m.name}({stream_in}{m.input_type.full_name})"
                          f" returns ({stream_out}{m.output_type.full_name})")
            else:
                service_name, _, method_name = args.method.rpartition("/")
                service = reflection.pool_for(service_name) \
                    .FindServiceByName(service_name)
                method = service.methods_by_name.get(method_name)
                if method is None:
                    sys.exit(f"discover.py: {service_name} has no method "
                             f"{method_name}")
                if method.client_streaming or method.server_streaming:
                    sys.exit(f"discover.py: {args.method} is a streaming "
                             "method; call supports unary methods only")
                request = json_format.Parse(
                    args.json, message_class(method.input_type)())
                response_class = message_class(method.output_type)
                rpc = channel.unary_unary(
                    f"/{service.full_name}/{method.name}",
                    request_serializer=lambda m: m.SerializeToString(),
                    response_deserializer=response_class.FromString)
                response = rpc(request, timeout=args.timeout)
                print(json_format.MessageToJson(response, indent=None,
                                                ensure_ascii=False))
        except LookupError as e:
            sys.exit(f"discover.py: the server does not know it: {e}")
        except json_format.ParseError as e:
            sys.exit(f"discover.py: bad request JSON: {e}")
        except grpc.RpcError as e:
            sys.exit(f"discover.py: {e.code().name}: {e.details()}")
        finally:
            reflection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
