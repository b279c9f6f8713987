"""Map Superset's export onto the bundle's canonical form, so an unchanged round trip diffs empty.

What Superset adds on export that is specific to one instance: integer ids (datasource ids,
chart ids in positions and filter scopes), the warehouse address, the export timestamp and
file names with ids. Everything else is kept, so a real edit made in the UI shows in the diff.
"""

import json
import re
from typing import Any

from dashboards import bundle_build

EPOCH = "1970-01-01T00:00:00+00:00"


class Normaliser:
    def __init__(self) -> None:
        _, dashboards = bundle_build.load_spec()
        self.chart_numbers = {
            bundle_build.stable_uuid("chart", key): number
            for key, number in bundle_build.chart_numbers(dashboards).items()
        }
        self.paths = {
            document["uuid"]: path
            for path, document in bundle_build.build().items()
            if "uuid" in document
        }
        self._next_number = max(self.chart_numbers.values(), default=0) + 1

    def files(self, exported: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Exported documents (keyed by path without the zip root) → bundle documents by bundle path."""
        result: dict[str, dict[str, Any]] = {}
        for path, document in sorted(exported.items()):
            kind = path.split("/", 1)[0]
            if path == "metadata.yaml":
                result[path] = {**document, "timestamp": EPOCH}
                continue
            handler = getattr(self, f"_{kind}", None)
            normalised = handler(document) if handler else document
            result[self.paths.get(document.get("uuid"), self._fallback_path(kind, path))] = (
                normalised
            )
        return result

    @staticmethod
    def _fallback_path(kind: str, path: str) -> str:
        # Assets made in the UI: keep Superset's name minus the instance-specific id suffix.
        return re.sub(r"_\d+\.yaml$", ".yaml", path) if kind != "databases" else path

    def _databases(self, document: dict[str, Any]) -> dict[str, Any]:
        uri = re.sub(r"@[^/]+/", f"@{bundle_build.CANONICAL_HOSTPORT}/", document["sqlalchemy_uri"])
        return {**document, "sqlalchemy_uri": uri}

    def _datasets(self, document: dict[str, Any]) -> dict[str, Any]:
        return {
            **document,
            "columns": sorted(document.get("columns") or [], key=lambda c: c["column_name"]),
            "metrics": sorted(document.get("metrics") or [], key=lambda m: m["metric_name"]),
        }

    def _charts(self, document: dict[str, Any]) -> dict[str, Any]:
        params = {k: v for k, v in document.get("params", {}).items() if k != "datasource"}
        result = {**document, "params": params}
        if document.get("query_context"):
            context = json.loads(document["query_context"])
            context["datasource"] = {**context.get("datasource", {}), "id": 0}
            context.get("form_data", {}).pop("datasource", None)
            for query in context.get("queries", []):
                query.pop("datasource", None)
            result["query_context"] = json.dumps(context, ensure_ascii=False, sort_keys=True)
        return result

    def _dashboards(self, document: dict[str, Any]) -> dict[str, Any]:
        position = json.loads(json.dumps(document.get("position") or {}))
        id_map: dict[int, int] = {}
        for component in position.values():
            if isinstance(component, dict) and component.get("type") == "CHART":
                meta = component["meta"]
                number = self.chart_numbers.get(meta.get("uuid"))
                if number is None:
                    number = self.chart_numbers[meta.get("uuid")] = self._next_number
                    self._next_number += 1
                id_map[meta["chartId"]] = number
                meta["chartId"] = number
        metadata = json.loads(json.dumps(document.get("metadata") or {}))
        for native_filter in metadata.get("native_filter_configuration", []):
            scope = native_filter.get("scope", {})
            if "excluded" in scope:
                scope["excluded"] = sorted(id_map.get(i, i) for i in scope["excluded"])
            if "chartsInScope" in native_filter:
                native_filter["chartsInScope"] = sorted(
                    id_map.get(i, i) for i in native_filter["chartsInScope"]
                )
        return {**document, "position": position, "metadata": metadata}
