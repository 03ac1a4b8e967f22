"""A yardstick, not part of the service: the smallest typical Python boto3 Lambda function doing
the GetItem that get-certification does, for `scripts/cold-start.py --peer`.

The handler is what a Python function would look like (client created at module level, one
GetItem per request). Below it, a bare Runtime API loop stands in for Lambda's Python runtime
(awslambdaric), so the process speaks to the same fake Runtime API as the Rust binaries. The real
runtime does a little more at start-up, so this flatters the peer slightly.
"""

import json
import os
import urllib.request

import boto3

TABLE = os.environ["TABLE_NAME"]
dynamodb = boto3.client("dynamodb")  # Endpoint, region, credentials and CA bundle from the environment.


def handler(event, _context):
    cert_id = event["pathParameters"]["id"]
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": cert_id}}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": ""}
    body = {k: next(iter(v.values())) for k, v in item.items()}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def main():
    api = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime/invocation"
    while True:
        with urllib.request.urlopen(f"{api}/next") as r:
            request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
            event = json.loads(r.read())
        result = json.dumps(handler(event, None)).encode()
        urllib.request.urlopen(urllib.request.Request(f"{api}/{request_id}/response", data=result, method="POST")).read()


if __name__ == "__main__":
    main()
