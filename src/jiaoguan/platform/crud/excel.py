"""Excel (xlsx) import, export and import templates for registries.

Import: the header row is matched by Chinese header or field name; each row goes through the
Create schema and the registry's rules inside its own SAVEPOINT, so a bad row is reported (row
number, field, Chinese reason) and the good rows are stored. Export: the filtered list under the
Chinese column headers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud.fields import Shape, choice_values, shape_of
from jiaoguan.platform.crud.query import ListQuery
from jiaoguan.platform.crud.registry import Registry, attribute
from jiaoguan.platform.crud.service import create_record, iterate_records, savepoint
from jiaoguan.platform.errors import DomainError, Invalid, chinese_message

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
DATA_SHEET = "数据"
HELP_SHEET = "填写说明"
_SPLIT = re.compile(r"[,，、;；\n]+")
_TRUE = {"是", "true", "1", "yes", "y", "t", "启用", "有效", "对"}
_FALSE = {"否", "false", "0", "no", "n", "f", "停用", "无效", "错"}
_HEADER_FILL = PatternFill("solid", fgColor="DCE7F7")
AnyRegistry = Registry[Any, Any, Any, Any]


class ImportProblem(BaseModel):
    row: int = Field(description="Excel 行号（表头为第 1 行）")
    field: str | None = Field(description="出错字段名；整行问题为空")
    header: str | None = Field(description="出错列的表头")
    message: str = Field(description="原因")


class ImportReport(BaseModel):
    total: int = Field(description="读取的数据行数（空行不计）")
    stored: int = Field(description="成功入库的行数")
    failed: int = Field(description="未入库的行数")
    ids: list[int] = Field(description="新记录的编号")
    errors: list[ImportProblem] = Field(description="未入库行的原因")


@dataclass(frozen=True)
class ImportColumn:
    """One column of the import sheet: a field of the Create schema."""

    field: str
    header: str
    required: bool
    shape: Shape
    description: str
    choices: Mapping[Any, str]

    def hint(self) -> str:
        if not self.choices:
            return ""
        return "、".join(
            f"{label}（{value}）" if str(value) != label else label
            for value, label in self.choices.items()
        )


def import_columns(registry: AnyRegistry) -> list[ImportColumn]:
    columns: list[ImportColumn] = []
    for name, info in registry.create_schema.model_fields.items():
        shape = shape_of(info)
        choices = dict(registry.choices.get(name) or {})
        if not choices and name not in registry.import_converters:
            choices = {value: str(value) for value in choice_values(shape)}
        columns.append(
            ImportColumn(
                field=name,
                header=registry.label_of(name),
                required=info.is_required(),
                shape=shape,
                description=info.description or "",
                choices=choices,
            )
        )
    return columns


# --- template ---------------------------------------------------------------------------------


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_template(registry: AnyRegistry) -> bytes:
    """An empty data sheet with the import headers, and a sheet explaining each column."""
    columns = import_columns(registry)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = _HEADER_FILL
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        labels = list(column.choices.values())
        if labels and column.shape.kind != "list" and len(",".join(labels)) < 250:
            rule = DataValidation(type="list", formula1='"' + ",".join(labels) + '"')
            rule.add(f"{letter}2:{letter}{MAX_IMPORT_ROWS + 1}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(HELP_SHEET)
    help_sheet.append(["表头", "字段名", "是否必填", "说明", "可选值"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for column in columns:
        help_sheet.append(
            [
                column.header,
                column.field,
                "必填" if column.required else "选填",
                column.description,
                column.hint(),
            ]
        )
    for letter, width in zip("ABCDE", (18, 16, 10, 40, 50), strict=True):
        help_sheet.column_dimensions[letter].width = width
    return _to_bytes(workbook)


# --- export -----------------------------------------------------------------------------------


def _export_value(registry: AnyRegistry, column: Any, obj: Any) -> Any:
    raw = attribute(obj, column.field)
    plain_number = isinstance(raw, int | float) and not isinstance(raw, bool)
    if plain_number and column.format is None and column.field not in registry.choices:
        return raw
    return registry.display(column, obj)


def _text_cell(sheet: Any, value: Any) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        # Stored text, never a formula: an exported name like "=HYPERLINK(...)" must stay inert.
        cell.data_type = "s"
    return cell


def export_xlsx(
    registry: AnyRegistry, db: Session, principal: Principal, query: ListQuery
) -> tuple[bytes, int]:
    """The filtered list (no page window) as xlsx, audited as "export"; returns (file, rows)."""
    columns = registry.export_columns()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(registry.label[:31])
    for index, column in enumerate(columns, start=1):
        width = max(12, len(column.header) * 2 + 4)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        header.append(cell)
    sheet.append(header)
    rows = 0
    for obj in iterate_records(registry, db, principal, query, registry.max_export_rows):
        sheet.append([_text_cell(sheet, _export_value(registry, c, obj)) for c in columns])
        rows += 1
    detail = {"filters": query.params(), "rows": rows}
    record(db, principal, "export", registry.resource, detail=detail)
    return _to_bytes(workbook), rows


# --- import -----------------------------------------------------------------------------------


def _normalise_header(value: Any) -> str:
    text = str(value or "").strip().replace("（必填）", "").replace("(必填)", "")
    return text.rstrip("*＊ ").strip().lower()


def _read_rows(content: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    """(Excel row number, values) of the first sheet; a file that is no xlsx is a 422."""
    if len(content) > MAX_IMPORT_BYTES:
        raise Invalid("文件过大：单个文件不超过 10 MB", ["file"])
    if not content.startswith(b"PK\x03\x04"):
        raise Invalid("文件不是有效的 Excel（.xlsx）文件；旧版 .xls 请另存为 .xlsx", ["file"])
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # any parse failure of the client's file is the client's problem
        raise Invalid("文件不是有效的 Excel（.xlsx）文件，无法读取", ["file"]) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[tuple[int, tuple[Any, ...]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_IMPORT_ROWS + 1:
                raise Invalid(f"单次最多导入 {MAX_IMPORT_ROWS} 行，请拆分文件", ["file"])
            rows.append((number, tuple(values)))
        return rows
    except DomainError:
        raise
    except Exception:
        raise Invalid("文件内容无法读取，请用模板重新填写后上传", ["file"]) from None
    finally:
        workbook.close()


def _match_headers(
    header_row: tuple[Any, ...], columns: list[ImportColumn]
) -> dict[int, ImportColumn]:
    by_name: dict[str, ImportColumn] = {}
    for column in columns:
        by_name[_normalise_header(column.header)] = column
        by_name[column.field.lower()] = column
    matched: dict[int, ImportColumn] = {}
    for index, value in enumerate(header_row):
        found = by_name.get(_normalise_header(value))
        if found is not None and found not in matched.values():
            matched[index] = found
    if not matched:
        expected = "、".join(c.header for c in columns)
        raise Invalid(f"第 1 行未找到可识别的表头，应为：{expected}", ["file"])
    return matched


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _convert(value: Any, shape: Shape, choices: Mapping[Any, str]) -> Any:
    """An Excel cell value as the schema expects it (text, number, label → code, 是/否)."""
    if shape.kind == "list":
        items = value if isinstance(value, list) else _SPLIT.split(_as_text(value))
        item_shape = shape.item or Shape("str")
        return [_convert(i, item_shape, choices) for i in items if _as_text(i)]
    if isinstance(value, str):
        value = value.strip()
    by_label = {label: code for code, label in choices.items()}
    if shape.kind in ("enum", "choice"):
        text = _as_text(value)
        return by_label.get(text, text)
    if shape.kind == "bool":
        text = _as_text(value).lower()
        return True if text in _TRUE else False if text in _FALSE else value
    if shape.kind in ("int", "number") and isinstance(value, float) and value.is_integer():
        return int(value)
    if shape.kind == "date" and isinstance(value, dt.datetime):
        return value.date()
    if shape.kind == "datetime" and isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=ZoneInfo("Asia/Shanghai"))  # what the user typed: local time
    if shape.kind == "str" and not isinstance(value, str):
        return _as_text(value)
    return by_label.get(value, value) if isinstance(value, str) else value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class _Outcome:
    ids: list[int]
    errors: list[ImportProblem]
    total: int = 0
    failed: int = 0


def _row_values(
    registry: AnyRegistry,
    db: Session,
    principal: Principal,
    cells: tuple[Any, ...],
    matched: dict[int, ImportColumn],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, column in matched.items():
        raw = cells[index] if index < len(cells) else None
        if _blank(raw):
            continue
        converter = registry.import_converters.get(column.field)
        if converter is not None:
            text = _convert(raw, column.shape, {}) if column.shape.kind == "list" else _as_text(raw)
            try:
                values[column.field] = converter(db, principal, text)
            except DomainError as exc:
                raise _RowError([(column.field, exc.message)]) from None
        else:
            values[column.field] = _convert(raw, column.shape, column.choices)
    return values


class _RowError(Exception):
    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def _validate(registry: AnyRegistry, values: dict[str, Any]) -> Any:
    try:
        return registry.create_schema.model_validate(values)
    except ValidationError as exc:
        problems: list[tuple[str | None, str]] = []
        for error in exc.errors():
            loc = error.get("loc") or ()
            problems.append((str(loc[0]) if loc else None, chinese_message(dict(error))))
        raise _RowError(problems) from None


def _store_rows(
    registry: AnyRegistry,
    db: Session,
    principal: Principal,
    rows: Iterable[tuple[int, tuple[Any, ...]]],
    matched: dict[int, ImportColumn],
) -> _Outcome:
    outcome = _Outcome(ids=[], errors=[])
    headers = {c.field: c.header for c in matched.values()}
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        outcome.total += 1
        try:
            values = _row_values(registry, db, principal, cells, matched)
            data = _validate(registry, values)
            with savepoint(db):
                obj = create_record(registry, db, principal, data, audit=False)
            outcome.ids.append(obj.id)
            continue
        except _RowError as exc:
            problems = exc.problems
        except DomainError as exc:
            problems = [(str(exc.field[-1]) if exc.field else None, exc.message)]
        except IntegrityError:
            problems = [(None, "数据冲突：与已有记录重复或引用了不存在的数据")]
        outcome.failed += 1
        for name, message in problems:
            header = headers.get(name or "") or (registry.label_of(name) if name else None)
            outcome.errors.append(
                ImportProblem(row=number, field=name, header=header, message=message)
            )
    return outcome


def import_xlsx(
    registry: AnyRegistry, db: Session, principal: Principal, content: bytes, filename: str = ""
) -> ImportReport:
    """Store every valid row of the file; report the others. Audited as one "import" entry."""
    rows = _read_rows(content)
    if not rows:
        raise Invalid("文件是空的：第 1 行应为表头", ["file"])
    matched = _match_headers(rows[0][1], import_columns(registry))
    outcome = _store_rows(registry, db, principal, rows[1:], matched)
    report = ImportReport(
        total=outcome.total,
        stored=len(outcome.ids),
        failed=outcome.failed,
        ids=outcome.ids,
        errors=outcome.errors,
    )
    detail = {"file": filename[:200], "stored": report.stored, "failed": report.failed}
    record(db, principal, "import", registry.resource, detail={**detail, "ids": report.ids})
    return report
