"""DynamoDB store for the serverless path, built on the official ask-sdk DynamoDbAdapter.

The adapter's own table layout is kept (partition key `id`, the attributes as a map in
`attributes`) with two changes the skill needs:

- the partition key is the SHA-256 of the user id (`hashed_user_partition_keygen`), never the
  id in clear, like every other store;
- a save updates only the top-level keys the request changed (UpdateItem with SET/REMOVE on
  `attributes.<key>`, see base.py) and refreshes a TTL, so an abandoned record expires.

DynamoDB returns every number as Decimal and refuses floats, so values are converted both
ways: handlers see the same ints and floats as with the SQL stores.
"""
from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import boto3
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_dynamodb.adapter import DynamoDbAdapter
from ask_sdk_model import RequestEnvelope
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from .base import Changes, Store, StoredAttributes, StoreError, changes_to_save, first_line, mark_saved, user_id_of, user_key

PARTITION_KEY = "id"
ATTRIBUTES = "attributes"
TTL_ATTRIBUTE = "expires_at"  # infra/aws/template.yaml enables TTL on this attribute
RETENTION_SECONDS = 365 * 24 * 3600  # a record untouched for a year is deleted by DynamoDB
HEALTH_KEY = "healthcheck"  # never a user key: those are 64 hex digits

# Alexa waits about 8 s: one quick retry, never the SDK's default back-off of several seconds.
CLIENT_CONFIG = BotoConfig(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})


def hashed_user_partition_keygen(request_envelope: RequestEnvelope) -> str:
    """Partition key for the official adapter: the user key, as in the SQL stores."""
    user_id = user_id_of(request_envelope)
    if user_id is None:
        raise PersistenceException("no user id in the request to key the attributes by")
    return user_key(user_id)


def dynamodb_resource() -> Any:
    """A boto3 resource with short timeouts; region, credentials and endpoint from the environment."""
    return boto3.resource("dynamodb", config=CLIENT_CONFIG)


def to_dynamodb(value: Any) -> Any:
    """JSON-like value -> what boto3 accepts (floats become Decimals)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: to_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_dynamodb(item) for item in value]
    return value


def from_dynamodb(value: Any) -> Any:
    """boto3's Decimals -> int or float, so `step == 3` and isinstance(step, int) hold."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_dynamodb(item) for item in value]
    return value


class DynamoDbStore(DynamoDbAdapter, Store):
    """The official adapter, keyed by hashed user id, with merging saves and StoreError."""

    def __init__(self, table_name: str, resource: Any = None):
        super().__init__(
            table_name=table_name, partition_key_name=PARTITION_KEY, attribute_name=ATTRIBUTES,
            create_table=False, partition_keygen=hashed_user_partition_keygen,
            dynamodb_resource=resource if resource is not None else dynamodb_resource(),
        )
        self.table = self.dynamodb.Table(table_name)

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        if user_id_of(request_envelope) is None:
            return StoredAttributes()
        try:
            return StoredAttributes(from_dynamodb(super().get_attributes(request_envelope)))
        except PersistenceException as exc:
            raise StoreError(f"could not read attributes: {first_line(exc)}") from exc

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        changes = changes_to_save(attributes)
        try:
            if changes.replace:
                self.table.put_item(Item=self._item(user_key(user_id), changes.set))
            else:
                self._merge(user_key(user_id), changes)
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"could not save attributes: {first_line(exc)}") from exc
        mark_saved(attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        if user_id_of(request_envelope) is None:
            return
        try:
            super().delete_attributes(request_envelope)
        except PersistenceException as exc:
            raise StoreError(f"could not delete attributes: {first_line(exc)}") from exc

    def check(self) -> None:
        """Used by /healthz: an UpdateItem whose condition can never hold proves that a save
        would be accepted now (table there, role allowed to write, not throttled) while
        writing nothing: DynamoDB checks all that before it evaluates the condition."""
        try:
            self.table.update_item(Key={PARTITION_KEY: HEALTH_KEY}, UpdateExpression="SET #probe = :probe",
                                   ConditionExpression="attribute_exists(#never) AND attribute_not_exists(#never)",
                                   ExpressionAttributeNames={"#probe": "probe", "#never": "never"},
                                   ExpressionAttributeValues={":probe": 0})
        except ClientError as exc:
            if _condition_failed(exc):
                return
            raise StoreError(f"store unavailable: {first_line(exc)}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"store unavailable: {first_line(exc)}") from exc

    def _item(self, key: str, attributes: dict[str, Any]) -> dict[str, Any]:
        return {PARTITION_KEY: key, ATTRIBUTES: to_dynamodb(attributes), TTL_ATTRIBUTE: _expiry()}

    def _merge(self, key: str, changes: Changes) -> None:
        """Update the changed keys in place; create the item first if there is none yet.

        If another request creates the item between our failed update and our put, the
        put's condition fails too and the update is tried once more, now against their item.
        """
        try:
            self.table.update_item(Key={PARTITION_KEY: key}, **_update(changes, item_must_exist=True))
            return
        except ClientError as exc:
            if not _condition_failed(exc):
                raise
        try:
            self.table.put_item(Item=self._item(key, changes.set), ConditionExpression="attribute_not_exists(#id)",
                                ExpressionAttributeNames={"#id": PARTITION_KEY})
        except ClientError as exc:
            if not _condition_failed(exc):
                raise
            self.table.update_item(Key={PARTITION_KEY: key}, **_update(changes, item_must_exist=False))


def _update(changes: Changes, item_must_exist: bool) -> dict[str, Any]:
    """UpdateItem arguments: SET attributes.<k> = v ..., REMOVE attributes.<k> ..., TTL refreshed.

    Every name is a placeholder, so any key the skill uses is safe in the expression.
    """
    names = {"#ttl": TTL_ATTRIBUTE}
    values: dict[str, Any] = {":ttl": _expiry()}
    assignments = ["#ttl = :ttl"]
    for index, (name, value) in enumerate(changes.set.items()):
        names[f"#s{index}"] = name
        values[f":s{index}"] = to_dynamodb(value)
        assignments.append(f"#a.#s{index} = :s{index}")
    expression = "SET " + ", ".join(assignments)
    if changes.removed:
        names.update({f"#r{index}": name for index, name in enumerate(changes.removed)})
        expression += " REMOVE " + ", ".join(f"#a.#r{index}" for index in range(len(changes.removed)))
    arguments: dict[str, Any] = {"UpdateExpression": expression, "ExpressionAttributeValues": values}
    if item_must_exist:
        arguments["ConditionExpression"] = "attribute_exists(#a)"
    if item_must_exist or changes.set or changes.removed:
        names["#a"] = ATTRIBUTES  # DynamoDB rejects a placeholder the expressions never use
    arguments["ExpressionAttributeNames"] = names
    return arguments


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _expiry() -> int:
    return int(time.time()) + RETENTION_SECONDS
