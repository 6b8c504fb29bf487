"""A real Kafka broker (0.9.0.1, deploy/local/kafka.sh) for the Kafka integration tests.

The session starts it unless it is already running and stops it at the end only if it
started it. Tests use their own uniquely named topics, so runs never see each other's data.
"""

from __future__ import annotations

import warnings
from typing import Iterator

import pytest

with warnings.catch_warnings():
    # kafka-python 3 loads its protocol schemas with importlib.resources' legacy API.
    warnings.simplefilter("ignore", DeprecationWarning)
    import kafka  # noqa: F401

from tests.integration.kafka.helpers import BOOTSTRAP, kafka_sh, wait_registered


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[str]:
    started = kafka_sh("status", check=False).returncode != 0
    if started:
        kafka_sh("start")
    wait_registered()
    yield BOOTSTRAP
    if started:
        kafka_sh("stop", check=False)


@pytest.fixture
def ensure_broker(kafka_broker: str) -> str:
    """The broker, restarted first if an earlier test left it down."""
    if kafka_sh("status", check=False).returncode != 0:
        kafka_sh("start")
        wait_registered()
    return kafka_broker

