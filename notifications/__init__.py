"""What traders hear and where: their preferences, the event handlers that queue messages, and the deliveries
(email, signed webhook, Telegram) sent by Celery tasks. Operator alerts' messages go out the same way."""
