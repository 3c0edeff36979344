"""Imports every module's models so that the metadata (and Alembic) sees all tables."""

from jiaoguan.checkpoint import models as checkpoint_models
from jiaoguan.checkpoint import watch_models as checkpoint_watch_models
from jiaoguan.command import models as command_models
from jiaoguan.geo import models as geo_models
from jiaoguan.geo.address import models as address_models
from jiaoguan.platform.audit import models as audit_models
from jiaoguan.platform.auth import models as auth_models
from jiaoguan.platform.db import Base
from jiaoguan.platform.events import models as events_models
from jiaoguan.platform.push import models as push_models
from jiaoguan.platform.workorders import models as workorders_models
from jiaoguan.registry import models as registry_models

__all__ = [
    "Base",
    "address_models",
    "audit_models",
    "auth_models",
    "checkpoint_models",
    "checkpoint_watch_models",
    "command_models",
    "events_models",
    "geo_models",
    "push_models",
    "registry_models",
    "workorders_models",
]
