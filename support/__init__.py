"""Helpers shared by the tests and the benchmarks (never by the app): starting the real
server and Debian's chromium (:mod:`support.e2e`), and simulated students speaking
Streamlit's websocket protocol (:mod:`support.load_protocol`, :mod:`support.load_client`)."""
