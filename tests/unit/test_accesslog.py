from kiosk.accesslog import redact


def test_the_corridor_token_never_reaches_the_access_log() -> None:
    assert redact("/beds/display/corridor-screen-0123456789abcdef") == "/beds/display/…"
    assert redact("/beds/display/board") == "/beds/display/board"
    assert redact("/beds/bed/1234") == "/beds/bed/1234"
