"""The per-key rate limit holds for the live hub's mutations and seenBefore as for any request (it is
checked before GraphQL, per request, whatever the operation), over real HTTP with a tight limit."""

from __future__ import annotations

from hub.privacy.access import Role
from tests.hub.test_brakes import only_error, post, served
from tests.resolvers.conftest import Api

# Refused after the brakes (an unknown source, a name that fits no one): nothing is written.
WRITE = 'mutation { writeRecords(source: "bansos", rows: [{NAMA: "X"}]) { rejected } }'
SEEN = '{ seenBefore(name: "XQZV KRWPTL", birthDate: "1901-01-01", metOnStreet: false) { personId } }'


def test_writes_and_seen_before_are_rate_limited_per_key(api: Api) -> None:
    with served(api, rate_per_second=1, rate_burst=4) as url:
        writes = [post(url, api.keys[Role.APP], WRITE) for _ in range(4)]
        seen = post(url, api.keys[Role.APP], SEEN)
        other_key = post(url, api.keys[Role.ADMIN], SEEN)
    assert [r.status_code for r in writes] == [200] * 4
    assert "is not a source the hub knows" in only_error(writes[0])
    assert seen.status_code == 429 and 1 <= int(seen.headers["Retry-After"]) <= 5
    assert "too many requests with this key" in only_error(seen)
    assert other_key.status_code == 200 and other_key.json()["data"]["seenBefore"] == []
