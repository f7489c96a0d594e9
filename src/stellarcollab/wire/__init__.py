"""The wire contract: every message the server sends and every message it accepts.

Pure (no asyncio, no Starlette, no database): constructors return the plain dict that gets
encoded, parsers return typed commands, ``rules`` holds the value rules REST shares.

Modules by area: ``registry`` (the registry of constructors), ``canvas``, ``presence``,
``tiles``, ``session`` (server messages), ``errors`` (``error`` and ``ProtocolError``),
``client`` (parsers of client messages), ``rules``.

Adding messages of a new area (say ``social``): create ``wire/social.py``; decorate each
constructor with ``@server_message("type", example={...})`` from ``wire.registry`` (pass
``numbered=True`` for events published on a canvas) and each client parser with
``@client_message("type")`` from ``wire.client``. Nothing else needs to name the module:
the registry imports every module of this package. Then document each server message in
docs/PROTOCOL.md, section 2.2, in the format described there; tests/wire checks both agree.
"""
