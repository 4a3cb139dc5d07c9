"""The server-log check every server test uses (support.e2e.server_exceptions): Streamlit's
own websocket race on a closed tab is left out, anything else is reported."""

from support.e2e import server_exceptions

# as Streamlit 1.67 logged it when a browser closed mid-send (frames shortened)
CLOSED_TAB = """Exception in ASGI application
Traceback (most recent call last):
  File ".../streamlit/web/server/starlette/starlette_websocket.py", line 516, in _websocket_endpoint
    data = await websocket.receive_bytes()
  File ".../starlette/websockets.py", line 131, in receive_bytes
    raise WebSocketDisconnected('WebSocket is not connected. Need to call "accept" first.')
starlette.websockets.WebSocketDisconnected: WebSocket is not connected. Need to call "accept" first.

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File ".../starlette/websockets.py", line 104, in send
    raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')
starlette.websockets.WebSocketDisconnected: Cannot call "send" once a close message has been sent.
  Stopping...
"""

OURS = """2026-12-07 12:00:00.000 Uncaught app execution
Traceback (most recent call last):
  File "/srv/app/views/results.py", line 40, in <module>
    rate = correct / total
           ~~~~~~~~^~~~~~~
ZeroDivisionError: division by zero
"""


def test_a_closed_tab_is_not_an_error_but_our_exceptions_are():
    assert server_exceptions(CLOSED_TAB) == []
    assert server_exceptions(CLOSED_TAB + OURS) == ["ZeroDivisionError: division by zero"]
    assert len(server_exceptions(CLOSED_TAB, ignore=())) == 2  # both are tracebacks
    assert server_exceptions("  Stopping...\n") == []
