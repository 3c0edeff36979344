"""Feedback attachments uploaded through the page: stored under <data_dir>/uploads by SHA-256.

Content-addressed: the same file uploaded twice is stored once, a stored file never changes, and
the database row keeps the original name and type. A file left behind by a failed request is
harmless (nothing refers to it) and is reused if the same content comes again.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from jiaoguan.platform.errors import Invalid
from jiaoguan.platform.workorders.service import MAX_ATTACHMENTS, AttachmentMeta

MAX_FILE_BYTES = 20 * 1024 * 1024
_CHUNK = 1024 * 1024
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def uploads_root(data_dir: Path) -> Path:
    return data_dir / "uploads"


def stored_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def clean_name(name: str | None) -> str:
    """The file's own name without any client path, control characters or excess length."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _UNSAFE.sub("", base).strip() or "附件"
    return base[-255:]


def clean_type(content_type: str | None) -> str:
    value = (content_type or "").split(";")[0].strip().lower()
    return value if _CONTENT_TYPE.match(value) and len(value) <= 100 else "application/octet-stream"


def store(
    root: Path, stream: BinaryIO, name: str | None, content_type: str | None
) -> AttachmentMeta:
    """Copy one upload into the store, hashing as it goes; 422 when it is too large."""
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise Invalid(
                        f"附件「{clean_name(name)}」超过 {MAX_FILE_BYTES // (1024 * 1024)} MB",
                        ["body", "files"],
                    )
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        target = stored_path(root, sha)
        target.parent.mkdir(exist_ok=True)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return AttachmentMeta(
        file_name=clean_name(name),
        size=size,
        content_type=clean_type(content_type),
        sha256=sha,
        stored=True,
    )


def check_count(count: int) -> None:
    if count > MAX_ATTACHMENTS:
        raise Invalid(f"附件不能超过 {MAX_ATTACHMENTS} 个", ["body", "files"])
