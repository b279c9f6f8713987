"""Export every asset from Superset into the bundle's canonical form (`lianxi dashboards export`)."""

import io
import zipfile
from pathlib import Path

from dashboards import bundle_build, canonical
from dashboards.normalise import Normaliser
from dashboards.superset_api import SupersetSession


def export_documents(session: SupersetSession) -> dict[str, str]:
    """Canonical bundle texts by bundle path."""
    archive = zipfile.ZipFile(io.BytesIO(session.request("GET", "/api/v1/assets/export/").content))
    exported = {}
    for name in archive.namelist():
        if name.endswith(".yaml"):
            relative = name.split("/", 1)[1]
            exported[relative] = canonical.load(archive.read(name).decode("utf-8"))
    return {path: canonical.dump(doc) for path, doc in Normaliser().files(exported).items()}


def write_export(
    session: SupersetSession, target: Path = bundle_build.BUNDLE_DIR
) -> dict[str, list[str]]:
    """Write the export over `target`; report which files changed, appeared or disappeared."""
    texts = export_documents(session)
    existing = (
        {p.relative_to(target).as_posix(): p for p in target.rglob("*.yaml")}
        if target.exists()
        else {}
    )
    report: dict[str, list[str]] = {"changed": [], "added": [], "removed": []}
    for relative, text in sorted(texts.items()):
        path = target / relative
        if relative not in existing:
            report["added"].append(relative)
        elif path.read_text(encoding="utf-8") != text:
            report["changed"].append(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for relative, path in sorted(existing.items()):
        if relative not in texts:
            report["removed"].append(relative)
            path.unlink()
    return report
