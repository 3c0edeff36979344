"""Generic registries (台账): declare a `Registry` once, get service, API, pages and Excel.

See docs/registries.md. The names below are the public interface other modules use.
"""

from jiaoguan.platform.crud.api import ITEM, ItemId, api_router, located, xlsx_download
from jiaoguan.platform.crud.excel import (
    XLSX,
    ImportProblem,
    ImportReport,
    export_xlsx,
    import_template,
    import_xlsx,
)
from jiaoguan.platform.crud.fields import Id, ReadSchema, Schema
from jiaoguan.platform.crud.lookups import unit_by_code, units_in_scope
from jiaoguan.platform.crud.pages import DONE_MESSAGES, page_router, render_detail
from jiaoguan.platform.crud.query import ListQuery
from jiaoguan.platform.crud.registry import Column, Filter, Hooks, Registry, label_map
from jiaoguan.platform.crud.service import (
    Page,
    create_record,
    delete_record,
    get_record,
    list_records,
    savepoint,
    update_record,
)

__all__ = [
    "DONE_MESSAGES",
    "ITEM",
    "XLSX",
    "Column",
    "Filter",
    "Hooks",
    "Id",
    "ImportProblem",
    "ImportReport",
    "ItemId",
    "ListQuery",
    "Page",
    "ReadSchema",
    "Registry",
    "Schema",
    "api_router",
    "create_record",
    "delete_record",
    "export_xlsx",
    "get_record",
    "import_template",
    "import_xlsx",
    "label_map",
    "list_records",
    "located",
    "page_router",
    "render_detail",
    "savepoint",
    "unit_by_code",
    "units_in_scope",
    "update_record",
    "xlsx_download",
]
