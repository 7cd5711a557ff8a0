"""What a request says about reaching the Alexa APIs for this user: the endpoint and token, the
scopes granted, and the directive that asks for a scope by voice."""
from __future__ import annotations

from ask_sdk_model import RequestEnvelope
from ask_sdk_model.interfaces.connections import SendRequestDirective

from ..alexa_api import ApiAccess


def scope_granted(envelope: RequestEnvelope, scope: str) -> bool:
    """The user has granted ``scope`` (context.System.user.permissions.scopes)."""
    system = envelope.context.system if envelope.context else None
    permissions = system.user.permissions if system and system.user else None
    granted = (permissions.scopes or {}).get(scope) if permissions else None
    status = getattr(granted, "status", None)
    return getattr(status, "value", status) == "GRANTED"


def api_access(envelope: RequestEnvelope) -> ApiAccess | None:
    """The request's apiEndpoint and apiAccessToken, or None when it carries no way to call."""
    system = envelope.context.system if envelope.context else None
    if system is None or not system.api_endpoint or not system.api_access_token:
        return None
    return ApiAccess(system.api_endpoint, system.api_access_token)


def device_id(envelope: RequestEnvelope) -> str | None:
    system = envelope.context.system if envelope.context else None
    device = system.device if system else None
    value = getattr(device, "device_id", None)
    return value if isinstance(value, str) and value else None


def ask_for_permission(scope: str, token: str) -> SendRequestDirective:
    """Alexa asks the user by voice; the answer comes back as a Connections.Response with ``token``."""
    payload = {"@type": "AskForPermissionsConsentRequest", "@version": "1", "permissionScope": scope}
    return SendRequestDirective(name="AskFor", payload=payload, token=token)
