"""The contract every registry honours, as a test base class.

A test module declares what is particular to its registry and inherits the tests::

    class TestOrgUnits(RegistryContract):
        api = "/api/v1/org-units"
        pages = "/admin/org-units"
        resource = "org_unit"
        samples = (
            {"code": "13060203", "name": "竞秀三中队", "kind": "squad", "parent_id": unit("130602")},
            {"code": "13060204", "name": "竞秀四中队", "kind": "squad", "parent_id": unit("130602")},
        )
        update = {"name": "竞秀三中队（改）"}
        invalid = ({"code": "", "name": "无编码", "kind": "squad", "parent_id": unit("130602")}, "code")
        outsider = "lc_dispatcher"
        in_scope = unit("13060201")

Records of the seeded organisation are named by business key (`unit("130602")`, `role("officer")`,
`user("jx_officer")`): the API gets their ids, an Excel import their keys. The `app`, `as_user` and
`browser_as` fixtures run every test on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, ClassVar, Literal

import openpyxl
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.models import OrgUnit, Role, User
from tests.conftest import ClientFactory

CJK = re.compile(r"[\u4e00-\u9fff]")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECRET_FIELDS = frozenset({"password"})


@dataclass(frozen=True)
class Ref:
    """A seeded record named by its business key."""

    kind: Literal["unit", "role", "user"]
    key: str


def unit(code: str) -> Ref:
    return Ref("unit", code)


def role(code: str) -> Ref:
    return Ref("role", code)


def user(username: str) -> Ref:
    return Ref("user", username)


def chinese(text: object) -> bool:
    return bool(CJK.search(str(text)))


class Resolver:
    """Turns sample payloads into API bodies, form fields and Excel cells."""

    _KEYS: ClassVar[dict[str, Any]] = {
        "unit": (OrgUnit, OrgUnit.code),
        "role": (Role, Role.code),
        "user": (User, User.username),
    }

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def id(self, ref: Ref) -> int:
        model, column = self._KEYS[ref.kind]
        with self.app.state.db.sessions() as session:
            found = session.scalar(select(model.id).where(column == ref.key))
        assert found is not None, f"no seeded {ref.kind} {ref.key}"
        return int(found)

    def api(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return self.id(value)
        if isinstance(value, list):
            return [self.api(v) for v in value]
        if isinstance(value, dict):
            return {k: self.api(v) for k, v in value.items()}
        return value

    def cell(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return value.key
        if isinstance(value, list):
            return ",".join(str(self.cell(v)) for v in value)
        if isinstance(value, bool):
            return "是" if value else "否"
        return value

    def form(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """Form fields as a browser posts them: repeated names for lists, ticked boxes only."""
        pairs: list[tuple[str, str]] = []
        for name, value in self.api(payload).items():
            if isinstance(value, list):
                pairs.extend((name, str(v)) for v in value)
            elif isinstance(value, bool):
                if value:
                    pairs.append((name, "true"))
            elif value is not None:
                pairs.append((name, str(value)))
        return pairs


def form_data(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Pairs in the shape the test client posts (a name may repeat)."""
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def _problems(response: Any) -> dict[tuple[Any, ...], str]:
    return {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}


class RegistryContract:
    """Tests every registry gets; subclass it as `Test<Name>` and fill in the class attributes."""

    api: ClassVar[str]
    resource: ClassVar[str]
    samples: ClassVar[tuple[dict[str, Any], dict[str, Any]]]
    update: ClassVar[dict[str, Any]]
    invalid: ClassVar[tuple[dict[str, Any], str]]
    pages: ClassVar[str | None] = None
    user: ClassVar[str] = "admin"
    # A user outside whose scope `in_scope` (or else the first sample once created) lies.
    outsider: ClassVar[str | None] = None
    in_scope: ClassVar[Ref | None] = None
    # A keyword (the `q` parameter) that finds the first sample.
    keyword: ClassVar[str | None] = None

    # --- helpers ----------------------------------------------------------------------------

    def create(self, client: TestClient, resolver: Resolver, index: int = 0) -> dict[str, Any]:
        response = client.post(self.api, json=resolver.api(self.samples[index]))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def assert_holds(self, record: dict[str, Any], payload: dict[str, Any]) -> None:
        for name, value in payload.items():
            if name in SECRET_FIELDS or name not in record:
                continue
            expected = sorted(value) if isinstance(value, list) else value
            got = sorted(record[name]) if isinstance(record[name], list) else record[name]
            assert got == expected, f"{name}: {got!r} != {expected!r}"

    def ids(self, client: TestClient, **params: Any) -> list[int]:
        response = client.get(self.api, params={"limit": 500, **params})
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    def audited(self, app: FastAPI, action: str, resource_id: object = None) -> bool:
        with app.state.db.sessions() as session:
            stmt = select(AuditEntry.id).where(
                AuditEntry.resource == self.resource, AuditEntry.action == action
            )
            if resource_id is not None:
                stmt = stmt.where(AuditEntry.resource_id == str(resource_id))
            return session.scalar(stmt.limit(1)) is not None

    def import_file(self, resolver: Resolver, template: bytes, rows: list[dict[str, Any]]) -> bytes:
        """A workbook under the template's Chinese headers, filled with `rows`."""
        help_sheet = openpyxl.load_workbook(io.BytesIO(template))["填写说明"]
        header_of = {
            str(field): str(header)
            for header, field, *_ in help_sheet.iter_rows(min_row=2, values_only=True)
        }
        headers = list(header_of.values())
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(headers)
        for row in rows:
            by_header = {header_of[k]: resolver.cell(v) for k, v in row.items()}
            sheet.append([by_header.get(h) for h in headers])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def spec_params(self, app: FastAPI) -> dict[str, dict[str, Any]]:
        parameters = app.openapi()["paths"][self.api]["get"]["parameters"]
        return {p["name"]: p["schema"] for p in parameters}

    # --- list --------------------------------------------------------------------------------

    def test_list_pages_and_sorts(self, app: FastAPI, as_user: ClientFactory) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        self.create(client, resolver, 0)
        self.create(client, resolver, 1)
        whole = client.get(self.api).json()
        assert whole["total"] >= 2 and whole["offset"] == 0 and whole["limit"] == 50
        first = client.get(self.api, params={"limit": 1, "offset": 1}).json()
        assert len(first["items"]) == 1 and first["total"] == whole["total"]
        beyond = client.get(self.api, params={"offset": whole["total"]}).json()
        assert beyond["items"] == [] and beyond["total"] == whole["total"]
        sort = self.spec_params(app).get("sort")
        values = next((s["enum"] for s in sort["anyOf"] if "enum" in s), []) if sort else []
        for value in values:
            if value.startswith("-"):
                continue
            ascending = self.ids(client, sort=value)
            assert self.ids(client, sort=f"-{value}") == ascending[::-1], value
            assert len(ascending) == whole["total"]

    def test_enum_filters_keep_what_they_say(self, app: FastAPI, as_user: ClientFactory) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        self.create(client, resolver, 0)
        components = app.openapi()["components"]["schemas"]
        for name, schema in self.spec_params(app).items():
            ref = next((s["$ref"] for s in schema.get("anyOf", []) if "$ref" in s), None)
            choices = components[ref.rsplit("/", 1)[-1]].get("enum", []) if ref else []
            for value in choices:
                items = client.get(self.api, params={name: value, "limit": 500}).json()["items"]
                assert all(item.get(name, value) == value for item in items), (name, value)

    def test_keyword_finds_the_sample(self, app: FastAPI, as_user: ClientFactory) -> None:
        if self.keyword is None:
            return
        client, resolver = as_user(self.user), Resolver(app)
        created = self.create(client, resolver, 0)
        assert created["id"] in self.ids(client, q=self.keyword)
        assert self.ids(client, q="不可能出现的关键字%_") == []

    def test_bad_list_parameters_are_422_in_chinese(self, as_user: ClientFactory) -> None:
        response = as_user(self.user).get(self.api, params={"limit": 0, "sort": "没有这个字段"})
        assert response.status_code == 422
        problems = _problems(response)
        assert chinese(problems[("query", "limit")]) and chinese(problems[("query", "sort")])

    # --- one record ----------------------------------------------------------------------------

    def test_create_get_update_delete(self, app: FastAPI, as_user: ClientFactory) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        created = self.create(client, resolver, 0)
        self.assert_holds(created, resolver.api(self.samples[0]))
        assert not any("hash" in key for key in created), "a secret leaked into the answer"
        url = f"{self.api}/{created['id']}"
        assert client.get(url).json() == created
        changed = client.patch(url, json=resolver.api(self.update))
        assert changed.status_code == 200, changed.text
        self.assert_holds(changed.json(), resolver.api(self.update))
        self.assert_holds(
            changed.json(),
            {k: v for k, v in resolver.api(self.samples[0]).items() if k not in self.update},
        )
        assert client.get(url).json() == changed.json()
        assert client.delete(url).status_code == 204
        gone = client.get(url)
        assert gone.status_code == 404 and chinese(gone.json()["detail"][0]["msg"])
        assert client.delete(url).status_code == 404

    def test_second_sample_is_stored_too(self, app: FastAPI, as_user: ClientFactory) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        first, second = self.create(client, resolver, 0), self.create(client, resolver, 1)
        assert first["id"] != second["id"]
        self.assert_holds(second, resolver.api(self.samples[1]))

    def test_invalid_input_is_422_in_chinese(self, app: FastAPI, as_user: ClientFactory) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        payload, field = self.invalid
        before = client.get(self.api).json()["total"]
        response = client.post(self.api, json=resolver.api(payload))
        assert response.status_code == 422, response.text
        problems = _problems(response)
        assert ("body", field) in problems, problems
        assert chinese(problems[("body", field)])
        assert client.get(self.api).json()["total"] == before
        unknown = client.post(self.api, json={**resolver.api(self.samples[0]), "没有的字段": 1})
        assert unknown.status_code == 422

    def test_out_of_scope_records_are_not_found(self, app: FastAPI, as_user: ClientFactory) -> None:
        if self.outsider is None:
            return
        resolver = Resolver(app)
        record_id = (
            resolver.id(self.in_scope)
            if self.in_scope
            else self.create(as_user(self.user), resolver, 0)["id"]
        )
        owner, outsider = as_user(self.user), as_user(self.outsider)
        url = f"{self.api}/{record_id}"
        assert owner.get(url).status_code == 200
        hidden = outsider.get(url)
        assert hidden.status_code == 404 and chinese(hidden.json()["detail"][0]["msg"])
        missing = outsider.get(f"{self.api}/987654321")
        assert hidden.json()["detail"][0]["msg"] == missing.json()["detail"][0]["msg"]
        assert record_id not in self.ids(outsider)
        assert outsider.patch(url, json=resolver.api(self.update)).status_code in (403, 404)
        assert outsider.delete(url).status_code in (403, 404)
        assert owner.get(url).status_code == 200

    # --- Excel ---------------------------------------------------------------------------------

    def test_import_stores_good_rows_and_reports_the_bad_one(
        self, app: FastAPI, as_user: ClientFactory
    ) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        template = client.get(f"{self.api}/import-template")
        assert template.status_code == 200
        assert template.headers["content-type"].startswith(XLSX)
        payload, field = self.invalid
        content = self.import_file(
            resolver, template.content, [self.samples[0], payload, self.samples[1]]
        )
        files = {"file": ("导入.xlsx", content, XLSX)}
        response = client.post(f"{self.api}/import", files=files)
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["total"], report["stored"], report["failed"]) == (3, 2, 1), report
        [problem] = [p for p in report["errors"] if p["row"] == 3]
        assert problem["field"] == field and chinese(problem["message"]) and problem["header"]
        assert {p["row"] for p in report["errors"]} == {3}
        for record_id, sample in zip(
            report["ids"], (self.samples[0], self.samples[1]), strict=True
        ):
            stored = client.get(f"{self.api}/{record_id}")
            assert stored.status_code == 200
            self.assert_holds(stored.json(), resolver.api(sample))
        assert self.audited(app, "import")

    def test_import_matches_field_names_too(self, app: FastAPI, as_user: ClientFactory) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        assert sheet is not None
        names = list(self.samples[0])
        sheet.append(names)
        sheet.append([resolver.cell(self.samples[0][n]) for n in names])
        buffer = io.BytesIO()
        workbook.save(buffer)
        files = {"file": ("fields.xlsx", buffer.getvalue(), XLSX)}
        report = client.post(f"{self.api}/import", files=files).json()
        assert report["stored"] == 1, report

    def test_a_file_that_is_not_xlsx_is_422_in_chinese(self, as_user: ClientFactory) -> None:
        client = as_user(self.user)
        for content in (b"name,code\n1,2\n", b"PK\x03\x04 not really a zip"):
            files = {"file": ("data.xlsx", content, XLSX)}
            response = client.post(f"{self.api}/import", files=files)
            assert response.status_code == 422, response.text
            problems = _problems(response)
            assert chinese(problems[("body", "file")])

    def test_export_lists_the_filtered_records(self, app: FastAPI, as_user: ClientFactory) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        self.create(client, resolver, 0)
        for params in ({}, {"q": self.keyword} if self.keyword else {"offset": 0}):
            total = client.get(self.api, params=params).json()["total"]
            response = client.get(f"{self.api}/export", params=params)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith(XLSX)
            assert "attachment" in response.headers["content-disposition"]
            sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
            assert all(chinese(h) for h in rows[0]), rows[0]
            assert len(rows) - 1 == total
        assert self.audited(app, "export")

    # --- audit -------------------------------------------------------------------------------

    def test_every_write_is_audited(self, app: FastAPI, as_user: ClientFactory) -> None:
        client, resolver = as_user(self.user), Resolver(app)
        created = self.create(client, resolver, 0)
        url = f"{self.api}/{created['id']}"
        assert self.audited(app, "create", created["id"])
        client.patch(url, json=resolver.api(self.update))
        assert self.audited(app, "update", created["id"])
        client.delete(url)
        assert self.audited(app, "delete", created["id"])
        with app.state.db.sessions() as session:
            details = list(
                session.scalars(
                    select(AuditEntry.detail).where(AuditEntry.resource == self.resource)
                )
            )
        for secret in SECRET_FIELDS:
            value = self.samples[0].get(secret)
            assert value is None or all(str(value) not in str(d) for d in details), "secret audited"

    # --- pages -------------------------------------------------------------------------------

    def test_pages_render(
        self, app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory
    ) -> None:
        if self.pages is None:
            return
        created = self.create(as_user(self.user), Resolver(app), 0)
        browser = browser_as(self.user)
        html = {"Accept": "text/html"}
        for path in ("", f"/{created['id']}", "/new", f"/{created['id']}/edit", "/import"):
            page = browser.get(f"{self.pages}{path}", headers=html)
            assert page.status_code == 200, f"{path}: {page.status_code}"
            assert "page-title" in page.text and chinese(page.text)
        listed = browser.get(self.pages, headers=html).text
        assert f'href="{self.pages}/{created["id"]}"' in listed
        assert f"{self.api}/export" in listed
        rows = browser.get(
            self.pages, headers={**html, "HX-Request": "true", "HX-Target": "crud-rows"}
        )
        assert rows.status_code == 200 and "<html" not in rows.text and "crud-table" in rows.text
        form = browser.get(f"{self.pages}/new", headers=html).text
        assert 'name="csrf_token"' in form
        for name in self.samples[0]:
            assert f'name="{name}"' in form, f"the form has no input {name}"

    def test_page_forms_create_update_and_explain_errors(
        self, app: FastAPI, browser_as: ClientFactory
    ) -> None:
        if self.pages is None:
            return
        browser, resolver = browser_as(self.user), Resolver(app)
        blank = browser.get(f"{self.pages}/new", headers={"Accept": "text/html"}).text
        defaults = _kept(blank, f"{self.pages}/new", self.samples[0])
        sent = form_data(resolver.form(self.samples[0]) + defaults)
        created = browser.post(f"{self.pages}/new", data=sent)
        assert created.status_code == 303, created.text
        location = created.headers["location"]
        detail = browser.get(location, headers={"Accept": "text/html"})
        assert detail.status_code == 200 and "已新建" in detail.text
        payload, field = self.invalid
        refused = browser.post(f"{self.pages}/new", data=form_data(resolver.form(payload)))
        assert refused.status_code == 422
        assert f'id="error-{field}"' in refused.text and "is-invalid" in refused.text
        item = location.split("?")[0]
        edit = browser.get(f"{item}/edit", headers={"Accept": "text/html"}).text
        assert 'name="csrf_token"' in edit
        kept = _kept(edit, f"{item}/edit", self.update)
        saved = browser.post(f"{item}/edit", data=form_data(resolver.form(self.update) + kept))
        assert saved.status_code == 303, saved.text
        record = browser.get(f"{self.api}/{item.rsplit('/', 1)[-1]}").json()
        self.assert_holds(record, resolver.api(self.update))

    def test_page_delete_asks_then_deletes(
        self, app: FastAPI, browser_as: ClientFactory, as_user: ClientFactory
    ) -> None:
        if self.pages is None:
            return
        created = self.create(as_user(self.user), Resolver(app), 1)
        browser = browser_as(self.user)
        item = f"{self.pages}/{created['id']}"
        assert 'id="crud-delete"' in browser.get(item, headers={"Accept": "text/html"}).text
        deleted = browser.post(f"{item}/delete")
        assert deleted.status_code == 303
        assert browser.get(item, headers={"Accept": "text/html"}).status_code == 404


class _FormReader(HTMLParser):
    """What a browser would submit from a form: inputs, ticked boxes, chosen options, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "file"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.pairs.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.pairs.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.pairs.append((self._textarea, data))
            self._textarea = None


def form_values(page_html: str, action: str) -> list[tuple[str, str]]:
    """What a browser would submit, unchanged, from the form of `page_html` posting to `action`."""
    reader = _FormReader()
    reader.feed(page_html.split(f'action="{action}"', 1)[-1].split("</form>", 1)[0])
    return reader.pairs


def _kept(form_html: str, action: str, changed: dict[str, Any]) -> list[tuple[str, str]]:
    """The current values of the form posting to `action`, for the fields `changed` leaves alone."""
    return [(k, v) for k, v in form_values(form_html, action) if k not in changed]
