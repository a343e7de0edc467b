"""The OpenAPI document against a real server process, with schemathesis: requests generated from the
document (valid ones and ones breaking it), each sent with an administrator's token and a rep's.
Every answer must be a status the document lists for that route, with the content type and body it
describes (the API's error form for every refusal), and never a server error.

A bounded budget (MAX_EXAMPLES per route, deterministic), so the file runs in well under a minute."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.server_process import Api, ServerProcess, free_port

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # The rate source is a port nothing listens on: a rate fetch is refused at once (424), never sent out.
    process = ServerProcess(tmp_path_factory.mktemp("server"), None, "--cfets-url", f"http://127.0.0.1:{free_port()}")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def tokens(server):
    """Signed in through the API, as a device would."""
    return {who: Api(server, who) for who in ("admin", "rep.li")}


def into_the_batch(body: dict, device_id: str) -> dict:
    """A generated push made to pass the device check and to carry whole numbers as the desktop writes
    them (JSON Schema counts 5.0 as an integer; the server wants 5), so that it reaches the batch."""
    for item in body["mutations"]:
        for name in ("seq", "base_version"):
            if isinstance(item.get(name), float):
                item[name] = int(item[name])
    return {**body, "device_id": device_id}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_every_answer_is_one_the_document_describes(server, tokens, mode):
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    failures: list[str] = []
    answered: Counter = Counter()

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        label = case.operation.label
        for api in tokens.values():
            if mode is GenerationMode.POSITIVE and label == "POST /v1/push":
                case.body = into_the_batch(case.body, api.device_id)
            response = case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=30,
                                              headers={"Authorization": api.headers["Authorization"]})
            answered[label, response.status_code] += 1

    for found in schema.get_all_operations():
        operation = found.ok()
        try:
            given(case=operation.as_strategy(generation_mode=mode))(check)()
        except Unsatisfiable:  # nothing of this route's can be made invalid (GET /v1/health takes no input)
            continue
        except Exception as exc:  # noqa: BLE001 - every route is tried; all failures are reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    called = {label for label, _status in answered}
    assert len(called) == (10 if mode is GenerationMode.POSITIVE else 9)  # every route (health: nothing to break)
    if mode is GenerationMode.POSITIVE:
        assert answered["POST /v1/push", 200] and answered["GET /v1/pull", 200]  # the batch and the page were reached


@pytest.mark.parametrize("headers, status", [({}, 200), ({"Range": "bytes=4-"}, 206), ({"Range": "bytes=99-"}, 416),
                                             ({"Range": "pages=1-"}, 400)])
def test_a_real_file_download_is_answered_as_the_document_says(server, tokens, headers, status):
    """Generated names never hit a file that exists: one is uploaded, then fetched whole, in part, and
    with ranges Starlette refuses."""
    rep = tokens["rep.li"]
    sha = rep.upload(b"evidence bytes of a visit photo")
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    case = schema["/v1/blobs/{sha256}"]["GET"].Case(path_parameters={"sha256": sha},
                                                    headers={"Authorization": rep.headers["Authorization"], **headers})
    assert case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=30).status_code == status
