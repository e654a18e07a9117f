"""Several things started at the same moment (a double tap spread over two kiosk instances, while the
scheduler's job runs): each on its own thread, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def at_once(*actions: Callable[[], Any]) -> list[Any]:
    """Run `actions` together; their results, in the order given (an exception in one fails the test)."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(i: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = action()
        except BaseException as e:  # raised again on the test's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
