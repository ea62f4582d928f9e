//! What a webhook endpoint receives (OpenAPI 3.1 `webhooks`).

use utoipa::openapi::{ContentBuilder, Object, Ref, ResponseBuilder, Type, path::ParameterIn};

/// What a webhook endpoint receives (OpenAPI 3.1 `webhooks`).
pub(super) fn webhooks() -> utoipa::openapi::Paths {
    use utoipa::openapi::{
        HttpMethod, Paths, Required,
        path::{OperationBuilder, ParameterBuilder},
        request_body::RequestBodyBuilder,
    };
    let header = |name: &str, description: &str, example: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(Object::with_type(Type::String)))
            .example(Some(serde_json::Value::String(example.into())))
            .build()
    };
    let operation = OperationBuilder::new()
        .operation_id(Some("webhook_event"))
        .tag("integration")
        .summary(Some("A change, delivered to a registered webhook endpoint"))
        .description(Some(
            "One change-feed event per request, signed per Standard Webhooks. Verify \
`webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` \
keyed with the base64-decoded part of the secret after `whsec_`) in constant time, reject \
timestamps far from now (5 minutes is usual), and dedupe on `webhook-id`: delivery is at least \
once. Answer 2xx to acknowledge; anything else (redirects included) is retried with \
exponential backoff and jitter (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h); `410 \
Gone` disables the endpoint. `Retry-After` (seconds) on a failure delays the retry.",
        ))
        .parameter(header(
            "webhook-id",
            "The event's delivery id, the same on every attempt.",
            "evt_1042",
        ))
        .parameter(header(
            "webhook-timestamp",
            "Unix seconds when this attempt was signed.",
            "1795833600",
        ))
        .parameter(header(
            "webhook-signature",
            "`v1,<base64 signature>`; several may be space-separated.",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Event")))
                        .build(),
                )
                .build(),
        ))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Acknowledged (any 2xx).")
                .build(),
        )
        .response(
            "410",
            ResponseBuilder::new()
                .description("The endpoint is gone: it is disabled and nothing more is sent.")
                .build(),
        )
        .build();
    let mut paths = Paths::new();
    paths.add_path_operation("supplierEvent", vec![HttpMethod::Post], operation);
    paths
}
