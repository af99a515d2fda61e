"""The automation API: the design doc routes over HTTP and WebSocket (FastAPI)."""
