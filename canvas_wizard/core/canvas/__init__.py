"""Canvas HTTP client: auth header, pagination, throttling, retries, errors.

Everything others need is importable from here; see each module for the details.
"""

from canvas_wizard.core.canvas.accounts import (
    SYNC_PERMISSIONS,
    Account,
    AccountNode,
    CanvasUser,
    PermissionReport,
    build_account_tree,
    check_sync_permissions,
    current_user,
    list_account_tree,
)
from canvas_wizard.core.canvas.client import CanvasClient, RequestStats
from canvas_wizard.core.canvas.errors import (
    AuthorizationNeeded,
    CanvasConnectionError,
    CanvasError,
    CanvasNotFound,
    CanvasPermissionError,
    CanvasServerError,
    CanvasThrottled,
    CanvasTLSError,
    CanvasValidationError,
    FieldError,
    NotCanvasError,
    ProxyPageError,
    parse_field_errors,
)
from canvas_wizard.core.canvas.probe import CanvasSite, normalize_canvas_url, probe_canvas
from canvas_wizard.core.canvas.throttle import ThrottleGate
from canvas_wizard.core.canvas.tokens import StaticToken, TokenSource
from canvas_wizard.core.canvas.transport import make_session

__all__ = [
    "SYNC_PERMISSIONS",
    "Account",
    "AccountNode",
    "AuthorizationNeeded",
    "CanvasClient",
    "CanvasConnectionError",
    "CanvasError",
    "CanvasNotFound",
    "CanvasPermissionError",
    "CanvasServerError",
    "CanvasSite",
    "CanvasTLSError",
    "CanvasThrottled",
    "CanvasUser",
    "CanvasValidationError",
    "FieldError",
    "NotCanvasError",
    "PermissionReport",
    "ProxyPageError",
    "RequestStats",
    "StaticToken",
    "ThrottleGate",
    "TokenSource",
    "build_account_tree",
    "check_sync_permissions",
    "current_user",
    "list_account_tree",
    "make_session",
    "normalize_canvas_url",
    "parse_field_errors",
    "probe_canvas",
]
