"""No data leaves before its audit entries are written.

Resolvers start the audit writes of what they read (``Context.audit_read``) and carry on;
this extension waits for every one of them once execution ends. If any failed, the
response carries no data, only an error saying why: the same guarantee as awaiting each
write where it starts, without a Redis round trip in the middle of the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from hub.errors import HubError
from resolvers.context import Context

log = logging.getLogger("hub.api")


class AuditUnavailable(HubError):
    http_status = 503
    for_caller = True


class AuditBarrier(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, Context) or not context.audit_writes:
            return
        outcomes = await asyncio.gather(*context.audit_writes, return_exceptions=True)
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        result = self.execution_context.result
        if failed and isinstance(result, ExecutionResult):
            log.error("audit write failed; the response is withheld", exc_info=failed[0])
            error = AuditUnavailable("the audit log could not be written, so no data is returned; try again")
            result.data = None
            result.errors = [GraphQLError(error.message, original_error=error)]
