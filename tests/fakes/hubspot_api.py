"""A fake HubSpot CRM v3 API on 127.0.0.1 (port 0): keeps contacts, notes and tickets, searches, erases, fails on purpose.

Speaks the shapes of HubSpot's API reference (the same as hubspot-api-client's models):
  POST  /crm/v3/objects/{type}          {"properties", "associations"?: [{"to": {"id"}, "types": [
                                          {"associationCategory", "associationTypeId"}]}]} -> 201 object
  PATCH /crm/v3/objects/{type}/{id}     {"properties"} -> 200 object
  POST  /crm/v3/objects/{type}/search   {"filterGroups": [{"filters": [{"propertyName", "operator", "value"}]}],
                                          "properties"?, "sorts"?, "limit"?} -> 200 {"total", "results"}
  DELETE /crm/v3/objects/{type}/{id}    -> 204 (archived: gone from reads and searches), 404 when there is none
  POST  /crm/v3/objects/contacts/gdpr-delete  {"objectId", "idProperty"?} -> 204: the contact and its
                                          associations permanently deleted; 404 when there is none, 400 for
                                          another shape (an unknown key, a non-string objectId)
An object is {"id", "properties", "createdAt", "updatedAt", "archived"}; errors are
{"status": "error", "message", "correlationId", "category"}. Requests with a wrong
shape, an unknown property or a missing required one get HubSpot's 400, a wrong
token 401. `fail_next` answers the next requests with 429 (+ Retry-After) or 5xx,
optionally after doing the write (an answer lost on the way back).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.fakes import LoopbackAPI

# The properties an account has once the README's setup is done (defaults + Frontdesk's custom ones).
PROPERTIES = {
    "contacts": {"firstname", "lastname", "email", "phone", "mobilephone", "frontdesk_telegram_id", "frontdesk_chat_id"},
    "notes": {"hs_timestamp", "hs_note_body", "hubspot_owner_id", "hs_attachment_ids"},
    "tickets": {"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hubspot_owner_id"},
}
REQUIRED = {"notes": {"hs_timestamp"}, "tickets": {"subject", "hs_pipeline_stage"}}
ASSOCIATION_TYPES = {("notes", 202), ("tickets", 16)}  # note -> contact, ticket -> contact
OPERATORS = {"EQ", "NEQ", "CONTAINS_TOKEN", "HAS_PROPERTY"}


class BadShape(ValueError):
    pass


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    after_write: bool = False


@dataclass
class Request:
    method: str
    path: str
    body: dict
    status: int = 0
    at: float = field(default_factory=time.time)


class FakeHubSpotAPI(LoopbackAPI):
    def __init__(self, token: str) -> None:
        super().__init__()
        base = self.server.RequestHandlerClass
        api = self

        class Handler(base):  # LoopbackAPI answers POST; HubSpot updates with PATCH
            def do_PATCH(self) -> None:
                api.handle(self)

            def do_GET(self) -> None:
                api.handle(self)

            def do_DELETE(self) -> None:
                api.handle(self)

        self.server.RequestHandlerClass = Handler
        self.token = token
        self.objects: dict[str, dict[str, dict]] = {kind: {} for kind in PROPERTIES}
        self.associations: dict[str, dict[str, list[tuple[str, int]]]] = {kind: {} for kind in PROPERTIES}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lost_creates: list[str] = []
        self.archived: dict[str, list[str]] = {kind: [] for kind in PROPERTIES}  # ids archived with DELETE
        self.gdpr_deleted: list[dict] = []  # the contacts permanently deleted (their properties, id)
        self.unsearchable: set[str] = set()  # properties a search may not filter on (400)
        self._lock = threading.Lock()
        self._next_id = 1000

    # --- for tests ---
    def fail_next(self, count: int, status: int = 500, retry_after: int | None = None, after_write: bool = False) -> None:
        with self._lock:
            self.faults.extend([Fault(status, retry_after, after_write)] * count)

    def lose_answer_of_next_create(self, kind: str) -> None:
        """The next create of `kind` is done, but answered 502 (the answer lost on the way back)."""
        with self._lock:
            self.lost_creates.append(kind)

    def contacts(self) -> list[dict]:
        with self._lock:
            return [dict(o["properties"], id=oid) for oid, o in self.objects["contacts"].items()]

    def notes_of(self, contact_id: str) -> list[dict]:
        return self._of("notes", contact_id)

    def tickets_of(self, contact_id: str) -> list[dict]:
        return self._of("tickets", contact_id)

    def _of(self, kind: str, contact_id: str) -> list[dict]:
        with self._lock:
            return [dict(o["properties"], id=oid) for oid, o in self.objects[kind].items()
                    if any(to == contact_id for to, _ in self.associations[kind].get(oid, []))]

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self.objects[kind])

    # --- the API ---
    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        request = Request(handler.command, handler.path, body if isinstance(body, dict) else {})
        with self._lock:
            self.requests.append(request)
            fault = self.faults.pop(0) if self.faults else None
            path = handler.path.split("?")[0]
            if fault is None and handler.command == "POST" and path.removeprefix("/crm/v3/objects/") in self.lost_creates:
                self.lost_creates.remove(path.removeprefix("/crm/v3/objects/"))
                fault = Fault(502, after_write=True)
            if handler.headers.get("Authorization") != f"Bearer {self.token}":
                status, answer = 401, self._error("Authentication credentials not found.", "INVALID_AUTHENTICATION")
            elif fault is not None and not fault.after_write:
                status, answer = fault.status, self._fault_body(fault)
            elif not isinstance(body, dict):
                status, answer = 400, self._error("Invalid input JSON", "VALIDATION_ERROR")
            else:
                try:
                    status, answer = self._route(handler.command, handler.path.split("?")[0], body)
                except BadShape as error:
                    status, answer = 400, self._error(str(error), "VALIDATION_ERROR")
                if fault is not None:  # the write happened, the answer is lost
                    status, answer = fault.status, self._fault_body(fault)
            request.status = status
        headers = {"Retry-After": str(fault.retry_after)} if fault and fault.retry_after is not None and status == 429 else {}
        data = json.dumps(answer).encode() if status != 204 else b""
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _error(message: str, category: str) -> dict:
        return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}

    def _fault_body(self, fault: Fault) -> dict:
        if fault.status == 429:
            return dict(self._error("You have reached your secondly limit.", "RATE_LIMITS"), policyName="SECONDLY")
        return self._error("Internal error", "INTERNAL_ERROR")

    def _route(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        match = re.fullmatch(r"/crm/v3/objects/(\w+)(?:/(gdpr-delete|\w+))?", path)
        if not match or match.group(1) not in PROPERTIES:
            return 404, self._error(f"Unable to infer object type from: {path}", "OBJECT_NOT_FOUND")
        kind, rest = match.groups()
        if method == "POST" and kind == "contacts" and rest == "gdpr-delete":
            return self._gdpr_delete(body)
        if method == "DELETE" and rest:
            if rest not in self.objects[kind]:
                return 404, self._error("resource not found", "OBJECT_NOT_FOUND")
            self._drop(kind, rest)
            self.archived[kind].append(rest)
            return 204, {}
        if method == "POST" and rest is None:
            return 201, self._create(kind, body)
        if method == "POST" and rest == "search":
            return 200, self._search(kind, body)
        if method == "PATCH" and rest:
            if rest not in self.objects[kind]:
                return 404, self._error(f"resource not found", "OBJECT_NOT_FOUND")
            return 200, self._update(kind, rest, body)
        return 405, self._error("Method not allowed", "VALIDATION_ERROR")

    def _gdpr_delete(self, body: dict) -> tuple[int, dict]:
        if set(body) - {"objectId", "idProperty"} or not isinstance(body.get("objectId"), str):
            raise BadShape("PublicGdprDeleteInput: objectId (a string) is required; idProperty is optional")
        prop = body.get("idProperty")
        if prop in (None, "hs_object_id"):
            found = body["objectId"] if body["objectId"] in self.objects["contacts"] else None
        else:
            found = next((oid for oid, o in self.objects["contacts"].items()
                          if o["properties"].get(prop) == body["objectId"]), None)
        if found is None:
            return 404, self._error("resource not found", "OBJECT_NOT_FOUND")
        self.gdpr_deleted.append(dict(self.objects["contacts"][found]["properties"], id=found))
        self._drop("contacts", found)
        for kind in ("notes", "tickets"):  # associations to the contact go with it
            for links in self.associations[kind].values():
                links[:] = [(to, t) for to, t in links if to != found]
        return 204, {}

    def _drop(self, kind: str, object_id: str) -> None:
        del self.objects[kind][object_id]
        self.associations[kind].pop(object_id, None)

    def _properties(self, kind: str, body: dict) -> dict:
        properties = body.get("properties")
        if not isinstance(properties, dict):
            raise BadShape("properties: must be an object")
        unknown = set(properties) - PROPERTIES[kind]
        if unknown:
            raise BadShape(f"Property values were not valid: PROPERTY_DOESNT_EXIST {sorted(unknown)}")
        for name, value in properties.items():
            if not isinstance(value, (str, int, float)) and value is not None:
                raise BadShape(f"Property {name}: must be a string or number")
        return {k: str(v) for k, v in properties.items() if v is not None}

    def _stamp(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())

    def _object(self, kind: str, object_id: str) -> dict:
        obj = self.objects[kind][object_id]
        return {"id": object_id, "properties": dict(obj["properties"]), "createdAt": obj["createdAt"],
                "updatedAt": obj["updatedAt"], "archived": False}

    def _create(self, kind: str, body: dict) -> dict:
        properties = self._properties(kind, body)
        missing = REQUIRED.get(kind, set()) - set(properties)
        if missing:
            raise BadShape(f"missing required properties: {sorted(missing)}")
        links = []
        for item in body.get("associations") or []:
            try:
                to_id = item["to"]["id"]
                types = [(t["associationCategory"], t["associationTypeId"]) for t in item["types"]]
            except (KeyError, TypeError):
                raise BadShape("associations: each needs to.id and types[associationCategory, associationTypeId]") from None
            if not isinstance(to_id, str) or to_id not in self.objects["contacts"]:
                raise BadShape(f"associations: no contact {to_id!r}")
            for category, type_id in types:
                if category != "HUBSPOT_DEFINED" or (kind, type_id) not in ASSOCIATION_TYPES:
                    raise BadShape(f"associations: {category} {type_id} is not valid from {kind} to contacts")
                links.append((to_id, type_id))
        self._next_id += 1
        object_id = str(self._next_id)
        now = self._stamp()
        properties.update(hs_object_id=object_id, createdate=now, lastmodifieddate=now)
        self.objects[kind][object_id] = {"properties": properties, "createdAt": now, "updatedAt": now}
        self.associations[kind][object_id] = links
        return self._object(kind, object_id)

    def _update(self, kind: str, object_id: str, body: dict) -> dict:
        obj = self.objects[kind][object_id]
        obj["properties"].update(self._properties(kind, body))
        obj["updatedAt"] = obj["properties"]["lastmodifieddate"] = self._stamp()
        return self._object(kind, object_id)

    def _search(self, kind: str, body: dict) -> dict:
        groups = body.get("filterGroups", [])
        if not isinstance(groups, list) or len(groups) > 5:
            raise BadShape("filterGroups: a list of at most 5 groups")
        results = []
        for object_id, obj in self.objects[kind].items():
            if not groups or any(all(self._matches(obj["properties"], f) for f in g.get("filters", [])) for g in groups):
                results.append(object_id)
        wanted = body.get("properties") or []
        limit = int(body.get("limit") or 10)
        chosen = sorted(results, key=int)[:limit]
        return {"total": len(results), "results": [
            dict(self._object(kind, oid), properties={k: v for k, v in self.objects[kind][oid]["properties"].items()
                                                      if k in wanted or k in {"hs_object_id", "createdate", "lastmodifieddate"}})
            for oid in chosen]}

    def _matches(self, properties: dict, rule: dict) -> bool:
        try:
            name, operator = rule["propertyName"], rule["operator"]
        except (KeyError, TypeError):
            raise BadShape("filters: each needs propertyName and operator") from None
        if operator not in OPERATORS:
            raise BadShape(f"filters: unknown operator {operator}")
        if name in self.unsearchable:
            raise BadShape(f"filters: {name} cannot be searched")
        value, have = str(rule.get("value", "")), properties.get(name)
        if operator == "HAS_PROPERTY":
            return have is not None
        if operator == "EQ":
            return have is not None and have.lower() == value.lower()
        if operator == "NEQ":
            return have is None or have.lower() != value.lower()
        return have is not None and value.lower() in re.split(r"[^0-9a-z]+", have.lower())
