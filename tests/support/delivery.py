"""Customers, settings and send requests for delivery tests on real provider servers."""

from __future__ import annotations

from datetime import UTC, datetime

from activities.message_delivery import MessageDeliveryActivities
from journeys.contracts.activities import SendRequest
from journeys.language.channels import Channel
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.consent import ConsentStatus, record_consent
from journeys.store.customers import upsert_customer
from tests.support.provider_servers import HttpProviderServer, SmtpServer
from workers.journey_worker import build_providers

ORG = "acme"


SECRET = "webhook-secret"


def provider_settings(
    settings: JourneySettings, smtp: SmtpServer, http: HttpProviderServer, **extra: object
) -> JourneySettings:
    return JourneySettings.model_validate(
        {
            **settings.model_dump(),
            "email_provider": "smtp",
            "smtp_port": smtp.port,
            "sms_provider": "http",
            "sms_api_base_url": http.url,
            "sms_account_sid": "AC123",
            "sms_auth_token": "tok",
            "sms_from": "+15550000000",
            "push_provider": "http",
            "push_api_base_url": http.url,
            "push_project_id": "proj",
            "push_access_token": "push-token",
            "webhook_provider": "http",
            "webhook_url": http.url + "/hooks/journeys",
            "webhook_secret": SECRET,
            "provider_timeout_seconds": 0.5,
            **extra,
        }
    )


def activities_for(store: Store, settings: JourneySettings, **kwargs) -> MessageDeliveryActivities:
    return MessageDeliveryActivities(store, build_providers(settings, store), settings, **kwargs)


def customer(store: Store, customer_id: str, *, sms_opt_in: bool = True, tz: str = "UTC") -> None:
    with store.transaction() as session:
        upsert_customer(
            session,
            org_id=ORG,
            customer_id=customer_id,
            timezone=tz,
            attributes={
                "first_name": "Ada",
                "risk_factor_statement": "your usage dropped 40% this month",
                "email": f"{customer_id}@example.com",
                "phone": "+15551234567",
                "push_token": f"device-{customer_id}",
            },
        )
        if sms_opt_in:
            record_consent(
                session,
                org_id=ORG,
                customer_id=customer_id,
                channel="sms",
                status=ConsentStatus.OPTED_IN,
                source="signup form",
                at=datetime.now(UTC),
            )


def request(customer_id: str, channel: Channel, step: str = "outreach#1", **extra) -> SendRequest:
    values = {
        "org_id": ORG,
        "customer_id": customer_id,
        "journey_id": "churn",
        "journey_version": 1,
        "workflow_id": f"journey:{ORG}:churn:{customer_id}",
        "enrollment_id": f"enr-{customer_id}",
        "step_key": step,
        "channel": channel,
        "template": "churn_outreach",
        **extra,
    }
    return SendRequest.model_validate(values)
