"""One router per concern; ``nazar.api.app`` mounts them under ``/api/v1``."""
