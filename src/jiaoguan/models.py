"""Imports every module's models so that the metadata (and Alembic) sees all tables."""

from jiaoguan.platform.audit import models as audit_models
from jiaoguan.platform.auth import models as auth_models
from jiaoguan.platform.db import Base
from jiaoguan.platform.events import models as events_models
from jiaoguan.platform.push import models as push_models
from jiaoguan.platform.workorders import models as workorders_models

__all__ = [
    "Base",
    "audit_models",
    "auth_models",
    "events_models",
    "push_models",
    "workorders_models",
]
