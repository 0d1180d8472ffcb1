"""The scripts' one bounded wait."""
import time


def wait_until(condition, seconds, interval=0.2):
    """Asks `condition` every `interval` s until it holds or `seconds` have passed; returns whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
