"""Every example in openapi.yaml is valid against the schema beside it (openapi-spec-validator
checks the document's structure, not its examples). Run with the schemathesis venv's python,
which has PyYAML, jsonschema and openapi-schema-validator."""
import sys

import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

path = sys.argv[1] if len(sys.argv) > 1 else "openapi.yaml"
with open(path, encoding="utf-8") as f:
    spec = yaml.safe_load(f)


def absolute(node):
    """The node with its local `$ref`s made absolute, so that they resolve in any sub-schema."""
    if isinstance(node, dict):
        return {k: ("urn:openapi" + v if k == "$ref" and v.startswith("#") else absolute(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [absolute(v) for v in node]
    return node


registry = Registry().with_resource("urn:openapi", Resource(contents=absolute(spec), specification=DRAFT202012))


def resolve(ref):
    node = spec
    for key in ref.removeprefix("#/").split("/"):
        node = node[key]
    return node


def unref(node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(node["$ref"])
    return node


checked, failures = 0, []


def check(where, schema, example):
    global checked
    checked += 1
    try:
        OAS31Validator(absolute(schema), registry=registry, format_checker=OAS31Validator.FORMAT_CHECKER).validate(example)
    except ValidationError as e:
        failures.append(f"{where}: {e.message} at {list(e.absolute_path)}")


def walk_media(where, media):
    schema = media.get("schema")
    if schema is not None and "example" in media:
        check(where, schema, media["example"])
    for name, ex in (media.get("examples") or {}).items():
        check(f"{where} examples.{name}", schema, unref(ex)["value"])


def walk_schema(where, schema):
    if isinstance(schema, dict):
        if "example" in schema and "$ref" not in schema:
            check(where, schema, schema["example"])
        for k, v in schema.items():
            if k != "example":
                walk_schema(f"{where}.{k}", v)
    elif isinstance(schema, list):
        for i, v in enumerate(schema):
            walk_schema(f"{where}[{i}]", v)


for pth, item in spec["paths"].items():
    for method, op in item.items():
        if method == "parameters":
            continue
        for param in [unref(p) for p in op.get("parameters", []) + item.get("parameters", [])]:
            if "example" in param:
                check(f"{method.upper()} {pth} parameter {param['name']}", param["schema"], param["example"])
        body = unref(op.get("requestBody", {}))
        for mt, media in (body.get("content") or {}).items():
            walk_media(f"{method.upper()} {pth} request {mt}", media)
        for code, resp in op["responses"].items():
            for mt, media in (unref(resp).get("content") or {}).items():
                walk_media(f"{method.upper()} {pth} {code} {mt}", media)
for name, resp in spec["components"].get("responses", {}).items():
    for mt, media in (resp.get("content") or {}).items():
        walk_media(f"components.responses.{name} {mt}", media)
walk_schema("components.schemas", spec["components"]["schemas"])

for f in failures:
    print(f, file=sys.stderr)
if failures or not checked:
    sys.exit(f"{len(failures)} of {checked} examples in {path} do not match their schemas")
print(f"{path}: {checked} examples match their schemas")
