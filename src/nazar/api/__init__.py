"""The HTTP API (FastAPI, under ``/api/v1``) and the web dashboard it serves."""
