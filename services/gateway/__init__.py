"""The gateway: HTTP into messages, messages out as SSE; also hosts the projector and watchdog."""
