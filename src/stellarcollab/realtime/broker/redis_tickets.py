"""One-time WebSocket tickets in Redis: any process redeems a ticket another issued, once.
The deadline is on the injected clock; Redis's own expiry only collects leftovers."""

from __future__ import annotations

from stellarcollab.clock import Clock
from stellarcollab.realtime.broker.redis_client import RedisClient
from stellarcollab.realtime.broker.redis_scripts import TAKE_TICKET_SCRIPT
from stellarcollab.realtime.broker.redis_wire import backstop_ms, to_ms


class RedisTicketStore:
    def __init__(self, client: RedisClient, clock: Clock) -> None:
        self._client = client
        self.clock = clock
        self._take = client.redis.register_script(TAKE_TICKET_SCRIPT)

    def _key(self, ticket: str) -> str:
        return self._client.key(f"ticket:{ticket}")

    async def put(self, ticket: str, token: str, ttl_seconds: float) -> None:
        deadline = to_ms(self.clock.time() + ttl_seconds)
        await self._client.redis.set(self._key(ticket), f"{deadline} {token}",
                                     px=backstop_ms(ttl_seconds))

    async def take(self, ticket: str) -> str | None:
        token = await self._take(keys=[self._key(ticket)], args=[to_ms(self.clock.time())])
        if token is None:
            return None
        return token.decode() if isinstance(token, bytes) else str(token)
