"""Imports every module's models so that the metadata (and Alembic) sees all tables."""

from jiaoguan.platform.audit import models as audit_models
from jiaoguan.platform.auth import models as auth_models
from jiaoguan.platform.db import Base

__all__ = ["Base", "audit_models", "auth_models"]
