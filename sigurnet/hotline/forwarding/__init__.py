"""Forwarding: where reported content is hosted, who it goes to, the dispatches that take it
there, and whether it is gone.

Each part has its own modules: ``services``/``selectors``/``views``/``urls`` and
``dispatch_tasks`` are the dispatches (the analyst's forwarding page, sending through the
outbox, the list of dispatches); the signed link and the partner view they use are
``core.handover``.
"""
