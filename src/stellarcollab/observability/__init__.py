"""What an operator watches: metrics, structured logs, health and readiness."""
