"""Import the bundle through Superset's assets API: idempotent (overwrite by UUID), passwords from env."""

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from dashboards import bundle_build, canonical
from dashboards.config import DashboardsSettings
from dashboards.superset_api import SupersetSession

ZIP_ROOT = "lianxi_bundle"


def bundle_files(bundle_dir: Path, settings: DashboardsSettings) -> dict[str, str]:
    """Bundle texts with the warehouse address and users of this deployment filled in."""
    files: dict[str, str] = {}
    for path in sorted(bundle_dir.rglob("*.yaml")):
        relative = path.relative_to(bundle_dir).as_posix()
        text = path.read_text(encoding="utf-8")
        if relative.startswith("databases/"):
            document = canonical.load(text)
            name = document["database_name"]
            user = _user(name, settings)
            document["sqlalchemy_uri"] = (
                f"clickhousedb://{user}:{bundle_build.MASKED}@{settings.warehouse_hostport}/marts"
            )
            text = canonical.dump(document)
        files[relative] = text
    return files


def _user(database_name: str, settings: DashboardsSettings) -> str:
    if database_name == bundle_build.ANALYST_DB:
        return settings.warehouse_analyst_user
    return settings.warehouse_reader_user


def passwords(files: dict[str, str], settings: DashboardsSettings) -> dict[str, str]:
    secrets = {
        bundle_build.MARTS_DB: settings.warehouse_reader_password,
        bundle_build.ANALYST_DB: settings.warehouse_analyst_password,
    }
    result = {}
    for relative, text in files.items():
        if relative.startswith("databases/"):
            name = canonical.load(text)["database_name"]
            # Keys are bundle paths without the zip's root folder, as Superset strips it.
            result[relative] = secrets[name]
    return result


def to_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative, text in files.items():
            archive.writestr(f"{ZIP_ROOT}/{relative}", text)
    return buffer.getvalue()


def _prune_charts(session: SupersetSession, files: dict[str, str]) -> None:
    """Charts the platform made (certified by it) that the bundle no longer has: a removed chart
    must not linger in Superset. Charts someone made by hand are never touched."""
    import yaml

    names = {
        yaml.safe_load(text)["slice_name"]
        for relative, text in files.items()
        if relative.startswith("charts/")
    }
    for chart in session.list_all("chart", ["id", "slice_name", "certified_by"]):
        if (
            chart.get("certified_by") == bundle_build.CERTIFIED_BY
            and chart["slice_name"] not in names
        ):
            session.delete(f"/api/v1/chart/{chart['id']}")


def import_bundle(
    session: SupersetSession,
    settings: DashboardsSettings,
    bundle_dir: Path = bundle_build.BUNDLE_DIR,
) -> dict[str, Any]:
    files = bundle_files(bundle_dir, settings)
    session.post(
        "/api/v1/assets/import/",
        files={"bundle": ("lianxi_bundle.zip", to_zip(files), "application/zip")},
        data={"passwords": json.dumps(passwords(files, settings)), "overwrite": "true"},
    )
    _prune_charts(session, files)
    counts: dict[str, int] = {}
    for relative in files:
        kind = relative.split("/", 1)[0].removesuffix(".yaml")
        counts[kind] = counts.get(kind, 0) + 1
    return counts
