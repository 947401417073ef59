"""``GET /export``: a worklist or a proposal batch as the file a receiving office takes (XLSX or CSV).

Authenticated and braked like /graphql (``ApiKeyMiddleware``: the same key, the same per-key rate);
``hub.export.export.build_export`` applies the rest: the ``export`` permission, the key's region,
the layout's personal columns against what the role sees, the audit entry before the file leaves.
Query parameters: ``region`` (required), ``rule`` or ``proposals``, ``layout`` (default
kis_pbi_apbd), ``format`` (xlsx or csv). The manifest comes back in headers: ``X-Export-Rows``,
``X-Export-Sha256`` and the whole manifest as JSON in ``X-Export-Manifest``.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from hub.export.export import MEDIA_TYPES, ExportRequest, build_export

PATH = "/export"


async def export_download(request: Request) -> Response:
    query = request.query_params
    wanted = ExportRequest(layout=query.get("layout", "kis_pbi_apbd"), fmt=query.get("format", "xlsx").lower(),
                           region=query.get("region"), rule=query.get("rule"), proposals=query.get("proposals"))
    state = request.app.state
    made = await build_export(state.store, state.audit, request.state.principal, wanted,
                              request_id=getattr(request.state, "request_id", None),
                              client=request.client.host if request.client else None)
    return Response(made.content, media_type=MEDIA_TYPES[wanted.fmt], headers={
        "Content-Disposition": f'attachment; filename="{made.filename}"', "X-Export-Rows": str(made.rows),
        "X-Export-Sha256": made.manifest["sha256"], "X-Export-Manifest": json.dumps(made.manifest, ensure_ascii=True),
        "Cache-Control": "no-store"})
