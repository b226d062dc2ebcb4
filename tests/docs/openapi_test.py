#!/usr/bin/env python3
"""Checks docs/openapi.yaml against the proto and the daemon's routes.

Every message of classifyd/v1/classifier.proto that travels over HTTP has a
schema whose properties are exactly its fields under their JSON names, typed
as protobuf's canonical JSON mapping types them (64-bit integers as strings,
enums by name); every enum lists exactly its values; and every route the
HTTP API registers (daemon/http/http_api.cc) is a documented path.

    openapi_test.py PROTOC SOURCE_DIR
"""
import re
import subprocess
import sys
import tempfile

import yaml
from google.protobuf import descriptor_pb2

FDP = descriptor_pb2.FieldDescriptorProto
# Messages the HTTP API never sends or reads as a body.
NOT_OVER_HTTP = {"ListPluginsRequest"}
SCALARS = {
    FDP.TYPE_STRING: {"type": "string"},
    FDP.TYPE_BOOL: {"type": "boolean"},
    FDP.TYPE_INT32: {"type": "integer", "format": "int32"},
    FDP.TYPE_UINT32: {"type": "integer", "format": "uint32"},
    FDP.TYPE_INT64: {"type": "string", "format": "int64"},
    FDP.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FDP.TYPE_FLOAT: {"type": "number", "format": "float"},
    FDP.TYPE_DOUBLE: {"type": "number", "format": "double"},
}
# Routes of the console, not of the API.
CONSOLE_ROUTES = {"/", "/console/stats"}


def load_proto(protoc, source):
    with tempfile.NamedTemporaryFile(suffix=".pb") as out:
        subprocess.run([protoc, f"--proto_path={source}/proto",
                        f"--descriptor_set_out={out.name}",
                        "classifyd/v1/classifier.proto"], check=True)
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read())
    return files.file[0]


def schema_name(type_name):
    # ".classifyd.v1.PluginInfo.State" -> "PluginInfo.State"
    return type_name.removeprefix(".classifyd.v1.")


def expected_type(field):
    if field.type in (FDP.TYPE_MESSAGE, FDP.TYPE_ENUM):
        value = {"$ref": "#/components/schemas/" + schema_name(field.type_name)}
    else:
        value = dict(SCALARS[field.type])
    if field.label == FDP.LABEL_REPEATED:
        return {"type": "array", "items": value}
    return value


def check_message(message, prefix, schemas, problems):
    name = prefix + message.name
    for enum in message.enum_type:
        check_enum(enum, name + ".", schemas, problems)
    if name in NOT_OVER_HTTP:
        return
    schema = schemas.get(name)
    if schema is None:
        problems.append(f"no schema for message {name}")
        return
    properties = schema.get("properties", {})
    fields = {f.json_name: f for f in message.field}
    for missing in sorted(fields.keys() - properties.keys()):
        problems.append(f"{name}: field {missing} is not documented")
    for extra in sorted(properties.keys() - fields.keys()):
        problems.append(f"{name}: property {extra} is not in the proto")
    for json_name, field in fields.items():
        documented = properties.get(json_name)
        if documented is None:
            continue
        typed = {k: v for k, v in documented.items() if k != "description"}
        if typed != expected_type(field):
            problems.append(f"{name}.{json_name}: documented as {typed}, "
                            f"the JSON mapping gives {expected_type(field)}")
        if "$ref" not in documented and not documented.get("description"):
            problems.append(f"{name}.{json_name}: no description")


def check_enum(enum, prefix, schemas, problems):
    name = prefix + enum.name
    schema = schemas.get(name)
    values = [v.name for v in enum.value]
    if schema is None:
        problems.append(f"no schema for enum {name}")
    elif schema.get("type") != "string" or schema.get("enum") != values:
        problems.append(f"{name}: documented {schema.get('enum')}, proto has {values}")


def check_routes(source, paths, problems):
    code = open(f"{source}/daemon/http/http_api.cc", encoding="utf-8").read()
    routes = [raw or plain for raw, plain in re.findall(
        r'server->(?:Get|Post)\(\s*(?:R"\((.*?)\)"|"([^"]*)")', code)]
    if not routes:
        problems.append("no routes found in daemon/http/http_api.cc")
    for route in routes:
        if route in CONSOLE_ROUTES or route.startswith("/|"):
            continue
        documented = route.replace("([^/]+)", "{name}")
        if documented not in paths:
            problems.append(f"route {route} is not in docs/openapi.yaml")


def main():
    protoc, source = sys.argv[1], sys.argv[2]
    proto = load_proto(protoc, source)
    with open(f"{source}/docs/openapi.yaml", encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    schemas = spec["components"]["schemas"]
    problems = []
    for message in proto.message_type:
        check_message(message, "", schemas, problems)
    check_routes(source, spec["paths"], problems)
    for problem in problems:
        print("openapi:", problem, file=sys.stderr)
    if problems:
        return 1
    print(f"docs/openapi.yaml matches the proto ({len(proto.message_type)} "
          f"messages) and the daemon's routes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
