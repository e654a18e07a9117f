"""The demo hospital loaded by `kiosk seed-demo` (and by `make run` when the server is empty)."""
